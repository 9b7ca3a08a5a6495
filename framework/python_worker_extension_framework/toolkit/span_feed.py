"""A feed of finished spans for local viewers such as the host's dashboard.

Tracing extensions publish every span they finish here, whatever exporter they use: the
OpenCensus extension from its exporter guard, an OpenTelemetry extension from a span
processor's ``on_end``. Whoever wants to show spans (``funcext start``'s dashboard)
subscribes. Nothing subscribes in Azure, and ``listening()`` is one tuple truth test, so a
publisher asks it first and builds no ``FinishedSpan`` when nobody listens::

    from python_worker_extension_framework.toolkit import span_feed

    def on_end(self, span):                       # an OpenTelemetry SpanProcessor
        if span_feed.listening():
            span_feed.publish([span_feed.from_opentelemetry(span)])

Listeners run on the publishing thread (an invocation's, or an exporter's); one that
raises is logged once and never reaches the publisher.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence, Set, Tuple

__all__ = [
    "FinishedSpan",
    "Listener",
    "SpanEvent",
    "from_opentelemetry",
    "listening",
    "publish",
    "subscribe",
]

_log = logging.getLogger(__name__)


@dataclass
class SpanEvent:
    """A timed note inside a span (an OpenCensus annotation, an OpenTelemetry event)."""

    time: float  # seconds since the epoch
    name: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class FinishedSpan:
    """One ended span, in the shape both tracing libraries can fill; read-only once published.

    Ids are lower-case hex (32 digits for the trace, 16 for spans); times are seconds
    since the epoch; ``source`` names the library (``"opencensus"``, ``"opentelemetry"``).
    Attribute values are what the extension recorded, already redacted by it; the mapping
    may be the library's own (a finished span's attributes no longer change), so listeners
    must not change it. Not frozen: publishing sits on the invocation's path, and a frozen
    dataclass costs a ``object.__setattr__`` per field.
    """

    name: str
    trace_id: str
    span_id: str
    parent_span_id: Optional[str]
    start: float
    end: float
    kind: str = "internal"
    failed: bool = False
    status_message: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict)
    events: Tuple[SpanEvent, ...] = ()
    source: str = ""

    @property
    def seconds(self) -> float:
        return max(self.end - self.start, 0.0)


Listener = Callable[[Sequence[FinishedSpan]], None]

_listeners: Tuple[Listener, ...] = ()
_lock = threading.Lock()
_complained: Set[int] = set()


def listening() -> bool:
    """Whether anyone listens: publishers check this before building spans."""
    return bool(_listeners)


def publish(spans: Sequence[FinishedSpan]) -> None:
    """Hand ``spans`` to every listener; never raises."""
    for listener in _listeners:
        try:
            listener(spans)
        except Exception:
            if id(listener) not in _complained:
                _complained.add(id(listener))
                _log.warning("A span feed listener failed; spans may be missing", exc_info=True)


def subscribe(listener: Listener) -> Callable[[], None]:
    """Start calling ``listener`` with published spans; returns the function that stops it."""
    global _listeners
    with _lock:
        _listeners = (*_listeners, listener)

    def unsubscribe() -> None:
        global _listeners
        with _lock:
            _listeners = tuple(known for known in _listeners if known is not listener)

    return unsubscribe


_OTEL_KINDS = {0: "internal", 1: "server", 2: "client", 3: "producer", 4: "consumer"}
_OTEL_ERROR = 2  # opentelemetry.trace.StatusCode.ERROR


def from_opentelemetry(span: Any) -> FinishedSpan:
    """A ``FinishedSpan`` from an OpenTelemetry SDK ``ReadableSpan`` (read by attribute
    names, so the framework needs no OpenTelemetry import)."""
    context = span.context
    parent = getattr(span, "parent", None)
    status = getattr(span, "status", None)
    kind = getattr(span, "kind", None)
    kind_value = getattr(kind, "value", kind)
    code = getattr(getattr(status, "status_code", None), "value", None)
    end = span.end_time if span.end_time is not None else span.start_time
    return FinishedSpan(
        name=str(span.name),
        trace_id=format(context.trace_id, "032x"),
        span_id=format(context.span_id, "016x"),
        parent_span_id=format(parent.span_id, "016x") if parent is not None else None,
        start=span.start_time / 1e9,
        end=end / 1e9,
        kind=_OTEL_KINDS.get(kind_value, str(kind_value)) if kind_value is not None else "internal",
        failed=code == _OTEL_ERROR,
        status_message=str(getattr(status, "description", "") or ""),
        attributes=dict(span.attributes or {}),
        events=tuple(
            SpanEvent(event.timestamp / 1e9, str(event.name), dict(event.attributes or {}))
            for event in (getattr(span, "events", None) or ())
        ),
        source="opentelemetry",
    )
