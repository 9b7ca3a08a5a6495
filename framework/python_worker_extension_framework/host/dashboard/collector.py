"""Collecting what each invocation did: the runtime's observer, a log handler, a span listener.

``Collector`` is the ``InvocationObserver`` the runtime calls: at the start it opens a
record (with a ``HookTrace`` for the dispatcher to fill) and marks the task as running that
invocation; at the end it files the record with the outcome and the hook timings. Log
records and spans that arrive in between find their invocation through
``observation.current_invocation()``; spans exported later (a background exporter, a span
ended when the invocation was collected) find it by trace id.

An HTTP invocation is complete only once its answer is sent: the ASGI layer
(``app.py``) opens a ``ResponseCapture`` per request; the collector links the request's
invocation to it, and the capture files the record with the response.

Detail costs time on every invocation, so it is recorded only while someone looks
(``DetailSwitch``): while a dashboard page is open, and for ``DETAIL_GRACE_SECONDS`` after
the last one closes. Otherwise an invocation keeps what its list row and figures need (the
function, request line, status, outcome, duration, attempt and error), no hook timing is
asked of the dispatcher, no log handler is installed and nobody listens to the span feed.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ...core import HookTrace
from ...core import InvocationRecord as Ended
from ...core.context import InvocationContext
from ...toolkit import span_feed
from ..loader import FunctionSpec
from ..observation import InvocationObserver, current_invocation, enter_invocation, leave_invocation
from ..runtime import FunctionTimeout, format_user_traceback
from ..system_logs import is_system_record
from .records import (
    FAILED,
    HOST,
    MAX_BODY_BYTES,
    MAX_LOG_CHARS,
    SUCCEEDED,
    SYSTEM,
    TIMED_OUT,
    USER,
    ErrorInfo,
    HookError,
    HttpExchange,
    InvocationRecord,
    LogLine,
)
from .store import InvocationStore

HOST_LOGGER_NAME = "funcext"


class ResponseCapture:
    """One HTTP request's answer, and the invocation(s) waiting for it to be filed."""

    __slots__ = ("body", "headers", "records", "size", "status")

    def __init__(self) -> None:
        self.records: List[InvocationRecord] = []
        self.status: Optional[int] = None
        self.headers: Sequence[Tuple[bytes, bytes]] = ()
        self.body = b""
        self.size = 0

    def chunk(self, body: bytes) -> None:
        self.size += len(body)
        room = MAX_BODY_BYTES - len(self.body)
        if room > 0:
            self.body += body[:room]


current_request: contextvars.ContextVar[Optional[ResponseCapture]] = contextvars.ContextVar(
    "funcext_dashboard_request", default=None
)
# The first attempt of the retried run the current task is in (the admin endpoint runs
# every attempt of one run in one task, one after another).
_current_run: contextvars.ContextVar[str] = contextvars.ContextVar(
    "funcext_dashboard_run", default=""
)


def _trace_id(context: InvocationContext) -> str:
    parts = context.trace_context.trace_parent.split("-")
    return parts[1] if len(parts) == 4 else ""


def _http_exchange(request: Any, detailed: bool) -> Optional[HttpExchange]:
    try:
        if not detailed:  # the request line only
            return HttpExchange(str(request.method), str(request.url), {}, b"", 0)
        body = request.get_body() or b""
        return HttpExchange(
            method=str(request.method),
            url=str(request.url),
            headers=request.headers,
            body=bytes(body[:MAX_BODY_BYTES]),
            body_size=len(body),
        )
    except Exception:  # not an HttpRequest after all: show the invocation without it
        return None


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class Collector(InvocationObserver):
    """Follows every invocation of one host into an ``InvocationStore``."""

    def __init__(self, store: InvocationStore) -> None:
        self.store = store
        self.active: Dict[str, InvocationRecord] = {}  # while they run
        self.detailed = False  # set by the DetailSwitch

    # -- the runtime's calls ---------------------------------------------------------------

    def started(
        self, spec: FunctionSpec, context: InvocationContext, trigger_value: Any
    ) -> Optional[HookTrace]:
        retry = context.retry_context
        retry_count = int(getattr(retry, "retry_count", 0) or 0)
        detailed = self.detailed
        record = InvocationRecord(
            id=context.invocation_id,
            function=spec.name,
            trigger=spec.trigger_type,
            started_at=time.time(),
            trace_id=_trace_id(context) if detailed else "",
        )
        max_retry_count = getattr(retry, "max_retry_count", 0)
        if max_retry_count:
            record.max_retry_count = int(max_retry_count)
        if retry_count == 0:
            record.run_id = record.id
            if max_retry_count:  # a retried run's first attempt
                _current_run.set(record.id)
        else:
            record.retry_count = retry_count
            record.run_id = _current_run.get() or record.id
            if spec.retry is not None:
                record.policy_delay = spec.retry.delay_before(retry_count)
        if spec.is_http:
            record.http = _http_exchange(trigger_value, detailed)
            capture = current_request.get()
            if capture is not None:
                capture.records.append(record)
                record.awaiting_response = True
        self.active[record.id] = record
        if not detailed:
            return None
        record.detailed = True
        record.token = enter_invocation(record.id)
        return HookTrace()

    def finished(self, outcome: Ended, trace: Optional[HookTrace]) -> None:
        record = self.active.pop(outcome.context.invocation_id, None)
        if record is None:
            return
        if record.token is not None:
            leave_invocation(record.token)
            record.token = None
        record.seconds = outcome.seconds
        exc = outcome.exception
        if exc is None:
            record.outcome = SUCCEEDED
        else:
            record.outcome = TIMED_OUT if isinstance(exc, FunctionTimeout) else FAILED
            record.error = ErrorInfo(type(exc).__name__, str(exc), format_user_traceback(exc))
        if trace is not None:
            record.hooks = trace.calls
            for call in trace.calls:
                if call.error is not None:  # its traceback holds frames: keep the text only
                    call.error = HookError(_error_text(call.error))
        if not record.awaiting_response:
            self.store.add(record)

    def responded(self, capture: ResponseCapture) -> None:
        """The answer to an HTTP request went out: file the invocation(s) it was for."""
        for record in capture.records:
            if record.http is not None:
                record.http.status = capture.status
                if record.detailed:
                    record.http.response_headers = capture.headers
                    record.http.response_body = capture.body
                    record.http.response_size = capture.size
            record.awaiting_response = False
            if record.outcome != "running":
                self.store.add(record)
            # else: the answer went out before the invocation ended (it timed out and is
            # still running in its thread); ``finished`` files it when it ends.
        capture.records.clear()

    # -- what arrives during an invocation --------------------------------------------------

    def record_for(self, trace_id: str) -> Optional[InvocationRecord]:
        """The invocation the calling code runs for, else the latest one of ``trace_id``."""
        invocation_id = current_invocation()
        if invocation_id is not None:
            record: Optional[InvocationRecord] = self.active.get(invocation_id)
            if record is not None and (not trace_id or record.trace_id == trace_id):
                return record
        if not trace_id:
            return None
        for record in list(self.active.values()):
            if record.trace_id == trace_id:
                return record
        return self.store.by_trace(trace_id)

    def spans_finished(self, spans: Sequence[span_feed.FinishedSpan]) -> None:
        """The span feed's listener: each span to its invocation."""
        for span in spans:
            record = self.record_for(span.trace_id)
            if record is not None:
                record.add_span(span)


class LogCapture(logging.Handler):
    """A root-logger handler that keeps each record on the invocation that wrote it."""

    def __init__(self, collector: Collector) -> None:
        super().__init__(logging.DEBUG)
        self.collector = collector

    def handle(self, record: logging.LogRecord) -> bool:
        """``emit`` without the handler's lock: it only appends to the invocation's list,
        and a record outside any invocation costs one lookup."""
        self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        invocation_id = current_invocation()
        if invocation_id is None:
            return
        invocation = self.collector.active.get(invocation_id)
        if invocation is None:
            return
        try:
            # The console's handler runs first and has formatted the message already.
            message = record.__dict__.get("message") or record.getMessage()
            if record.exc_info and record.exc_info[0] is not None:
                if not record.exc_text:
                    record.exc_text = logging.Formatter().formatException(record.exc_info)
                message = f"{message}\n{record.exc_text}"
        except Exception:
            message = str(record.msg)
        name = record.name
        if is_system_record(record):  # as the console sorts them
            category = SYSTEM
        elif name == HOST_LOGGER_NAME or name.startswith(HOST_LOGGER_NAME + "."):
            category = HOST
        else:
            category = USER
        invocation.add_log(
            LogLine(record.created, record.levelname, name, message[:MAX_LOG_CHARS], category)
        )


DETAIL_GRACE_SECONDS = 300.0


class DetailSwitch:
    """Records detail while a dashboard page is open, and for a grace period after the last
    one closes (a reload, a tab switched away and back), so that an idle host pays nothing
    for hook timings, log capture or span conversion."""

    def __init__(
        self,
        collector: Collector,
        log_capture: LogCapture,
        *,
        grace: float = DETAIL_GRACE_SECONDS,
    ) -> None:
        self.collector = collector
        self.log_capture = log_capture
        self.grace = grace
        self.pages = 0
        self._unsubscribe: Optional[Callable[[], None]] = None
        self._idle_timer: Optional[asyncio.TimerHandle] = None

    @property
    def on(self) -> bool:
        return self.collector.detailed

    def page_opened(self) -> None:
        self.pages += 1
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        self.turn_on()

    def page_closed(self) -> None:
        self.pages = max(self.pages - 1, 0)
        if self.pages == 0 and self.on:
            loop = asyncio.get_running_loop()
            self._idle_timer = loop.call_later(self.grace, self._idle)

    def _idle(self) -> None:
        self._idle_timer = None
        if self.pages == 0:
            self.turn_off()

    def turn_on(self) -> None:
        if self.collector.detailed:
            return
        logging.getLogger().addHandler(self.log_capture)
        self._unsubscribe = span_feed.subscribe(self.collector.spans_finished)
        self.collector.detailed = True

    def turn_off(self) -> None:
        self.collector.detailed = False
        logging.getLogger().removeHandler(self.log_capture)
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
