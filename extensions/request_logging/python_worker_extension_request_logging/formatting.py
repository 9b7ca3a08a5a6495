"""The record as a log message: one access-log line (``text``) or one JSON object (``json``).

Both are single lines whatever the request holds: in the text line, control characters
(and, in unquoted fields, spaces) are escaped so a crafted path or user agent cannot
forge a second log line; JSON escapes everything outside printable ASCII.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Tuple

_CONTROL = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, 0x85)}
_CONTROL.update({0x2028: "\\u2028", 0x2029: "\\u2029"})
_IN_QUOTES = str.maketrans(_CONTROL)
_BARE = str.maketrans({**_CONTROL, ord(" "): "%20"})

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
    return "-" if value is None else str(value).translate(_BARE)


def _duration(value: Any) -> str:
    return "-" if value is None else f"{value:.2f}ms"


def text_line(record: Mapping[str, Any]) -> str:
    """``GET /api/items/42?code=[REDACTED] 200 12.34ms function=GetItem outcome=... ...``

    Non-HTTP: ``timer Nightly success 45.01ms trace_id=... invocation_id=...``. Fields that
    are ``None`` are left out of the ``key=value`` tail.
    """
    if record.get("method") is not None:
        query = record.get("query")
        target = _bare(record.get("path")) + (f"?{_bare(query)}" if query else "")
        parts: List[str] = [
            _bare(record["method"]),
            target,
            _bare(record.get("status_code")),
            _duration(record.get("duration_ms")),
            f"function={_bare(record.get('function'))}",
        ]
        tail = _HTTP_TAIL
    else:
        parts = [
            _bare(record.get("trigger")),
            _bare(record.get("function")),
            _bare(record.get("outcome")),
            _duration(record.get("duration_ms")),
        ]
        tail = _OTHER_TAIL
    for key in tail:
        value = record.get(key)
        if value is None:
            continue
        if key in _QUOTED:
            parts.append(
                f"{key}={json.dumps(str(value), ensure_ascii=False).translate(_IN_QUOTES)}"
            )
        else:
            parts.append(f"{key}={_bare(value)}")
    for key in _OPTIONAL:
        if key in record:
            parts.append(
                f"{key}={json.dumps(record[key], ensure_ascii=False).translate(_IN_QUOTES)}"
            )
    return " ".join(parts)


def json_line(record: Dict[str, Any]) -> str:
    """The record as one compact JSON object with the documented keys, in their order."""
    return json.dumps(record, separators=(",", ":"), default=str)
