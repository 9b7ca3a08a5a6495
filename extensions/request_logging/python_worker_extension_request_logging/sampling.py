"""Whether a successful invocation is logged; failures always are.

Parent-based, like the OpenTelemetry ``ParentBased(TraceIdRatioBased)`` sampler and
OpenCensus' ``ProbabilitySampler``, so logs and traces agree:

1. When an incoming ``traceparent`` is present (where it is looked for is the
   ``trace_sampling`` option), its sampled flag decides.
2. Otherwise ``sample_rate`` decides, from the trace id when there is one (the same
   trace id gives the same answer in every function of a trace), else at random.
"""

from __future__ import annotations

import random
from typing import Any, Mapping, Optional

from python_worker_extension_framework.toolkit import traceparent

TRACE_SAMPLING_MODES = ("request", "context", "off")
_RATIO_SCALE = 1 << 64


def incoming_flag(
    mode: str, request: Optional[Any], context_parent: Optional[traceparent.TraceParent]
) -> Optional[bool]:
    """The sampled flag of the incoming ``traceparent``; ``None`` when there is none.

    ``request``: the HTTP request's ``traceparent`` header (what the caller sent; a trace
    the host started itself does not count). ``context``: the invocation's trace context
    (``context_parent``, parsed once by the caller), as a tracer parented on it sees it.
    ``off``: never.
    """
    if mode == "request":
        headers: Optional[Mapping[str, str]] = getattr(request, "headers", None)
        raw = headers["traceparent"] if headers is not None and "traceparent" in headers else None
        if not raw:
            return None
        parsed, _ = traceparent.parse(raw)
    elif mode == "context":
        parsed = context_parent
    else:
        return None
    return parsed.sampled if parsed is not None else None


def by_rate(rate: float, trace_id: Optional[str]) -> bool:
    """``TraceIdRatioBased``: the low 64 bits of the trace id below ``rate`` of their range."""
    if rate >= 1.0:
        return True
    if rate <= 0.0:
        return False
    if trace_id:
        return int(trace_id[16:], 16) < rate * _RATIO_SCALE
    return random.random() < rate


def keep(
    succeeded: bool,
    mode: str,
    rate: float,
    request: Optional[Any],
    context_parent: Optional[traceparent.TraceParent],
) -> bool:
    """Whether to log this invocation. ``context_parent``: the invocation's trace context's
    parsed ``traceparent`` (its trace id also keys ``sample_rate``)."""
    if not succeeded:
        return True
    flag = incoming_flag(mode, request, context_parent)
    if flag is not None:
        return flag
    return by_rate(rate, context_parent.trace_id if context_parent is not None else None)
