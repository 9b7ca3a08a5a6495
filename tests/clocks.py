"""A stand-in for ``time.perf_counter`` that tests move forward instead of sleeping.

Extensions time an invocation with ``time.perf_counter()`` read through their module's
``time``; a test replaces that module attribute with ``clock.as_time_module()``, and the
function under test calls ``clock.advance(seconds)`` where it would have slept. The time an
extension reports is then known exactly, and no test waits or asserts a wall-clock duration.
Each thread has its own reading, since a function and its hooks run in one thread: concurrent
invocations each see only their own advances.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace


class PerfClock:
    def __init__(self) -> None:
        self._local = threading.local()

    def perf_counter(self) -> float:
        return float(getattr(self._local, "now", 0.0))

    def advance(self, seconds: float) -> None:
        self._local.now = self.perf_counter() + seconds

    def as_time_module(self) -> SimpleNamespace:
        """What to put in place of a module's ``time`` (it reads only ``perf_counter``)."""
        return SimpleNamespace(perf_counter=self.perf_counter)
