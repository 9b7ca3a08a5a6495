"""W3C ``traceparent`` parsing and creation, shared by the host and the extensions.

Format: ``version-traceid-parentid-flags``, e.g.
``00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01``. Lower-case hex; all-zero
trace or parent ids are invalid; version ``ff`` is invalid; a future version may carry
more fields after the flags.
"""

from __future__ import annotations

import re
import secrets
from typing import NamedTuple, Optional, Tuple

_HEX = re.compile(r"[0-9a-f]+")
# The form nearly every caller sends (version 00, lower-case hex): one match, no splitting.
_COMMON = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})").fullmatch
_ZERO_TRACE_ID = "0" * 32
_ZERO_PARENT_ID = "0" * 16
_FLAGS = {f"{flags:02x}": flags for flags in range(256)}  # two hex digits -> int, no int()
_ODD_HEX = frozenset("13579bdf")  # the low hex digit of flags with the sampled bit set


class TraceParent(NamedTuple):
    """A valid ``traceparent``, immutable. A named tuple: it is parsed on every traced
    invocation, and a tuple is built at a third of a frozen dataclass's cost."""

    version: str
    trace_id: str
    parent_id: str
    flags: int

    @property
    def sampled(self) -> bool:
        return bool(self.flags & 0x01)

    def header(self) -> str:
        return f"{self.version}-{self.trace_id}-{self.parent_id}-{self.flags:02x}"


_new_trace_parent = tuple.__new__  # TraceParent's fields, positionally, in one call


def _hex_field(value: str, length: int) -> bool:
    return len(value) == length and _HEX.fullmatch(value) is not None


def parse(value: Optional[str]) -> Tuple[Optional[TraceParent], Optional[str]]:
    """``(traceparent, None)`` when valid, else ``(None, reason)``; empty input has no reason."""
    if not value:
        return None, None
    if value.__class__ is str:
        common = _COMMON(value)
        if common is not None:
            trace_id, parent_id, flags = common.groups()
            if trace_id != _ZERO_TRACE_ID and parent_id != _ZERO_PARENT_ID:
                return _new_trace_parent(
                    TraceParent, ("00", trace_id, parent_id, _FLAGS[flags])
                ), None
    return _parse_fields(value)


def common_fields(value: object) -> Optional[Tuple[str, str, bool]]:
    """``(trace_id, parent_id, sampled)`` of a valid header in the common form (version 00,
    lower-case hex), else None, and then ``parse`` decides (and says what is wrong): what
    ``parse`` gives for that form, without building a ``TraceParent``."""
    if value.__class__ is str:
        common = _COMMON(value)
        if common is not None:
            trace_id, parent_id, flags = common.groups()
            if trace_id != _ZERO_TRACE_ID and parent_id != _ZERO_PARENT_ID:
                return trace_id, parent_id, flags[1] in _ODD_HEX
    return None


def trace_id_in(value: Optional[str]) -> Optional[str]:
    """``parse(value)``'s trace id, or None: for a caller that needs nothing else of the
    header (no tuple is built for the common form)."""
    if value.__class__ is str:
        common = _COMMON(value)
        if common is not None:
            trace_id = common[1]
            if trace_id != _ZERO_TRACE_ID and common[2] != _ZERO_PARENT_ID:
                return trace_id
            return None
    parsed, _ = parse(value)
    return parsed.trace_id if parsed is not None else None


def _parse_fields(value: object) -> Tuple[Optional[TraceParent], Optional[str]]:
    """The full parser: every field checked, and the reason when one is wrong."""
    if not isinstance(value, str):
        return None, f"traceparent must be a string, got {type(value).__name__}"
    parts = value.strip().split("-")
    if len(parts) < 4:
        return None, "traceparent needs 4 dash-separated fields"
    version, trace_id, parent_id, flags = parts[:4]
    if not _hex_field(version, 2) or version == "ff":
        return None, f"invalid version {version!r}"
    if version == "00" and len(parts) != 4:
        return None, "version 00 traceparent has extra fields"
    if not _hex_field(trace_id, 32) or trace_id == _ZERO_TRACE_ID:
        return None, "invalid trace id"
    if not _hex_field(parent_id, 16) or parent_id == _ZERO_PARENT_ID:
        return None, "invalid parent id"
    if not _hex_field(flags, 2):
        return None, "invalid trace flags"
    return TraceParent(version, trace_id, parent_id, int(flags, 16)), None


def new(sampled: bool = True) -> TraceParent:
    """A new random trace parent (new trace id and span id)."""
    return TraceParent("00", secrets.token_hex(16), secrets.token_hex(8), 1 if sampled else 0)


def header_of(context: object) -> Optional[str]:
    """The raw ``traceparent`` of an invocation's context (the worker also names it
    ``Traceparent``); None or empty when the host sent none."""
    return header_in(getattr(context, "trace_context", None))


def header_in(trace_context: object) -> Optional[str]:
    """The raw ``traceparent`` of an invocation's ``trace_context`` (``header_of`` for a
    caller that reads other fields of the trace context too)."""
    raw = getattr(trace_context, "trace_parent", None) or getattr(
        trace_context, "Traceparent", None
    )
    return raw


def trace_id_of(context: object) -> Optional[str]:
    """The trace id of an invocation's context, when its traceparent is valid."""
    return trace_id_in(header_of(context))
