"""Body excerpts for the record (only when ``log_body=True``): redacted first, then capped.

- JSON (by content type, or any body starting with ``{`` or ``[``) is parsed whole and
  secret keys are masked at any depth; a JSON body that does not parse, or is larger
  than ``PARSE_LIMIT``, is not logged at all, because it cannot be redacted reliably.
- A form post is parsed as a server parses it (``&`` and ``;`` separators, ``+`` a space,
  values decoded until they stop changing), so a secret field, or a field whose value is
  a secret (an encoded connection string), is masked; then it is scanned as text.
- Other text (``text/*``, XML, or bytes that decode as UTF-8) is scanned for
  ``name=value`` pairs, quoted pairs, ``Name: value`` lines, XML elements with secret
  names, and for connection-string keys, ``Bearer``/``Basic`` credentials and JWTs.
  Only the first part that can reach the cap is decoded and scanned, so a cut can only
  shorten a value, never reveal one.
- Anything else is logged as its type and size.
"""

from __future__ import annotations

import json
from typing import Optional

from python_worker_extension_framework.toolkit.redaction import Findings, Redactor

PARSE_LIMIT = 1024 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"

_TEXT_TYPES = (
    FORM_TYPE,
    "application/xml",
    "application/javascript",
    "application/graphql",
    "application/x-ndjson",
)


def mimetype_of(content_type: Optional[str]) -> str:
    """``"application/json"`` from ``"Application/JSON; charset=utf-8"``; ``""`` if none."""
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def _kind(mimetype: str, body: bytes) -> str:
    if mimetype.endswith(("/json", "+json")) or body[:64].lstrip()[:1] in (b"{", b"["):
        return "json"
    if mimetype.startswith("text/") or mimetype.endswith("+xml") or mimetype in _TEXT_TYPES:
        return "text"
    if not mimetype and b"\x00" not in body[:1024]:
        try:
            body[:1024].decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at 1024 bytes is still text.
            return "text" if exc.start >= 1020 else "binary"
        return "text"
    return "binary"


def excerpt(
    body: bytes, mimetype: str, limit: int, redactor: Redactor, findings: Findings
) -> Optional[str]:
    """The redacted, capped text of a body for the record; ``None`` when it is empty."""
    if not body:
        return None
    kind = _kind(mimetype, body)
    if kind == "json":
        if len(body) > PARSE_LIMIT:
            return (
                f"[JSON body not logged: {len(body)} bytes is over the "
                f"{PARSE_LIMIT}-byte redaction limit]"
            )
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return "[JSON body not logged: it does not parse, so it cannot be redacted]"
        text = json.dumps(redactor.json(data, findings), ensure_ascii=False, separators=(",", ":"))
    elif kind == "text":
        scanned = body[: limit * 4 + 256].decode("utf-8", "replace")
        if mimetype == FORM_TYPE:
            scanned = redactor.form(scanned, findings)
        text = redactor.text(scanned, findings)
    else:
        return f"[{mimetype or 'binary'} body, {len(body)} bytes]"
    if len(text) > limit:
        return f"{text[:limit]}...[truncated]"
    return text
