"""``RequestLoggingExtension``: one record per invocation, on the extension's own logger.

The pre hook only notes the start time (``time.perf_counter``) on the invocation. The
post hook, and the framework's error phase for a function that raised, decide whether
to log (level enabled, path not excluded, sampled) before building anything, so a record
that nobody will see costs next to nothing.
"""

from __future__ import annotations

import sys
import time
from typing import Any, ClassVar, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from python_worker_extension_framework.toolkit import (
    Invocation,
    Settings,
    WorkerExtension,
    http,
    logs,
    traceparent,
)
from python_worker_extension_framework.toolkit.triggers import find_trigger

from . import sampling
from .options import OPTIONS, Plan
from .record import build, ending_of

LOGGER_NAME = "python_worker_extension_request_logging"
RECORD_ATTRIBUTE = "request_log"
_STARTED = "started"


class RequestLoggingExtension(WorkerExtension):
    """Logs one safe, structured record per invocation after it ends.

    Configure once, after the import, in ``function_app.py`` or a function's
    ``__init__.py``::

        from python_worker_extension_request_logging import RequestLoggingExtension
        RequestLoggingExtension.configure(format="json", exclude_paths=["/api/health"])

    Unconfigured, it logs every invocation as one text line at INFO (WARNING for 4xx,
    ERROR for 5xx), with no headers and no bodies. The options, their app settings and
    the record's keys are in the readme. Failures are logged only where the framework's
    error phase runs (its dispatcher, or functions wrapped with ``with_extensions``): the
    worker itself runs no post hook for a function that raises.
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
    def _on_invocation_error(cls, invocation: Invocation, exception: BaseException) -> None:
        cls._log(invocation, None, exception)

    @classmethod
    def _log(
        cls, invocation: Invocation, result: Any, exception: Optional[BaseException] = None
    ) -> None:
        """Log the ended invocation (the post hook's step itself, so no call in between)."""
        ended = time.perf_counter()
        plan = cls._plan
        if plan is None:
            cls.settings()  # resolves app settings and defaults (and the plan) when unconfigured
            plan = cls._plan
            if plan is None:
                return
        func_args = invocation.func_args
        trigger, value = find_trigger(func_args)
        request = value if trigger == "http" else None
        ending = ending_of(request, result, exception, func_args)
        level = plan.levels[ending.outcome]
        log = cls.log
        if not log.isEnabledFor(level):
            return
        url: Tuple[str, str] = ("", "")
        headers: Optional[Mapping[str, str]] = None
        if request is not None:
            parts = urlsplit(request.url)
            url = (parts.path, parts.query)
            if plan.excluded_path is not None and plan.excluded_path(parts.path):
                return
            # The SDK's headers as their plain lower-cased dict when they are the SDK's own.
            headers = http.header_table(request.headers) or request.headers
        raw_parent = traceparent.header_of(invocation.context)
        trace_id = traceparent.trace_id_in(raw_parent)
        if ending.outcome == "success" and not sampling.keep_success(
            plan.trace_sampling, plan.sample_rate, headers, raw_parent, trace_id
        ):
            return
        started = invocation.data.get(_STARTED)
        duration_ms = round((ended - started) * 1000.0, 3) if started is not None else None
        try:
            record, message = build(
                invocation,
                plan,
                trigger,
                request,
                headers,
                url,
                ending,
                exception,
                duration_ms,
                trace_id,
            )
        except Exception as exc:  # never let a request's content break or leak through
            log.error(
                "request record for %s (invocation %s) could not be built: %s",
                invocation.function_name,
                invocation.invocation_id,
                type(exc).__name__,
            )
            return
        # ``logs.emit`` with ``extra={**record, RECORD_ATTRIBUTE: record}``, without the
        # second level check and the merged copy: the record's keys are fixed and never
        # clash with a ``LogRecord``'s own attributes.
        log_record = logs.make_record(log, level, "%s", (message,), sys._getframe())
        attributes = log_record.__dict__
        attributes.update(record)
        attributes[RECORD_ATTRIBUTE] = record
        log.handle(log_record)

    _on_post_invocation = _log  # after the function returned: ``_log(invocation, result)``
