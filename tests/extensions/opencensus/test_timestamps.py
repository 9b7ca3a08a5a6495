"""Span times are written as opencensus writes them (``datetime.utcnow().isoformat() + "Z"``,
always with microseconds), whatever the clock does: across seconds, and backwards."""

from __future__ import annotations

import datetime

import pytest
from python_worker_extension_opencensus import tracing

NANOSECONDS = [
    1_764_558_000_000_000_000,  # on a second
    1_764_558_000_999_999_999,  # its last microsecond
    1_764_558_001_000_000_000,  # the next second
    1_764_558_001_000_001_000,
    1_764_557_999_999_999_000,  # the clock stepped back
    1_764_558_059_500_000_000,
    1_764_644_400_123_456_789,  # another day
]


def expected(nanoseconds: int) -> str:
    moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=nanoseconds // 1000)
    return moment.isoformat(timespec="microseconds") + "Z"


def test_timestamps_match_opencensus_format_across_seconds_and_clock_steps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for nanoseconds in NANOSECONDS:
        monkeypatch.setattr(tracing, "_time_ns", lambda value=nanoseconds: value)
        assert tracing.utc_timestamp() == expected(nanoseconds)
