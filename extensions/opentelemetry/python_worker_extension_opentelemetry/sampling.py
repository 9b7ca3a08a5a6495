"""Parent-based ratio sampling: the decision request logging makes for the same trace.

A caller's sampled flag decides (the trace is never cut); a new trace is kept when the low
64 bits of its trace id are below ``ratio`` x 2**64. These are exactly the decisions of
OpenTelemetry's ``ParentBased(TraceIdRatioBased(ratio))``, made in one step: the common
answers (no attributes to carry, no trace state) are prebuilt, since the sampler runs for
every span, the invocation's and the user's.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult, TraceIdRatioBased
from opentelemetry.trace import Link, SpanContext, SpanKind, TraceFlags, get_current_span
from opentelemetry.trace.span import DEFAULT_TRACE_STATE, TraceState
from opentelemetry.util.types import Attributes

_LOW_64_BITS = (1 << 64) - 1
_SAMPLED = int(TraceFlags.SAMPLED)
# ``decide``'s common answers: keep or drop, no trace state to carry.
_KEEP: Tuple[bool, Optional[TraceState]] = (True, None)
_DROP: Tuple[bool, Optional[TraceState]] = (False, None)


class InvocationSampler(Sampler):
    """``ParentBased(TraceIdRatioBased(ratio))``, the same decisions, fewer steps."""

    def __init__(self, ratio: float) -> None:
        self.ratio = ratio
        self.bound = TraceIdRatioBased.get_bound_for_rate(ratio)  # the SDK's own rounding
        self._keep = SamplingResult(Decision.RECORD_AND_SAMPLE)
        self._drop = SamplingResult(Decision.DROP)

    def decide(
        self, parent: Optional[SpanContext], trace_id: int
    ) -> Tuple[bool, Optional[TraceState]]:
        """Whether a span under ``parent`` (a span context, or None) in trace ``trace_id``
        is recorded and sampled, and the trace state its context carries (None: the empty
        one). ``should_sample``'s decision without the ``SamplingResult``: the light spans
        (``invocation_span``), which know their parent already and keep their attributes,
        need nothing else."""
        if parent is not None and parent.is_valid:
            state: Any = parent.trace_state
            keep = bool(parent.trace_flags & _SAMPLED)  # (``sampled``, without its call)
            if state is DEFAULT_TRACE_STATE or not state:  # (the common, empty one first)
                return _KEEP if keep else _DROP
            return keep, state
        return _KEEP if trace_id & _LOW_64_BITS < self.bound else _DROP

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
        keep, state = self.decide(get_current_span(parent_context).get_span_context(), trace_id)
        if not keep:
            return self._drop if state is None else SamplingResult(Decision.DROP, None, state)
        if not attributes and state is None:
            return self._keep
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, state)

    def get_description(self) -> str:
        return f"ParentBased{{root:TraceIdRatioBased{{{self.ratio}}}}}"
