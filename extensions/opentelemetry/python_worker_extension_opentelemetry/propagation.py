"""The host's trace context as the parent of the invocation span: the decisions of
OpenTelemetry's W3C ``TraceContextTextMapPropagator``, made in one step for the form
nearly every caller sends.

The worker hands the incoming ``traceparent`` and ``tracestate`` on the invocation's
context. A ``traceparent`` of the common form (version ``00``, lower-case hex, nothing
around it) is read with one match; any other form goes through the propagator itself, so
the accepted and refused headers are exactly the propagator's. The invocation path then
builds no carrier dict, runs no getter and no anchored search.
"""

from __future__ import annotations

import re
from typing import Any, Optional, Tuple

from opentelemetry.context import Context
from opentelemetry.trace import (
    NonRecordingSpan,
    Span,
    SpanContext,
    TraceFlags,
    get_current_span,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.trace.span import TraceState

_COMMON = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})").fullmatch
_ZERO_TRACE_ID = "0" * 32
_ZERO_SPAN_ID = "0" * 16
_PROPAGATOR = TraceContextTextMapPropagator()
# By the two lower-case hex digits the common form carries (no int() per invocation).
_FLAGS = {f"{value:02x}": TraceFlags(value) for value in range(256)}


def headers(context: Any) -> Tuple[Optional[str], Optional[str]]:
    """``(traceparent, tracestate)`` of an invocation's context (the worker also names
    them ``Traceparent`` and ``Tracestate``); empty values are None."""
    trace_context = getattr(context, "trace_context", None)
    if trace_context is None:
        return None, None
    parent = getattr(trace_context, "trace_parent", None) or getattr(
        trace_context, "Traceparent", None
    )
    if not parent:
        return None, None
    state = getattr(trace_context, "trace_state", None) or getattr(
        trace_context, "Tracestate", None
    )
    return parent, state or None


def remote_parent(traceparent: Optional[str], tracestate: Optional[str]) -> Optional[Span]:
    """The caller's span (non-recording, remote), or None when there is no valid one."""
    if not traceparent:
        return None
    match = _COMMON(traceparent) if isinstance(traceparent, str) else None
    if match is None:  # any other form: the propagator decides
        carrier = {"traceparent": traceparent}
        if tracestate:
            carrier["tracestate"] = tracestate
        span = get_current_span(_PROPAGATOR.extract(carrier, context=Context()))
        return span if span.get_span_context().is_valid else None
    trace_id, span_id, flags = match.groups()
    if trace_id == _ZERO_TRACE_ID or span_id == _ZERO_SPAN_ID:
        return None
    return NonRecordingSpan(
        SpanContext(
            int(trace_id, 16),
            int(span_id, 16),
            True,
            _FLAGS[flags],
            TraceState.from_header([tracestate]) if tracestate else None,
        )
    )
