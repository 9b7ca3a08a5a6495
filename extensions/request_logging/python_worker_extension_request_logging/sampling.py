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
from typing import Mapping, Optional

from python_worker_extension_framework.toolkit import traceparent

TRACE_SAMPLING_MODES = ("request", "context", "off")
_RATIO_SCALE = 1 << 64


def incoming_flag(
    mode: str, headers: Optional[Mapping[str, str]], context_traceparent: Optional[str]
) -> Optional[bool]:
    """The sampled flag of the incoming ``traceparent``; ``None`` when there is none.

    ``request``: the HTTP request's ``traceparent`` header (what the caller sent; a trace
    the host started itself does not count), from its ``headers``. ``context``: the
    invocation's trace context (its raw ``context_traceparent``), as a tracer parented on
    it sees it. ``off``: never.
    """
    if mode == "request":
        raw = headers["traceparent"] if headers is not None and "traceparent" in headers else None
        if not raw:
            return None
    elif mode == "context":
        raw = context_traceparent
    else:
        return None
    parsed, _ = traceparent.parse(raw)
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


def keep_success(
    mode: str,
    rate: float,
    headers: Optional[Mapping[str, str]],
    context_traceparent: Optional[str],
    trace_id: Optional[str],
) -> bool:
    """Whether to log a successful invocation (failures always are). ``headers``: the HTTP
    request's (None for other triggers); ``context_traceparent``: the raw ``traceparent``
    of the invocation's trace context, whose valid ``trace_id`` also keys ``sample_rate``."""
    flag = incoming_flag(mode, headers, context_traceparent)
    if flag is not None:
        return flag
    return by_rate(rate, trace_id)
