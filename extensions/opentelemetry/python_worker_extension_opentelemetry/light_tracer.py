"""The tracer user code (and instrumentations) get from our own tracer provider: it starts
the light spans the invocation span is (``InvocationSpan``), not the SDK's.

What an SDK span costs is mostly its per-attribute bookkeeping, the copy built when it
ends, and the two generator context managers around ``start_as_current_span``. A
``LightTracer`` does what the SDK's ``Tracer`` does, for everything the public API lets a
caller do, on the same provider parts (sampler, id generator, limits, resource, active
span processor):

- ``start_span``: the parent is the span in ``context`` (or the current context); an
  invalid one starts a new trace with no parent. The sampler gets the name, kind,
  attributes and links; what it says to record becomes an ``InvocationSpan``, what it
  drops a ``NonRecordingSpan``. Attributes and links are validated and bounded by the
  provider's limits (through the span's own ``set_attributes`` and ``add_link``, which
  keep what the SDK keeps, in the same order, with the same dropped counts); the span
  carries this tracer's instrumentation scope and ``instrumentation_info``; the active
  processor's ``on_start`` sees it complete.
- ``start_as_current_span``: a ``CurrentSpan`` context manager doing what
  ``trace.use_span`` does around the span (an ``Exception`` leaving the block is recorded
  and sets an error status, as asked; the span ends when ``end_on_exit``; the context is
  always detached), usable as a decorator of sync and async functions, as the SDK's.

What differs: the span is not an instance of ``opentelemetry.sdk.trace.Span`` (it is an
``opentelemetry.trace.Span`` and a ``ReadableSpan``); the links a span starts with are new
``Link`` objects (the SDK rebounds the attributes of the caller's own ones); an exception
recorded as it leaves a ``start_as_current_span`` block has a stack trace without the
SDK's context-manager frames.
"""

from __future__ import annotations

import asyncio
import functools
from time import time_ns
from typing import Any, Callable, Optional, Sequence, Tuple, cast

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits, SpanProcessor
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import Sampler
from opentelemetry.sdk.util.instrumentation import InstrumentationInfo, InstrumentationScope
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, SpanKind
from opentelemetry.trace.status import Status, StatusCode
from opentelemetry.util import types

from .invocation_span import InvocationSpan, InvocationSpans

_INTERNAL = SpanKind.INTERNAL
_get_current_span = trace_api.get_current_span
_set_span_in_context = trace_api.set_span_in_context
_attach = context_api.attach
_detach = context_api.detach
# ``start_span``'s name, context, kind, attributes, links and start time.
_Start = Tuple[
    str,
    Optional[context_api.Context],
    SpanKind,
    types.Attributes,
    Optional[Sequence[Link]],
    Optional[int],
]


class LightTracer(trace_api.Tracer):
    """A tracer of our SDK provider starting ``InvocationSpan``s under its own scope.

    Its public fields are those of the SDK's ``Tracer`` (``sampler``, ``resource``,
    ``span_processor``, ``id_generator``, ``instrumentation_info``)."""

    _python_worker_extension_light = True  # what ``providers`` recognises it by

    def __init__(
        self,
        sampler: Sampler,
        resource: Resource,
        span_processor: SpanProcessor,
        id_generator: IdGenerator,
        instrumentation_info: InstrumentationInfo,
        span_limits: SpanLimits,
        instrumentation_scope: InstrumentationScope,
    ) -> None:
        self.sampler = sampler
        self.resource = resource
        self.span_processor = span_processor
        self.id_generator = id_generator
        self.instrumentation_info = instrumentation_info
        self._spans = InvocationSpans(
            span_processor,
            sampler,
            id_generator,
            span_limits,
            resource,
            instrumentation_scope,
            instrumentation_info,
        )

    def start_span(
        self,
        name: str,
        context: Optional[context_api.Context] = None,
        kind: SpanKind = _INTERNAL,
        attributes: types.Attributes = None,
        links: Optional[Sequence[Link]] = (),
        start_time: Optional[int] = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> trace_api.Span:
        parent: Optional[SpanContext] = _get_current_span(context).get_span_context()
        if parent is not None and not isinstance(parent, SpanContext):
            raise TypeError("parent_span_context must be a SpanContext or None.")
        spans = self._spans
        ids = spans.id_generator
        if parent is None or not parent.is_valid:
            parent = None
            trace_id = ids.generate_trace_id()
        else:
            trace_id = parent.trace_id
        span_context, records, values = spans.sampled(
            context, parent, trace_id, name, kind, attributes, links
        )
        if not records:
            return NonRecordingSpan(span_context)
        span = InvocationSpan(
            spans,
            name,
            span_context,
            parent,
            kind,
            {},
            start_time if start_time is not None else time_ns(),
            record_exception=record_exception,
            set_status_on_exception=set_status_on_exception,
        )
        if values:  # the caller's (never kept), or the sampler's
            span.set_attributes(dict(values))
        if links:
            for link in links:
                if link:
                    span.add_link(link.context, link.attributes)
        # Processors are typed for the SDK's span; they get the same API and properties.
        spans.processor.on_start(span, parent_context=context)  # type: ignore[arg-type]
        return span

    def start_as_current_span(
        self,
        name: str,
        context: Optional[context_api.Context] = None,
        kind: SpanKind = _INTERNAL,
        attributes: types.Attributes = None,
        links: Optional[Sequence[Link]] = (),
        start_time: Optional[int] = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> CurrentSpan:
        return CurrentSpan(
            self,
            (name, context, kind, attributes, links, start_time),
            record_exception,
            set_status_on_exception,
            end_on_exit,
        )


class CurrentSpan:
    """``start_as_current_span``'s result: a context manager that starts the span on entry
    (with ``tracer.start_span``) and makes it current, as ``trace.use_span`` does; or a
    decorator (of sync and async functions) doing that around each call."""

    __slots__ = ("_arguments", "_end", "_record", "_set_status", "_span", "_token", "_tracer")

    def __init__(
        self,
        tracer: trace_api.Tracer,
        arguments: _Start,
        record_exception: bool,
        set_status_on_exception: bool,
        end_on_exit: bool,
    ) -> None:
        self._tracer = tracer
        self._arguments = arguments
        self._record = record_exception
        self._set_status = set_status_on_exception
        self._end = end_on_exit
        self._span: Optional[trace_api.Span] = None

    def __enter__(self) -> trace_api.Span:
        if self._span is not None:  # its context token would be lost
            raise RuntimeError(
                "start_as_current_span() gives a context manager to enter once; "
                "call it again for another span"
            )
        span = self._span = self._tracer.start_span(
            *self._arguments, self._record, self._set_status
        )
        self._token = _attach(_set_span_in_context(span))
        return span

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], traceback: Any) -> None:
        _detach(self._token)
        span = cast(trace_api.Span, self._span)
        try:
            # ``use_span``: an ``Exception`` is recorded (not as escaped) and sets the
            # status, as asked; a ``BaseException`` (KeyboardInterrupt...) only ends it.
            if isinstance(exc, Exception) and span.is_recording():
                if self._record:
                    span.record_exception(exc)
                if self._set_status:
                    span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        finally:
            if self._end:
                span.end()

    def _recreate_cm(self) -> CurrentSpan:
        """A fresh one with the same arguments (``contextlib.ContextDecorator``'s name):
        a decorated function starts a span per call."""
        return CurrentSpan(self._tracer, self._arguments, self._record, self._set_status, self._end)

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        # ``asyncio``'s test, as the SDK's context manager makes it.
        if asyncio.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self._recreate_cm():
                    return await function(*args, **kwargs)

            return run_async

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self._recreate_cm():
                return function(*args, **kwargs)

        return run


def light_tracer(
    sdk_tracer: trace_api.Tracer, limits: SpanLimits, attributes: types.Attributes = None
) -> trace_api.Tracer:
    """The light twin of a tracer our SDK provider handed out (it validated the name and
    version, as for its own tracers), or that tracer itself when it is not the SDK's
    (a no-op one when ``OTEL_SDK_DISABLED`` is set)."""
    from opentelemetry.sdk.trace import Tracer as SdkTracer

    if not isinstance(sdk_tracer, SdkTracer):
        return sdk_tracer
    info = sdk_tracer.instrumentation_info
    return LightTracer(
        sdk_tracer.sampler,
        sdk_tracer.resource,
        sdk_tracer.span_processor,
        sdk_tracer.id_generator,
        info,
        limits,
        # What the SDK's tracer builds from the same arguments (SDKs before 1.23 take no
        # attributes, in ``get_tracer`` either).
        InstrumentationScope(info.name, info.version, info.schema_url)
        if attributes is None
        else InstrumentationScope(info.name, info.version, info.schema_url, attributes),
    )
