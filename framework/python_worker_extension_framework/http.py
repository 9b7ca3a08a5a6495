"""Reading and changing an ``azure.functions.HttpResponse`` from an extension.

The SDK's response keeps its body in a name-mangled attribute and offers no setter, so
extensions would otherwise reach into ``_HttpResponse__body`` each in its own way. This
is the one place that does it, checks that it worked, and respects the response's
content type and charset (a ``Content-Type`` header wins over ``mimetype``, as it does
when the worker builds the wire response).
"""

from __future__ import annotations

import codecs
from typing import Any, Optional, Tuple

from azure.functions import HttpResponse

_BODY_ATTRIBUTE = "_HttpResponse__body"


def is_http_response(value: Any) -> bool:
    """True for the SDK's ``HttpResponse`` (and subclasses)."""
    return isinstance(value, HttpResponse)


def content_type(response: HttpResponse) -> Tuple[str, str]:
    """``(mimetype, charset)`` as the client will see them, lower-cased mimetype."""
    header: Optional[str] = response.headers.get("Content-Type")
    if header:
        mimetype, _, params = header.partition(";")
        charset = response.charset or "utf-8"
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip().strip('"')
        return mimetype.strip().lower(), charset
    return (response.mimetype or "text/plain").lower(), response.charset or "utf-8"


def is_text(response: HttpResponse) -> bool:
    """Whether the body is text (``text/*``), so appending text cannot corrupt it."""
    return content_type(response)[0].startswith("text/")


def replace_body(response: HttpResponse, body: bytes) -> None:
    """Set the response body to ``body`` (bytes)."""
    if not isinstance(body, (bytes, bytearray)):
        raise TypeError(f"response body must be bytes, got {type(body).__name__}")
    setattr(response, _BODY_ATTRIBUTE, bytes(body))
    if response.get_body() != body:
        raise RuntimeError(
            "this azure-functions release stores the HttpResponse body differently; "
            "python_worker_extension_framework.http needs an update"
        )


def append_text(response: HttpResponse, text: str) -> bool:
    """Append ``text`` to a text body in the response's charset; False when not possible.

    Only ``text/*`` bodies are changed: JSON, binary and other bodies are left as they are,
    as is any body whose charset is unknown or cannot encode ``text``.
    """
    if not is_text(response):
        return False
    charset = content_type(response)[1]
    try:
        codecs.lookup(charset)
        encoded = text.encode(charset)
    except (LookupError, UnicodeEncodeError):
        return False
    replace_body(response, response.get_body() + encoded)
    return True


def set_header(response: HttpResponse, name: str, value: str) -> None:
    """Set (replace) a response header."""
    response.headers[name] = value


def add_header_value(response: HttpResponse, name: str, value: str) -> None:
    """Add a value to a comma-separated list header such as ``Server-Timing``."""
    existing = response.headers.get(name)
    response.headers[name] = f"{existing}, {value}" if existing else value


def status_code(value: Any) -> Optional[int]:
    """The status an HTTP function's return value produces, if it is an HTTP response."""
    if isinstance(value, HttpResponse):
        return int(value.status_code)
    return None
