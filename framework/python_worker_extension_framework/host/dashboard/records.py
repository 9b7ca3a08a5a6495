"""What the dashboard keeps of one invocation: raw, bounded, and holding no live object.

A record keeps strings, numbers and small tuples only: never the context, the request
object or the exception (whose traceback would keep the invocation's frames, and with them
its context, alive). Values are kept as the invocation saw them; ``views.py`` redacts them
when a browser asks, so an unwatched host spends nothing on redaction. Every list has a
cap, so a chatty function cannot grow a record without bound.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple, Optional, Sequence, Tuple

from ...core import HookCall
from ...toolkit.span_feed import FinishedSpan

MAX_LOG_LINES = 200
MAX_LOG_CHARS = 4000
MAX_SPANS = 200
MAX_BODY_BYTES = 4096

RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
TIMED_OUT = "timeout"

# Where a log line came from, as Azure sorts them: the worker's own loggers (and the
# loggers it gives extensions' hooks) are System logs; the host's console lines are the
# host's; everything else is the user's.
SYSTEM = "system"
HOST = "host"
USER = "user"


@dataclass
class HttpExchange:
    """The HTTP side of an invocation: the request as it arrived, the response as sent.

    Headers are kept as they came (the request's mapping, the response's ASGI byte pairs)
    and decoded only when shown."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes  # the first MAX_BODY_BYTES
    body_size: int
    status: Optional[int] = None
    response_headers: Sequence[Tuple[bytes, bytes]] = ()
    response_body: bytes = b""
    response_size: int = 0


class LogLine(NamedTuple):
    time: float
    level: str
    logger: str
    message: str
    category: str  # SYSTEM, HOST or USER


class HookError(Exception):
    """A hook's exception as text: kept instead of the exception, whose traceback would
    hold the invocation's frames."""


@dataclass
class ErrorInfo:
    """The exception an invocation ended with, as text (never the exception object)."""

    type: str
    message: str
    traceback: str


class InvocationRecord:
    """One invocation, from its start to its answer.

    A plain class whose rarely-set fields are class-level defaults: a record is made on
    every invocation, so it sets only what that invocation has (five fields when nobody
    watches)."""

    retry_count = 0
    max_retry_count = 0
    run_id = ""  # the first attempt's id: every attempt of one retried run shares it
    policy_delay: Optional[float] = None  # the policy's wait before this attempt
    seq = 0  # order of completion, set by the store
    outcome = RUNNING
    seconds = 0.0
    http: Optional[HttpExchange] = None
    awaiting_response = False  # an HTTP invocation is complete once its answer is sent
    detailed = False  # hooks, log lines, spans and bodies were recorded (a page was open)
    error: Optional[ErrorInfo] = None
    hooks: Sequence[HookCall] = ()  # the dispatcher's, in call order
    logs: Sequence[LogLine] = ()
    logs_dropped = 0
    spans: Sequence[FinishedSpan] = ()
    spans_dropped = 0
    token: Optional[contextvars.Token[Any]] = None
    summary_cache: Optional[Any] = None

    def __init__(
        self, *, id: str, function: str, trigger: str, started_at: float, trace_id: str = ""
    ) -> None:
        self.id = id
        self.function = function
        self.trigger = trigger
        self.started_at = started_at  # seconds since the epoch
        self.trace_id = trace_id

    @property
    def failed(self) -> bool:
        return self.outcome in (FAILED, TIMED_OUT) or (
            self.http is not None and self.http.status is not None and self.http.status >= 500
        )

    def add_log(self, line: LogLine) -> None:
        logs = self.logs
        if not isinstance(logs, list):
            logs = self.logs = []
        if len(logs) < MAX_LOG_LINES:
            logs.append(line)
        else:
            self.logs_dropped += 1

    def add_span(self, span: FinishedSpan) -> None:
        spans = self.spans
        if not isinstance(spans, list):
            spans = self.spans = []
        if len(spans) < MAX_SPANS:
            spans.append(span)
        else:
            self.spans_dropped += 1
