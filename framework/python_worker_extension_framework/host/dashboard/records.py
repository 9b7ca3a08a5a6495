"""What the dashboard keeps of one invocation: raw, bounded, and holding no live object.

A record keeps strings, numbers and small tuples only: never the context, the request
object or the exception (whose traceback would keep the invocation's frames, and with them
its context, alive). Values are kept as the invocation saw them; ``views.py`` redacts them
when a browser asks, so an unwatched host spends nothing on redaction. Every list has a
cap, so a chatty function cannot grow a record without bound.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import Any, List, Mapping, NamedTuple, Optional, Sequence, Tuple

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
    type: str
    message: str
    traceback: str


@dataclass
class InvocationRecord:
    """One invocation, from its start to its answer."""

    id: str
    function: str
    trigger: str
    started_at: float  # seconds since the epoch
    trace_id: str
    retry_count: int = 0
    max_retry_count: int = 0
    run_id: str = ""  # the first attempt's id: every attempt of one retried run shares it
    policy_delay: Optional[float] = None  # the policy's wait before this attempt
    seq: int = 0  # order of completion, set by the store
    outcome: str = RUNNING
    seconds: float = 0.0
    http: Optional[HttpExchange] = None
    awaiting_response: bool = False  # an HTTP invocation is complete once its answer is sent
    detailed: bool = False  # hooks, log lines, spans and bodies were recorded (a page was open)
    error: Optional[ErrorInfo] = None
    hooks: List[HookCall] = field(default_factory=list)  # the dispatcher's, in call order
    logs: List[LogLine] = field(default_factory=list)
    logs_dropped: int = 0
    spans: List[FinishedSpan] = field(default_factory=list)
    spans_dropped: int = 0
    token: Optional[contextvars.Token[Any]] = field(default=None, repr=False)
    summary_cache: Optional[Any] = field(default=None, repr=False)

    @property
    def failed(self) -> bool:
        return self.outcome in (FAILED, TIMED_OUT) or (
            self.http is not None and self.http.status is not None and self.http.status >= 500
        )

    def add_log(self, line: LogLine) -> None:
        if len(self.logs) < MAX_LOG_LINES:
            self.logs.append(line)
        else:
            self.logs_dropped += 1

    def add_span(self, span: FinishedSpan) -> None:
        if len(self.spans) < MAX_SPANS:
            self.spans.append(span)
        else:
            self.spans_dropped += 1
