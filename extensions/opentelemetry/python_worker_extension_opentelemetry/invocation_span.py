"""The invocation span, and the spans user code starts on our provider
(``light_tracer``), recorded without the SDK's per-attribute bookkeeping, when the tracer
provider is ours.

The SDK's span validates and stores every attribute one at a time, under a lock, in a
``BoundedAttributes`` mapping: most of what an invocation span costs. The attributes the
extension records are plain strings, integers and booleans under fixed names, which that
validation always passes unchanged, so while no limit would cut them they go in a plain
dict. ``InvocationSpan`` implements the public ``opentelemetry.trace.Span`` API (what the
function's code reaches through ``trace.get_current_span()``) and is a public
``ReadableSpan``: when it ends, the provider's span processors get the span itself, with
the same content the SDK's span would have had: name, kind, parent, ids, attributes,
events, links, status, times, resource, instrumentation scope and dropped counts.

What keeps it equal to the SDK's span:

- the sampling decision, trace state and sampler attributes come from the provider's
  sampler (``should_sample``), the ids from its id generator;
- the span limits are the provider's: once a value is not a plain ``str``/``int``/
  ``float``/``bool`` under a non-empty string key, or a value-length limit is set, or the
  count limit is reached, the attributes move into the SDK's own ``BoundedAttributes`` and
  every later one is validated and bounded by it; events and links are bounded the same way;
- the processors are the provider's one active processor (what ``add_span_processor``
  feeds), called with ``on_start`` when the span starts and ``on_end`` when it ends.

A foreign provider (the worker's Azure Monitor distro) gets the SDK's span: its
processors are not ours to feed.
"""

from __future__ import annotations

import logging
import threading
import traceback
from time import time_ns
from typing import Any, Dict, Optional, Sequence, Tuple, Type, Union, cast

from opentelemetry import trace as trace_api
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanLimits, SpanProcessor
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import Decision, Sampler
from opentelemetry.sdk.util import BoundedList
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.status import Status, StatusCode
from opentelemetry.util import types

from .sampling import InvocationSampler

_logger = logging.getLogger(__name__)

# The values ``BoundedAttributes`` stores exactly as given when no value-length limit is set.
_PLAIN = frozenset({str, int, float, bool})
_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_NOT_SAMPLED = TraceFlags(TraceFlags.DEFAULT)
_UNSET = Status(StatusCode.UNSET)
_NONE: Sequence[Any] = ()


# The fields ``ReadableSpan.__init__`` sets, by argument, in the pinned SDK releases.
_READABLE_FIELDS = {
    "name": "_name",
    "context": "_context",
    "parent": "_parent",
    "resource": "_resource",
    "attributes": "_attributes",
    "events": "_events",
    "links": "_links",
    "kind": "_kind",
    "instrumentation_info": "_instrumentation_info",
    "status": "_status",
    "start_time": "_start_time",
    "end_time": "_end_time",
    "instrumentation_scope": "_instrumentation_scope",
}


def _readable_fields_known() -> bool:
    """Whether ``ReadableSpan``'s constructor stores each argument, as it is, in the field
    ``_READABLE_FIELDS`` names, and nothing else: then ``InvocationSpan`` sets those fields
    itself; an SDK release that changed them gets its constructor called."""
    try:
        given: Dict[str, Any] = {argument: object() for argument in _READABLE_FIELDS}
        probe = ReadableSpan.__new__(ReadableSpan)
        ReadableSpan.__init__(probe, **given)
        return vars(probe) == {field: given[a] for a, field in _READABLE_FIELDS.items()}
    except Exception:  # another signature: not the fields we know
        return False


_KNOWN_FIELDS = _readable_fields_known()


class InvocationSpans:
    """What the spans of one instrumentation scope share on one of our SDK tracer
    providers: its sampler, id generator, limits, resource and active span processor, and
    the scope (ours for the invocation span, a user tracer's for its spans, see
    ``light_tracer``). ``start`` starts an invocation span."""

    def __init__(
        self,
        processor: SpanProcessor,
        sampler: Sampler,
        id_generator: IdGenerator,
        limits: SpanLimits,
        resource: Resource,
        scope: InstrumentationScope,
        instrumentation_info: Any = None,
    ) -> None:
        self.processor = processor
        self.sampler = sampler
        self.id_generator = id_generator
        self.limits = limits
        self.resource = resource
        self.scope = scope
        self.instrumentation_info = instrumentation_info
        # Our own sampler's decision-only entry (``InvocationSampler.decide``): the same
        # decisions and trace state as ``should_sample``, without building its result (it
        # hands back the attributes it is given and ignores the rest). None for any other
        # sampler, which is asked through ``should_sample``.
        self.decide = sampler.decide if isinstance(sampler, InvocationSampler) else None

    def start(
        self,
        name: str,
        parent_context: Context,
        parent: Optional[SpanContext],
        kind: SpanKind,
        attributes: Optional[Dict[str, Any]],
        start_time: int,
    ) -> trace_api.Span:
        """A started span (``InvocationSpan``), or a ``NonRecordingSpan`` when the sampler
        says not to record; ``parent`` is the span context in ``parent_context`` (or None),
        ``attributes`` a fresh dict the span may keep."""
        trace_id = self.id_generator.generate_trace_id() if parent is None else parent.trace_id
        context, records, values = self.sampled(
            parent_context, parent, trace_id, name, kind, attributes, ()
        )
        if not records:
            return trace_api.NonRecordingSpan(context)
        # ``values``: the fresh dict given, or a new one of the sampler's.
        own = {} if values is None else cast(Dict[str, Any], values)
        span = InvocationSpan(self, name, context, parent, kind, own, start_time)
        # Processors are typed for the SDK's span; they get the same API and properties.
        self.processor.on_start(span, parent_context=parent_context)  # type: ignore[arg-type]
        return span

    def sampled(
        self,
        parent_context: Optional[Context],
        parent: Optional[SpanContext],
        trace_id: int,
        name: str,
        kind: SpanKind,
        attributes: types.Attributes,
        links: Optional[Sequence[Link]],
    ) -> Tuple[SpanContext, bool, types.Attributes]:
        """The sampler's decision for a new span: ``(its context, whether it records, the
        attributes it starts with)``. Our own sampler gives its decision alone and the
        attributes are those given; any other is asked through ``should_sample``, and the
        attributes are a new dict of the ones it returns."""
        decide = self.decide
        if decide is not None:
            keep, state = decide(parent, trace_id)
            flags, records, values = (_SAMPLED if keep else _NOT_SAMPLED), keep, attributes
        else:
            result = self.sampler.should_sample(
                parent_context, trace_id, name, kind, attributes, links
            )
            decision = result.decision
            flags = _SAMPLED if decision is Decision.RECORD_AND_SAMPLE else _NOT_SAMPLED
            records, values = decision is not Decision.DROP, dict(result.attributes)
            state = result.trace_state
        context = SpanContext(trace_id, self.id_generator.generate_span_id(), False, flags, state)
        return context, records, values


class InvocationSpan(trace_api.Span, ReadableSpan):
    """A recording span, the invocation's or one user code starts on our provider
    (``light_tracer``): processors and the function's code use it as the SDK's span (the
    ``opentelemetry.trace.Span`` API, and ``ReadableSpan``'s properties); ``end()`` hands
    the span itself, from then on unchangeable, to the provider's processors."""

    # What ``with span:`` does with an exception leaving the block (``Tracer.start_span``'s
    # flags); an instance that was told otherwise holds its own.
    _record_exception = True
    _set_status_on_exception = True
    # What a span starts with, until it ends or is given events, links or a status (the
    # fields ``ReadableSpan``'s properties read, when ``_KNOWN_FIELDS``).
    _end_time: Optional[int] = None
    _events: Any = _NONE
    _links: Any = _NONE
    _status: Status = _UNSET

    def __init__(
        self,
        spans: InvocationSpans,
        name: str,
        context: SpanContext,
        parent: Optional[SpanContext],
        kind: SpanKind,
        attributes: Dict[str, Any],
        start_time: int,
        *,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> None:
        if _KNOWN_FIELDS:
            # The fields ``ReadableSpan``'s constructor sets (checked once, at import), set
            # directly: its call with a dozen keyword arguments costs more than the span's
            # other work. The end time, events, links and status start as the class's.
            self._name = name
            self._context = context
            self._kind = kind
            self._instrumentation_info = spans.instrumentation_info
            self._instrumentation_scope = spans.scope
            self._parent = parent
            self._start_time = start_time
            self._resource = spans.resource
        else:
            # ``ReadableSpan``'s own constructor sets the fields its properties read,
            # whatever an SDK release names them; events, links and attributes may be
            # replaced below.
            ReadableSpan.__init__(
                self,
                name=name,
                context=context,
                parent=parent,
                resource=spans.resource,
                events=_NONE,
                links=_NONE,
                kind=kind,
                instrumentation_info=spans.instrumentation_info,
                status=_UNSET,
                start_time=start_time,
                instrumentation_scope=spans.scope,
            )
        self._spans = spans
        self._lock = threading.RLock()  # re-entered: the safety net may run inside a call
        if not record_exception:
            self._record_exception = False
        if not set_status_on_exception:
            self._set_status_on_exception = False
        limits = spans.limits
        self._count_limit: Optional[int] = limits.max_span_attributes
        if limits.max_span_attribute_length is not None or (
            self._count_limit is not None and len(attributes) > self._count_limit
        ):
            self._attributes: Any = self._bounded(attributes)
        else:
            self._attributes = attributes

    def __repr__(self) -> str:
        return f'{type(self).__name__}(name="{self._name}", context={self._context})'

    def _bounded(self, attributes: Any) -> BoundedAttributes:
        limits = self._spans.limits
        return BoundedAttributes(
            limits.max_span_attributes,
            attributes,
            immutable=False,
            max_value_len=limits.max_span_attribute_length,
        )

    # -- the Span API -----------------------------------------------------------------------

    def get_span_context(self) -> SpanContext:
        return cast(SpanContext, self._context)

    def is_recording(self) -> bool:
        return self._end_time is None

    def set_attributes(self, attributes: Dict[str, types.AttributeValue]) -> None:
        with self._lock:
            if self._end_time is not None:
                _logger.warning("Setting attribute on ended span.")
                return
            for key, value in attributes.items():
                self._store(key, value)

    def set_attribute(self, key: str, value: types.AttributeValue) -> None:
        with self._lock:
            if self._end_time is not None:
                _logger.warning("Setting attribute on ended span.")
                return
            self._store(key, value)

    def _store(self, key: str, value: Any) -> None:
        """One attribute, as ``BoundedAttributes`` would store it (called with the lock)."""
        stored = self._attributes
        if stored.__class__ is dict and key.__class__ is str and key and value.__class__ in _PLAIN:
            # A plain value under a non-empty string key: kept as it is; one set again
            # moves last, as in ``BoundedAttributes``.
            if key in stored:
                del stored[key]
                stored[key] = value
                return
            limit = self._count_limit
            if limit is None or len(stored) < limit:
                stored[key] = value
                return
        if stored.__class__ is dict:  # from now on, validated and bounded by the SDK's own
            stored = self._attributes = self._bounded(stored)
        stored[key] = value

    def add_event(
        self,
        name: str,
        attributes: types.Attributes = None,
        timestamp: Optional[int] = None,
    ) -> None:
        limits = self._spans.limits
        event = Event(
            name,
            BoundedAttributes(
                limits.max_event_attributes, attributes, max_value_len=limits.max_attribute_length
            ),
            timestamp,
        )
        with self._lock:
            if self._end_time is not None:
                _logger.warning("Tried calling add_event on an ended span.")
                return
            if not isinstance(self._events, BoundedList):
                self._events = BoundedList(limits.max_events)  # type: ignore[arg-type]
            self._events.append(event)

    def add_link(self, context: SpanContext, attributes: types.Attributes = None) -> None:
        # A link needs a valid context, or at least attributes or a trace state to carry.
        if not (context and (context.is_valid or attributes or context.trace_state)):
            return
        limits = self._spans.limits
        link = Link(
            context,
            BoundedAttributes(
                limits.max_link_attributes, attributes, max_value_len=limits.max_attribute_length
            ),
        )
        with self._lock:
            if self._end_time is not None:
                _logger.warning("Tried calling add_link on an ended span.")
                return
            if not isinstance(self._links, BoundedList):
                self._links = BoundedList(limits.max_links)  # type: ignore[arg-type]
            self._links.append(link)

    def update_name(self, name: str) -> None:
        with self._lock:
            if self._end_time is not None:
                _logger.warning("Tried calling update_name on an ended span.")
                return
            self._name = name

    def set_status(
        self, status: Union[Status, StatusCode], description: Optional[str] = None
    ) -> None:
        with self._lock:
            if self._end_time is not None:
                _logger.warning("Tried calling set_status on an ended span.")
                return
            # An OK status is final; UNSET is never set.
            if self._status.status_code is StatusCode.OK:
                return
            if isinstance(status, Status):
                if status.status_code is StatusCode.UNSET:
                    return
                if description is not None:
                    _logger.warning(
                        "Description %s ignored. Use either `Status` or "
                        "`(StatusCode, Description)`",
                        description,
                    )
                self._status = status
            elif isinstance(status, StatusCode):
                if status is StatusCode.UNSET:
                    return
                self._status = Status(status, description)

    def record_exception(
        self,
        exception: BaseException,
        attributes: types.Attributes = None,
        timestamp: Optional[int] = None,
        escaped: bool = False,
    ) -> None:
        kind = type(exception)
        module, qualname = kind.__module__, kind.__qualname__
        details: Dict[str, Any] = {
            "exception.type": f"{module}.{qualname}"
            if module and module != "builtins"
            else qualname,
            "exception.message": str(exception),
            "exception.stacktrace": "".join(
                traceback.format_exception(kind, exception, exception.__traceback__)
            ),
            "exception.escaped": str(escaped),
        }
        if attributes:
            details.update(attributes)
        self.add_event("exception", details, timestamp)

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_val: Optional[BaseException],
        exc_tb: Any,
    ) -> None:
        if exc_val is not None and exc_type is not None and self.is_recording():
            if self._record_exception:
                self.record_exception(exc_val, escaped=True)
            if self._set_status_on_exception:
                self.set_status(Status(StatusCode.ERROR, f"{exc_type.__name__}: {exc_val}"))
        self.end()

    def end(self, end_time: Optional[int] = None) -> None:
        with self._lock:
            if self._end_time is not None:
                _logger.warning("Calling end() on an ended span.")
                return
            self._end_time = end_time if end_time is not None else time_ns()
        # The span itself, not a ``ReadableSpan`` copy: from now on every mutator refuses
        # (they all check ``_end_time`` under the lock set above), so what processors,
        # exporters and the span feed read no longer changes.
        self._spans.processor.on_end(self)
