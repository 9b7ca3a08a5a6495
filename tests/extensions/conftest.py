"""Fixtures shared by the extensions' tests."""

from __future__ import annotations

from typing import Iterator, List, Sequence

import pytest
from python_worker_extension_framework.toolkit import span_feed


@pytest.fixture
def fed() -> Iterator[List[span_feed.FinishedSpan]]:
    """Every span the tracing extensions feed to the local dashboard while the test runs."""
    received: List[span_feed.FinishedSpan] = []

    def listener(spans: Sequence[span_feed.FinishedSpan]) -> None:
        received.extend(spans)

    stop = span_feed.subscribe(listener)
    yield received
    stop()
