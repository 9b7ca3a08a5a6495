"""The exit deadline: once the host is asked to stop, the process is gone within
``--shutdown-timeout`` seconds, whatever still runs.

A graceful stop waits for running invocations and lets exporters flush, each bounded. But
much can outlive it: an exporter's own exit-time flush (``atexit``) blocked on an endpoint
that accepts connections and never answers, a sync function still running in its pool
thread (the interpreter joins those threads at exit), a thread an app started. The
deadline is a daemon thread started at the first stop request; if the process is still
alive when it expires, it says so and ends the process with ``os._exit``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from typing import Callable, Optional

from . import console

FORCED_EXIT_CODE = 1
log = logging.getLogger(console.LOGGER_NAME)


def _force_exit(seconds: float) -> None:
    log.warning(
        "The host did not exit within --shutdown-timeout (%gs): something still runs (an "
        "exporter waiting on its endpoint, a function that has not returned). Exiting now; "
        "what it had not sent is lost.",
        seconds,
    )
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed console must not stop the exit
            stream.flush()
    os._exit(FORCED_EXIT_CODE)


class ExitDeadline:
    """``start()`` at the first stop request; the process ends ``seconds`` later at most."""

    def __init__(
        self,
        seconds: float,
        *,
        on_expiry: Optional[Callable[[float], None]] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = max(float(seconds), 0.0)
        self._on_expiry = on_expiry or _force_exit
        self._clock = clock
        self._ends: Optional[float] = None
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        return self._ends is not None

    def start(self) -> None:
        """Start the countdown (later calls do nothing: the first stop request counts)."""
        with self._lock:
            if self._ends is not None:
                return
            self._ends = self._clock() + self.seconds
        threading.Thread(target=self._wait, name="funcext-exit-deadline", daemon=True).start()

    def remaining(self) -> float:
        """Seconds left before the forced exit (all of them until ``start()``)."""
        if self._ends is None:
            return self.seconds
        return max(self._ends - self._clock(), 0.0)

    def _wait(self) -> None:
        while True:
            left = self.remaining()
            if left <= 0:
                break
            time.sleep(min(left, 0.25))
        self._on_expiry(self.seconds)


__all__ = ["FORCED_EXIT_CODE", "ExitDeadline"]
