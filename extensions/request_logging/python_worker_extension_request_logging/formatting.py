"""The record as a log message: one access-log line (``text``) or one JSON object (``json``).

Both are single lines whatever the request holds: in the text line, control characters
(and, in unquoted fields, spaces) are escaped so a crafted path or user agent cannot
forge a second log line; JSON escapes everything outside printable ASCII.

Every character the escape tables change is one ``str.isprintable`` rejects (the space
aside), so a value that is printable (and, unquoted, has no space) is used as it is: the
common case costs one C-level scan instead of a translation.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Tuple

_CONTROL = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, 0x85)}
_CONTROL.update({0x2028: "\\u2028", 0x2029: "\\u2029"})
_IN_QUOTES = str.maketrans(_CONTROL)
_BARE = str.maketrans({**_CONTROL, ord(" "): "%20"})

# The same encoders ``json.dumps`` would build on every call with these arguments.
_JSON_STRING = json.JSONEncoder(ensure_ascii=False).encode
_JSON_LINE = json.JSONEncoder(separators=(",", ":"), default=str).encode

_HTTP_TAIL: Tuple[str, ...] = (
    "outcome",
    "route",
    "request_bytes",
    "response_bytes",
    "client_ip",
    "user_agent",
    "exception_type",
    "attempt",
    "trace_id",
    "invocation_id",
)
_OTHER_TAIL: Tuple[str, ...] = ("exception_type", "attempt", "trace_id", "invocation_id")
_QUOTED = frozenset({"user_agent"})
_OPTIONAL = ("request_headers", "response_headers", "request_body", "response_body")


def _bare(value: Any) -> str:
    if value is None:
        return "-"
    if type(value) is int:  # digits and a sign: nothing to escape
        return str(value)
    text = str(value)
    if text.isprintable() and " " not in text:
        return text
    return text.translate(_BARE)


def _quoted(value: Any) -> str:
    """A JSON string or value, with what JSON leaves raw (U+2028, ...) escaped too."""
    text = _JSON_STRING(value)
    if text.isprintable():
        return text
    return text.translate(_IN_QUOTES)


def duration_text(value: Any) -> str:
    """``12.34ms``, or ``-`` when the duration is not known."""
    return "-" if value is None else f"{value:.2f}ms"


def text_line(record: Mapping[str, Any]) -> str:
    """``GET /api/items/42?code=[REDACTED] 200 12.34ms function=GetItem outcome=... ...``

    Non-HTTP: ``timer Nightly success 45.01ms trace_id=... invocation_id=...``. Fields that
    are ``None`` are left out of the ``key=value`` tail.
    """
    get = record.get
    if get("method") is not None:
        query = get("query")
        target = _bare(get("path"))
        if query:
            target = f"{target}?{_bare(query)}"
        parts: List[str] = [
            _bare(record["method"]),
            target,
            _bare(get("status_code")),
            duration_text(get("duration_ms")),
            "function=" + _bare(get("function")),
        ]
        tail = _HTTP_TAIL
    else:
        parts = [
            _bare(get("trigger")),
            _bare(get("function")),
            _bare(get("outcome")),
            duration_text(get("duration_ms")),
        ]
        tail = _OTHER_TAIL
    append = parts.append
    for key in tail:
        value = get(key)
        if value is None:
            continue
        if key in _QUOTED:
            append(f"{key}={_quoted(str(value))}")
        else:
            append(f"{key}={_bare(value)}")
    for key in _OPTIONAL:
        if key in record:
            append(f"{key}={_quoted(record[key])}")
    return " ".join(parts)


def json_line(record: Dict[str, Any]) -> str:
    """The record as one compact JSON object with the documented keys, in their order."""
    return _JSON_LINE(record)
