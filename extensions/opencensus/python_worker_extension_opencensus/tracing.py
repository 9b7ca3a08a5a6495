"""The per-invocation opencensus tracer, its spans, and the thread's tracing context.

``InvocationTracer`` is what functions get as ``context.tracer``: an
``opencensus.trace.tracer.Tracer`` in every respect users and integrations rely on
(``span()``, ``start_span()``, ``end_span()``, ``current_span()``, ``span_context``,
``propagator``), built for one invocation without the side effects of ``Tracer()``'s
constructor (which samples again and stores itself in the thread's context). A recorded
invocation gets a ``SpanRecorder`` (opencensus' ``ContextTracer`` with cheaper spans,
masked at export); an unrecorded one gets a ``SilentTracer`` (no-op ``QuietSpan``s, its
span context made only when something reads it) and costs almost nothing, while still
propagating its trace id (flag ``00``) to outgoing calls.

The thread's opencensus context (current tracer, current span, attributes) is set at the
start of an invocation and cleared at its end, so nothing from one invocation is visible
to the next one on the same pool thread.
"""

from __future__ import annotations

import functools
import threading
import time
import traceback
from typing import Any, Callable, Dict, List, Optional, Tuple

from opencensus.trace import execution_context
from opencensus.trace import utils as trace_utils
from opencensus.trace.blank_span import BlankSpan
from opencensus.trace.propagation.trace_context_http_header_format import (
    TraceContextPropagator,
)
from opencensus.trace.samplers import AlwaysOffSampler, AlwaysOnSampler
from opencensus.trace.span import (
    MAX_NUM_ANNOTATIONS,
    MAX_NUM_ATTRIBUTES,
    MAX_NUM_LINKS,
    MAX_NUM_MESSAGE_EVENTS,
    BoundedDict,
    BoundedList,
    Span,
    SpanKind,
)
from opencensus.trace.span_context import SpanContext
from opencensus.trace.span_data import SpanData
from opencensus.trace.stack_trace import StackTrace
from opencensus.trace.status import Status
from opencensus.trace.trace_options import TraceOptions
from opencensus.trace.tracer import Tracer
from opencensus.trace.tracers.base import NullContextManager
from opencensus.trace.tracers.context_tracer import ContextTracer
from opencensus.trace.tracers.noop_tracer import NoopTracer
from python_worker_extension_framework.toolkit import redaction

from .attributes import (
    ERROR_MESSAGE,
    ERROR_NAME,
    HTTP_STATUS_CODE,
    HTTP_URL,
    STACKTRACE,
)
from .propagation import Incoming, new_span_id, new_trace_id

MAX_ERROR_MESSAGE_CHARS = 8192
MAX_STACKTRACE_CHARS = 32768
_STATUS_UNKNOWN = 2  # google.rpc.Code.UNKNOWN, what opencensus uses for exceptions

_PROPAGATOR = TraceContextPropagator()
_ALWAYS_ON = AlwaysOnSampler()
_ALWAYS_OFF = AlwaysOffSampler()
_OK = Status.as_ok()
_SPAN_DATA_FIELDS = (
    "name",
    "context",
    "span_id",
    "parent_span_id",
    "attributes",
    "start_time",
    "end_time",
    "child_span_count",
    "stack_trace",
    "annotations",
    "message_events",
    "links",
    "status",
    "same_process_as_parent_span",
    "span_kind",
)
if getattr(SpanData, "_fields", None) == _SPAN_DATA_FIELDS:
    # SpanData is a namedtuple of these fields: build it from them positionally.
    _new_span_data: Callable[[Any, Tuple[Any, ...]], SpanData] = tuple.__new__
else:  # pragma: no cover - another opencensus layout: by name

    def _new_span_data(cls: Any, values: Tuple[Any, ...]) -> SpanData:
        return cls(**dict(zip(_SPAN_DATA_FIELDS, values)))


class QuietSpan(BlankSpan):  # type: ignore[misc]
    """opencensus' ``BlankSpan`` (a span that records nothing), cheaper to make: the fields
    its constructor sets to None are class defaults (reading one is the same; setting one
    sets it on the span), and its random id, empty parent, attribute dict and lists are
    made when first read (most are never read)."""

    start_time = None
    end_time = None
    stack_trace = None
    annotations = None
    message_events = None
    status = None
    same_process_as_parent_span = None
    span_kind = None

    def __init__(self, name: str, context_tracer: Any) -> None:
        self.name = name
        self.context_tracer = context_tracer

    def __getattr__(self, name: str) -> Any:
        # Only called for a field not set yet: make it as BlankSpan() would have.
        make = _QUIET_SPAN_FIELDS.get(name)
        if make is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        value = make()
        setattr(self, name, value)
        return value


_QUIET_SPAN_FIELDS: Dict[str, Callable[[], Any]] = {
    "span_id": new_span_id,
    "parent_span": NullContextManager,
    "attributes": dict,
    "links": list,
    "_child_spans": list,
}


class _QuietTracer(NoopTracer):  # type: ignore[misc]
    """opencensus' ``NoopTracer`` whose spans are ``QuietSpan``s. One is shared by every
    unrecorded invocation: it holds no state (its span context is never propagated; the
    invocation tracer's is)."""

    def span(self, name: str = "span") -> BlankSpan:
        return QuietSpan(name, self)

    def start_span(self, name: str = "span") -> BlankSpan:
        return QuietSpan(name, self)


_NOOP = _QuietTracer()

# opencensus keeps the thread's (or task's) tracer, current span and attributes in
# RuntimeContext slots; its accessor functions add three calls per read. We use the slots
# themselves when this opencensus release has them (0.11 does), its functions otherwise.
_SLOTS = tuple(
    getattr(execution_context, name, None)
    for name in ("_tracer_slot", "_current_span_slot", "_attrs_slot")
)
if all(hasattr(getattr(slot, "contextvar", None), "set") for slot in _SLOTS):
    _tracer_slot, _span_slot, _attrs_slot = _SLOTS
    # The slot's default is None: reading the variable with that default is the same.
    get_current_span: Callable[[], Any] = functools.partial(
        _span_slot.contextvar.get,  # type: ignore[union-attr]
        None,
    )
    set_current_span: Callable[[Any], None] = _span_slot.contextvar.set  # type: ignore[union-attr]
    _set_tracer = _tracer_slot.contextvar.set  # type: ignore[union-attr]
    _set_attrs = _attrs_slot.contextvar.set  # type: ignore[union-attr]
    _get_attrs = functools.partial(_attrs_slot.contextvar.get, None)  # type: ignore[union-attr]
    _DEFAULT_TRACER = _tracer_slot.default()  # type: ignore[union-attr]

    def _set_context(tracer: Any) -> None:
        _set_tracer(tracer)
        # A read is cheaper than a write: reset the span and attributes only when set.
        if get_current_span() is not None:
            set_current_span(None)
        if _get_attrs():
            _set_attrs({})

    def _clear_context() -> None:
        _set_tracer(_DEFAULT_TRACER)
        if get_current_span() is not None:
            set_current_span(None)
        if _get_attrs():
            _set_attrs({})

else:  # pragma: no cover - a different opencensus layout
    get_current_span = execution_context.get_current_span
    set_current_span = execution_context.set_current_span

    def _set_context(tracer: Any) -> None:
        execution_context.set_opencensus_full_context(tracer, None, None)

    _clear_context = execution_context.clean


# The current UTC second: its first microsecond since the epoch and its formatted text,
# recomputed once a second (strftime per timestamp is most of the cost of an opencensus
# span). Replaced as a whole tuple, so threads never see a mix.
_second_cache = (-1, "")
_time_ns = time.time_ns


def utc_timestamp() -> str:
    """Now, as opencensus writes span times: ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC."""
    global _second_cache
    micros = _time_ns() // 1000
    cached = _second_cache
    offset = micros - cached[0]
    if not 0 <= offset < 1_000_000:
        second = micros // 1_000_000
        cached = (second * 1_000_000, time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second)))
        _second_cache = cached
        offset = micros - cached[0]
    return f"{cached[1]}{offset:06d}Z"


class _Attributes(BoundedDict):  # type: ignore[misc]
    """opencensus' ``BoundedDict`` (at most 32 attributes, the oldest dropped), taking over
    a dict built for it instead of copying it (a plain dict keeps insertion order as its
    ``OrderedDict`` does), with lookups that do not go through ``KeyError``."""

    def __init__(self, initial: Optional[Dict[str, Any]] = None) -> None:
        self.maxlen = MAX_NUM_ATTRIBUTES
        self.dropped = 0
        self._lock = threading.Lock()
        if initial is None:
            self._dict: Dict[str, Any] = {}
        elif len(initial) <= MAX_NUM_ATTRIBUTES:
            self._dict = initial
        else:
            self._dict = {}
            for key, value in initial.items():
                self[key] = value

    def get(self, key: str, default: Any = None) -> Any:
        return self._dict.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._dict


class RecordedSpan(Span):  # type: ignore[misc]
    """An opencensus ``Span`` that is cheaper to create: a faster clock (same timestamp
    format), its attributes, annotation, message-event and link lists made on first use, and the
    fields that start as None class defaults (reading one is the same; setting one sets
    it on the span)."""

    start_time: Optional[str] = None
    end_time: Optional[str] = None
    _attributes: Optional[Any] = None
    stack_trace: Any = None
    same_process_as_parent_span: Optional[bool] = None
    _annotations: Optional[BoundedList] = None
    _message_events: Optional[BoundedList] = None
    _links: Optional[BoundedList] = None

    def __init__(
        self,
        name: str,
        parent_span: Any = None,
        attributes: Optional[Dict[str, Any]] = None,
        context_tracer: Any = None,
        span_kind: int = SpanKind.UNSPECIFIED,
    ) -> None:
        # Span.__init__'s fields and defaults, without building the three lists up front.
        self.name = name
        self.parent_span = parent_span
        self._attributes = None if attributes is None else _Attributes(attributes)
        self.status = _OK  # shared: set_status() replaces it, never changes it
        self.span_id = new_span_id()
        self._child_spans: List[Span] = []
        self.context_tracer = context_tracer
        self.span_kind = span_kind
        for callback in Span._on_create_callbacks:
            callback(self)

    @property
    def attributes(self) -> _Attributes:
        if self._attributes is None:
            self._attributes = _Attributes()
        return self._attributes

    @attributes.setter
    def attributes(self, value: Any) -> None:
        self._attributes = value

    @property
    def annotations(self) -> BoundedList:
        if self._annotations is None:
            self._annotations = BoundedList(MAX_NUM_ANNOTATIONS)
        return self._annotations

    @annotations.setter
    def annotations(self, value: BoundedList) -> None:
        self._annotations = value

    @property
    def message_events(self) -> BoundedList:
        if self._message_events is None:
            self._message_events = BoundedList(MAX_NUM_MESSAGE_EVENTS)
        return self._message_events

    @message_events.setter
    def message_events(self, value: BoundedList) -> None:
        self._message_events = value

    @property
    def links(self) -> BoundedList:
        if self._links is None:
            self._links = BoundedList(MAX_NUM_LINKS)
        return self._links

    @links.setter
    def links(self, value: BoundedList) -> None:
        self._links = value

    def __enter__(self) -> RecordedSpan:
        # Span.__enter__ stamps the start again; start_span() did so an instant ago.
        return self

    def start(self) -> None:
        self.start_time = utc_timestamp()

    def finish(self) -> None:
        self.end_time = utc_timestamp()


class SpanRecorder(ContextTracer):  # type: ignore[misc]
    """opencensus' ``ContextTracer`` for one recorded invocation.

    Same behaviour (spans nest through the thread's current span, each ended span is
    exported with its children), plus: spans are ``RecordedSpan``, ``http.url`` attributes
    (such as those of ``requests`` client spans) are redacted when exported, and the spans
    a function leaves open are ended with the invocation instead of being lost.
    """

    invocation_span: Optional[Span] = None  # set when opened; its http.url is masked already

    def __init__(
        self, exporter: Any, span_context: SpanContext, redactor: redaction.Redactor
    ) -> None:
        # ContextTracer.__init__ minus its defaults, with a plain lock: only `with` is used.
        self.exporter = exporter
        self.span_context = span_context
        self.trace_id = span_context.trace_id
        self.root_span_id = span_context.span_id
        self._spans_list_condition = threading.Lock()
        self._spans_list: List[Span] = []
        self.redactor = redactor

    def start_span(
        self,
        name: str = "span",
        kind: int = SpanKind.UNSPECIFIED,
        attributes: Optional[Dict[str, Any]] = None,
    ) -> RecordedSpan:
        parent = get_current_span()
        if parent is None:
            parent = NullContextManager(span_id=self.span_context.span_id)
        span = RecordedSpan(name, parent, attributes, self, kind)
        with self._spans_list_condition:
            self._spans_list.append(span)
        self.span_context.span_id = span.span_id
        set_current_span(span)
        span.start_time = utc_timestamp()
        return span

    span = start_span  # ContextTracer.span(name) is start_span(name)

    def current_span(self) -> Any:
        return get_current_span()

    def end_span(self, *args: Any, **kwargs: Any) -> Optional[Span]:
        """End the current span (ContextTracer's behaviour): export it with its children
        and make its parent current."""
        span = get_current_span()
        if span is None and self._spans_list:
            span = self._spans_list[-1]
        if span is None:
            return None
        if span.__class__ is RecordedSpan:
            span.end_time = utc_timestamp()  # what its finish() does
        else:
            span.finish()
        parent = span.parent_span
        self.span_context.span_id = parent.span_id if parent else None
        set_current_span(parent if isinstance(parent, Span) else None)
        with self._spans_list_condition:
            try:
                self._spans_list.remove(span)
            except ValueError:  # not this tracer's, or ended already
                return span
        self.exporter.export(self.get_span_datas(span))
        return span

    def start_invocation_span(self, name: str, attributes: Dict[str, Any]) -> RecordedSpan:
        """The invocation's span: SERVER kind, the root of this tracer's spans (its parent
        is the caller's span, whatever the thread's current span is), made current."""
        parent = NullContextManager(span_id=self.root_span_id)
        span = RecordedSpan(name, parent, attributes, self, SpanKind.SERVER)
        with self._spans_list_condition:
            self._spans_list.append(span)
        self.span_context.span_id = span.span_id
        set_current_span(span)
        span.start_time = utc_timestamp()
        self.invocation_span = span
        return span

    def get_span_datas(self, span: Span) -> List[SpanData]:
        if isinstance(span, RecordedSpan) and not span._child_spans:
            data = self._span_data(span)
            if span is self.invocation_span or not _may_hold_secrets(span):
                return [data]
            return [redact_span_data(data, self.redactor)]
        # A tree made with Span.span(): opencensus walks it.
        datas = super().get_span_datas(span)
        invocation_span_id = getattr(self.invocation_span, "span_id", None)
        return [
            data if data.span_id == invocation_span_id else redact_span_data(data, self.redactor)
            for data in datas
        ]

    def _span_data(self, span: RecordedSpan) -> SpanData:
        parent = span.parent_span
        # SpanData's fields in their order, without keyword arguments (half the cost).
        return _new_span_data(
            SpanData,
            (
                span.name,
                self.span_context,
                span.span_id,
                parent.span_id if parent else None,
                span._attributes or {},  # (a span nobody added an attribute to: none)
                span.start_time,
                span.end_time,
                0,  # child_span_count
                span.stack_trace,
                span._annotations or (),
                span._message_events or (),
                span._links or (),
                span.status,
                span.same_process_as_parent_span,
                span.span_kind,
            ),
        )

    def end_invocation(self, span: Span) -> None:
        """End ``span`` (the invocation's) and any span still open, then export them.

        Does not use the thread's current span, so it is correct from any thread.
        """
        with self._spans_list_condition:
            still_open, self._spans_list = self._spans_list, []
        if len(still_open) == 1 and still_open[0] is span:  # the usual case: only it is open
            span.end_time = utc_timestamp()
            self.span_context.span_id = self.root_span_id
            self.exporter.export(self.get_span_datas(span))
            return
        if span not in still_open and span.end_time is None:
            still_open.insert(0, span)  # (ended and exported already if the function ended it)
        datas: List[SpanData] = []
        for open_span in reversed(still_open):  # inner spans end before their parents
            if open_span.end_time is None:
                open_span.finish()
            datas.extend(self.get_span_datas(open_span))
        self.span_context.span_id = self.root_span_id
        self.exporter.export(datas)


class InvocationTracer(Tracer):  # type: ignore[misc]
    """The ``opencensus.trace.tracer.Tracer`` of one invocation (``context.tracer``)."""

    propagator = _PROPAGATOR  # the same for every invocation (a class default)

    def __init__(self, span_context: SpanContext, exporter: Any, inner: Any, sampler: Any) -> None:
        # Not Tracer.__init__: it would sample again, build its own ContextTracer and store
        # itself in the thread's context before the invocation's context is ready.
        self.span_context = span_context
        self.sampler = sampler
        self.exporter = exporter
        self.tracer = inner

    def span(self, name: str = "span") -> Any:
        # Tracer.span() -> ContextTracer.span() -> start_span(): the last step directly.
        return self.tracer.start_span(name)

    @property
    def recording(self) -> bool:
        """Whether this invocation's spans are recorded and exported."""
        return isinstance(self.tracer, SpanRecorder)


def _trace_options(sampled: bool) -> Any:
    # What TraceOptions("1") or ("0") builds, without parsing the byte again.
    options = TraceOptions.__new__(TraceOptions)
    options.trace_options_byte = "1" if sampled else "0"
    options.enabled = sampled
    return options


def _span_context(trace_id: str, span_id: str, sampled: bool, incoming: Optional[Incoming]) -> Any:
    # The ids are validated (or generated) already; SpanContext() would check them again.
    span_context = SpanContext.__new__(SpanContext)
    span_context.trace_id = trace_id
    span_context.span_id = span_id
    span_context.trace_options = _trace_options(sampled)
    span_context.tracestate = incoming.tracestate if incoming is not None else None
    span_context.from_header = incoming is not None
    return span_context


def recording_tracer(
    trace_id: str,
    incoming: Optional[Incoming],
    exporter: Any,
    redactor: redaction.Redactor,
) -> InvocationTracer:
    """A tracer that records this invocation's spans, children of the caller's span."""
    parent_id = incoming.parent_id if incoming is not None else None
    span_context = _span_context(trace_id, parent_id, True, incoming)  # type: ignore[arg-type]
    recorder = SpanRecorder(exporter, span_context, redactor)
    return InvocationTracer(span_context, exporter, recorder, _ALWAYS_ON)


class SilentTracer(InvocationTracer):
    """The tracer of an unrecorded invocation: its spans are ``QuietSpan``s, and its span
    context (the trace id with the not-sampled flag, the caller's span as the parent) is
    made when first read: by an outgoing call that propagates it, or by the function.
    Most unrecorded invocations never read it."""

    sampler = _ALWAYS_OFF
    tracer = _NOOP

    def __init__(self, trace_id: str, incoming: Optional[Incoming], exporter: Any) -> None:
        self._trace_id = trace_id
        self._incoming = incoming
        self.exporter = exporter

    @property
    def span_context(self) -> SpanContext:
        span_context: Optional[SpanContext] = self.__dict__.get("span_context")
        if span_context is None:
            incoming = self._incoming
            parent_id = incoming.parent_id if incoming is not None else new_span_id()
            span_context = _span_context(self._trace_id, parent_id, False, incoming)
            self.__dict__["span_context"] = span_context
        return span_context

    @span_context.setter
    def span_context(self, value: SpanContext) -> None:
        self.__dict__["span_context"] = value

    def span(self, name: str = "span") -> Any:
        return QuietSpan(name, _NOOP)


def inert_tracer() -> InvocationTracer:
    """A tracer for invocations the extension does not trace (excluded or inactive), so
    ``context.tracer.span(...)`` in a function still works; it is never made current.
    Its ids are valid, so even a header built from it by hand is well formed."""
    return SilentTracer(new_trace_id(), None, None)


# enter(tracer): make ``tracer`` the thread's current tracer, with no current span and no
# attributes. leave(): clear the thread's opencensus context (its default no-op tracer, no
# span, no attributes). (The functions themselves: no call in between.)
enter: Callable[[InvocationTracer], None] = _set_context
leave: Callable[[], None] = _clear_context


def set_http_status(span: Span, status_code: int) -> None:
    """``http.status_code`` and the span status: an error for 5xx only (a 4xx is the
    caller's mistake, not a failure of the function)."""
    span.attributes[HTTP_STATUS_CODE] = status_code  # what add_attribute() does
    if status_code >= 500:
        span.set_status(trace_utils.status_from_http_code(status_code))


def _may_hold_secrets(span: RecordedSpan) -> bool:
    """Whether ``redact_span_data`` could change this span's data: it has attributes, a
    status set by code (the shared OK status has no message), or a name with text that
    masking looks at. A bare ``with tracer.span("work"):`` span has none of them."""
    if span._attributes or span.status is not _OK:
        return True
    name = span.name
    return isinstance(name, str) and _name_may_hold_secrets(name)


def _name_may_hold_secrets(name: str) -> bool:
    return "=" in name or "%" in name or " " in name or "eyJ" in name


def redact_span_data(data: SpanData, redactor: redaction.Redactor) -> SpanData:
    """Mask secrets in a span made by other code (a ``requests`` client span, a span the
    function opened): ``http.url`` as a URL, attributes with secret names whole, other
    string attributes and the name as text (connection strings, tokens, ``name=value``)."""
    attributes = data.attributes
    items = getattr(attributes, "_dict", attributes)
    for key, value in list(items.items()):
        if not isinstance(value, str):
            continue
        if key == HTTP_URL:
            clean = redactor.url(value)
        elif redactor.is_secret_name(key):
            clean = redaction.REDACTED
        else:
            clean = redactor.text(value)
        if clean != value:
            attributes[key] = clean
    changes: Dict[str, Any] = {}
    name = data.name
    if isinstance(name, str) and _name_may_hold_secrets(name):
        clean_name = redactor.text(name)
        if clean_name != name:
            changes["name"] = clean_name
    status = data.status
    message = getattr(status, "message", None)
    if isinstance(message, str) and message:
        # A failed call's status carries the exception's message, often with the URL.
        clean_message = redactor.text(message)
        if clean_message != message:
            changes["status"] = Status(status.code, clean_message, status.details)
    return data._replace(**changes) if changes else data


def record_exception(
    span: Span, exception: BaseException, redactor: redaction.Redactor = redaction.DEFAULT
) -> None:
    """The exception's type, message and stack on the span, secrets masked (messages
    often carry the data that failed); the span status an error."""
    try:
        message = redactor.text(str(exception))
    except Exception:  # a broken __str__ must not lose the failure
        message = f"<unprintable {type(exception).__name__}>"
    stack = redactor.text(
        "".join(traceback.format_exception(type(exception), exception, exception.__traceback__))
    )
    span.add_attribute(ERROR_NAME, type(exception).__name__)
    span.add_attribute(ERROR_MESSAGE, message[:MAX_ERROR_MESSAGE_CHARS])
    span.add_attribute(STACKTRACE, stack[-MAX_STACKTRACE_CHARS:])
    if exception.__traceback__ is not None:
        span.stack_trace = StackTrace.from_traceback(exception.__traceback__)
    set_failed(span, message[:MAX_ERROR_MESSAGE_CHARS])


def set_failed(span: Span, message: str) -> None:
    """The span status an error (``UNKNOWN``, as opencensus marks exceptions) with ``message``."""
    span.set_status(Status(_STATUS_UNKNOWN, message))
