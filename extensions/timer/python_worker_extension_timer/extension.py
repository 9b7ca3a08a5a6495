"""``TimerExtension``: how long each invocation took, in the log and optionally the response.

The pre hook notes ``time.perf_counter()`` on the invocation (the framework keeps it on
the invocation's context, so concurrent invocations never share it and a failed one
leaves nothing behind). The post hook logs the elapsed seconds and, when configured,
reports them in the HTTP response; the framework's error phase logs failures too.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, ClassVar, Optional

from python_worker_extension_framework.toolkit import Invocation, Settings, WorkerExtension, logs

from .options import OPTIONS, Plan
from .response import find_response, report

LOGGER_NAME = "python_worker_extension_timer"
LOG_FORMAT = "Time taken to execute %s is %s sec"
ERROR_LOG_FORMAT = LOG_FORMAT + " (raised %s)"
_STARTED = "started"
_DEFAULT_PLAN = Plan()


class TimerExtension(WorkerExtension):
    """Logs ``Time taken to execute <function> is <seconds> sec`` for every invocation.

    Configure once, after the import, in ``function_app.py`` or a function's
    ``__init__.py``::

        from python_worker_extension_timer import TimerExtension
        TimerExtension.configure(append_to_http_response=True)

    Options (each also read from the app setting ``PYTHON_WORKER_EXTENSION_TIMER_<NAME>``
    when not passed; ``configure()`` checks them and raises naming the bad one):

    - ``append_to_http_response`` (bool, False): append `` (TimeElapsed: <seconds> sec)``
      to ``text/*`` response bodies and set ``X-Time-Elapsed: <seconds>`` on every HTTP
      response; other bodies (JSON, binary) are never changed.
    - ``add_server_timing_header`` (bool, False): add ``<metric>;dur=<milliseconds>`` to
      the ``Server-Timing`` response header.
    - ``server_timing_metric`` (str, ``"function"``): that metric's name.
    - ``slow_threshold_ms`` (float or None): slower invocations log at WARNING, not INFO.
    - ``only`` / ``exclude``: function names (or a predicate) to time or to skip.

    Unconfigured, it logs only. Limitations: a ``str`` return value cannot be changed in
    place (log only); the worker runs no post hook for a function that raises, so
    failures are logged only where the framework's error phase runs.
    """

    log_name = LOGGER_NAME
    options = OPTIONS
    _plan: ClassVar[Optional[Plan]] = None

    @classmethod
    def _on_configure(cls, settings: Settings) -> None:
        cls._plan = Plan.from_settings(settings)

    @classmethod
    def _on_reset(cls) -> None:
        cls._plan = None

    @classmethod
    def _on_pre_invocation(cls, invocation: Invocation) -> None:
        invocation.data[_STARTED] = time.perf_counter()

    @classmethod
    def _on_post_invocation(cls, invocation: Invocation, result: Any) -> None:
        # ``_elapsed`` and ``_level`` written out: this runs on every invocation.
        started: Optional[float] = invocation.data.get(_STARTED)
        if started is None:
            return
        seconds = time.perf_counter() - started
        plan = cls._plan or _DEFAULT_PLAN
        threshold = plan.slow_threshold_seconds
        logs.emit(
            cls.log,
            logging.WARNING if threshold is not None and seconds > threshold else logging.INFO,
            LOG_FORMAT,
            (invocation.function_name, seconds),
            sys._getframe(),
        )
        if plan.touches_response:
            response = find_response(result, invocation.func_args)
            if response is not None:
                report(response, seconds, plan)

    @classmethod
    def _on_invocation_error(cls, invocation: Invocation, exception: BaseException) -> None:
        seconds = _elapsed(invocation)
        if seconds is None:
            return
        plan = cls._plan or _DEFAULT_PLAN
        logs.emit(
            cls.log,
            _level(plan, seconds),
            ERROR_LOG_FORMAT,
            (invocation.function_name, seconds, type(exception).__name__),
            sys._getframe(),
        )


def _elapsed(invocation: Invocation) -> Optional[float]:
    """Seconds since the pre hook; None when it did not run for this invocation (the
    extension was imported while the invocation was already under way)."""
    started: Optional[float] = invocation.data.get(_STARTED)
    if started is None:
        return None
    return time.perf_counter() - started


def _level(plan: Plan, seconds: float) -> int:
    threshold = plan.slow_threshold_seconds
    return logging.WARNING if threshold is not None and seconds > threshold else logging.INFO
