"""Each test gets TimerExtension alone in an isolated registry, freshly reset, with
extensions enabled and none of the timer's app settings inherited from the machine."""

from __future__ import annotations

import logging
import os
import re
from typing import Iterator, List, Tuple

import pytest
from python_worker_extension_framework.testing import InvocationRecord, registered
from python_worker_extension_timer import APP_SETTING_PREFIX, LOGGER_NAME, TimerExtension
from python_worker_extension_timer import extension as timer_module

from ...clocks import PerfClock

LOG_LINE = re.compile(r"Time taken to execute (?P<function>\S+) is (?P<seconds>\S+) sec")
SUFFIX = re.compile(r" \(TimeElapsed: (?P<seconds>\S+) sec\)$")


@pytest.fixture(autouse=True)
def extension(
    extensions_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[type[TimerExtension]]:
    for name in list(os.environ):
        if name.startswith(APP_SETTING_PREFIX):
            monkeypatch.delenv(name)
    with registered(TimerExtension):
        TimerExtension.reset()
        yield TimerExtension
    TimerExtension.reset()


def timer_logs(record: InvocationRecord) -> List[logging.LogRecord]:
    """The records the extension emitted during one invocation."""
    return [r for r in record.records if r.name == LOGGER_NAME]


def logged_time(record: InvocationRecord) -> Tuple[str, float, str]:
    """``(function name, seconds as logged, the seconds text)`` of the one timer line."""
    (line,) = timer_logs(record)
    match = LOG_LINE.match(line.getMessage())
    assert match, line.getMessage()
    return match["function"], float(match["seconds"]), match["seconds"]


def body_time(body: bytes, encoding: str = "utf-8") -> str:
    """The seconds text of the body's ``(TimeElapsed: ... sec)`` suffix."""
    match = SUFFIX.search(body.decode(encoding))
    assert match, body
    return match["seconds"]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> PerfClock:
    """The timer reads this clock instead of the real one for the test."""
    fake = PerfClock()
    monkeypatch.setattr(timer_module, "time", fake.as_time_module())
    return fake
