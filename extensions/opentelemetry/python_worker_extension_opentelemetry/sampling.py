"""Parent-based ratio sampling: the decision request logging makes for the same trace.

A caller's sampled flag decides (the trace is never cut); a new trace is kept when the low
64 bits of its trace id are below ``ratio`` x 2**64. These are exactly the decisions of
OpenTelemetry's ``ParentBased(TraceIdRatioBased(ratio))``, made in one step: the common
answers (no attributes to carry, no trace state) are prebuilt, since the sampler runs for
every span, the invocation's and the user's.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult, TraceIdRatioBased
from opentelemetry.trace import Link, SpanKind, TraceFlags, get_current_span
from opentelemetry.trace.span import DEFAULT_TRACE_STATE, TraceState
from opentelemetry.util.types import Attributes

_LOW_64_BITS = (1 << 64) - 1
_SAMPLED = int(TraceFlags.SAMPLED)


class InvocationSampler(Sampler):
    """``ParentBased(TraceIdRatioBased(ratio))``, the same decisions, fewer steps."""

    def __init__(self, ratio: float) -> None:
        self.ratio = ratio
        self.bound = TraceIdRatioBased.get_bound_for_rate(ratio)  # the SDK's own rounding
        self._keep = SamplingResult(Decision.RECORD_AND_SAMPLE)
        self._drop = SamplingResult(Decision.DROP)

    def should_sample(
        self,
        parent_context: Optional[Context],
        trace_id: int,
        name: str,
        kind: Optional[SpanKind] = None,
        attributes: Attributes = None,
        links: Optional[Sequence[Link]] = None,
        trace_state: Optional[TraceState] = None,
    ) -> SamplingResult:
        parent = get_current_span(parent_context).get_span_context()
        state: Any = None
        if parent is not None and parent.is_valid:
            keep = parent.trace_flags & _SAMPLED  # (``sampled``, without its call)
            state = parent.trace_state
            if state is DEFAULT_TRACE_STATE or not state:  # (the common, empty one first)
                state = None
        else:
            keep = trace_id & _LOW_64_BITS < self.bound
        if not keep:
            return self._drop if state is None else SamplingResult(Decision.DROP, None, state)
        if not attributes and state is None:
            return self._keep
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, state)

    def get_description(self) -> str:
        return f"ParentBased{{root:TraceIdRatioBased{{{self.ratio}}}}}"
