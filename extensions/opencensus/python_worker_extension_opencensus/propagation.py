"""The invocation's incoming W3C trace context, validated, and the sampling decision.

The host gives the worker the caller's ``traceparent`` and ``tracestate``. A valid
traceparent continues the caller's trace; a malformed one starts a new trace and yields
the reason, so the extension logs one warning and never forwards the bad value. A
``tracestate`` is kept only with a valid traceparent and only when it is valid itself;
empty list members (``a=1,,b=2``), which the W3C spec allows, are skipped, not an error.

Parsing is the framework's (one regular expression for the common form; the full
parser, which also says what is wrong, for the rest).
"""

from __future__ import annotations

import random
import re
from typing import Any, NamedTuple, Optional, Tuple

from opencensus.trace.propagation.tracestate_string_format import TracestateStringFormatter
from opencensus.trace.tracestate import Tracestate
from python_worker_extension_framework.toolkit import traceparent as tp

_TRACESTATE_FORMATTER = TracestateStringFormatter()
MAX_TRACESTATE_LENGTH = 512  # W3C: longer values may be dropped rather than truncated
_MEMBER_SEPARATOR = re.compile(r"[ \t]*,[ \t]*")
_getrandbits = random.getrandbits


class Incoming(NamedTuple):
    """A valid incoming trace context."""

    trace_id: str
    parent_id: str
    sampled: bool
    tracestate: Optional[Tracestate]


_new_incoming = tuple.__new__
_NO_TRACESTATE: Tuple[None, None] = (None, None)


def read(context: Any) -> Tuple[Optional[Incoming], Optional[str]]:
    """``(incoming, problem)`` of an invocation's context: the valid incoming trace context
    or None, and what was wrong with the headers (None when they are valid or absent)."""
    trace_context = getattr(context, "trace_context", None)
    raw = tp.header_in(trace_context)
    fields = tp.common_fields(raw)  # the usual header, without a TraceParent in between
    if fields is None:
        parsed, reason = tp.parse(raw)
        if parsed is None:
            return None, reason
        fields = (parsed[1], parsed[2], bool(parsed[3] & 1))
    raw_state = getattr(trace_context, "trace_state", None)
    if raw_state is None:
        raw_state = getattr(trace_context, "Tracestate", None)
    state, problem = _tracestate(raw_state) if raw_state else _NO_TRACESTATE
    # Incoming's fields positionally (a named tuple): trace id, parent id, sampled, state.
    incoming = _new_incoming(Incoming, (fields[0], fields[1], fields[2], state))
    return incoming, problem


def _tracestate(raw: Any) -> Tuple[Optional[Tracestate], Optional[str]]:
    if not raw:
        return None, None
    if not isinstance(raw, str):
        return None, f"tracestate must be a string, got {type(raw).__name__}"
    if len(raw) > MAX_TRACESTATE_LENGTH:
        return None, f"tracestate longer than {MAX_TRACESTATE_LENGTH} characters"
    members = [member for member in _MEMBER_SEPARATOR.split(raw.strip(" \t")) if member]
    if not members:
        return None, None
    try:
        state = _TRACESTATE_FORMATTER.from_string(",".join(members))
    except ValueError as exc:
        return None, f"invalid tracestate: {exc}"
    if not state.is_valid():
        return None, "invalid tracestate: no members, or more than 32"
    return state, None


def new_trace_id() -> str:
    """A random, non-zero 128-bit trace id in lower-case hex."""
    return "%032x" % (_getrandbits(128) or 1)  # %-formatting: cheaper than an f-string spec


def new_span_id() -> str:
    """A random, non-zero 64-bit span id in lower-case hex (every span's: see ``tracing``)."""
    return "%016x" % (_getrandbits(64) or 1)


def should_record(
    incoming: Optional[Incoming], trace_id: str, bound: int, honor_unsampled_parent: bool
) -> bool:
    """Whether to record this invocation.

    A caller that sampled the trace is always followed, so a distributed trace is never
    cut. Otherwise the trace id decides: its lower 64 bits below ``bound`` (the sampling
    rate times 2**64), the rule OpenCensus' ``ProbabilitySampler`` uses, so services with
    the same rate agree on the same traces. With ``honor_unsampled_parent`` a caller's
    not-sampled flag is followed too.
    """
    if incoming is not None:
        if incoming.sampled:
            return True
        if honor_unsampled_parent:
            return False
    if bound >= 1 << 64:
        return True
    if bound <= 0:
        return False
    return int(trace_id[16:], 16) < bound


def describe(raw: Any, limit: int = 80) -> str:
    """A header value, shortened and quoted, safe to put in a log line."""
    text = repr(raw)
    return text if len(text) <= limit else text[: limit - 3] + "..."
