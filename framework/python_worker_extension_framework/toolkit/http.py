"""Reading and changing an ``azure.functions.HttpResponse`` from an extension (and reading
a request's headers cheaply).

The SDK's response keeps its body in a name-mangled attribute and offers no setter, so
extensions would otherwise reach into ``_HttpResponse__body`` each in its own way. This
is the one place that does it, checks that it worked, and respects the response's
content type and charset (a ``Content-Type`` header wins over ``mimetype``, as it does
when the worker builds the wire response).
"""

from __future__ import annotations

import codecs
import functools
from typing import Any, Dict, Mapping, Optional, Tuple
from urllib.parse import unquote

from azure.functions import HttpResponse, Out
from azure.functions._http import HttpRequestHeaders  # the class of HttpRequest.headers

_BODY_ATTRIBUTE = "_HttpResponse__body"
_CHARSETS_WITH_BOM = frozenset({"utf-16", "utf-32", "utf-8-sig"})
_BODYLESS_STATUSES = frozenset({204, 205, 304})
# Whether setting the mangled attribute was seen to change the body, once per process.
_storage_checked = False


@functools.lru_cache(maxsize=64)
def _codec_name(charset: str) -> str:
    """``codecs.lookup(charset).name``, remembered (a look-up per invocation adds up)."""
    return codecs.lookup(charset).name


def is_http_response(value: Any) -> bool:
    """True for the SDK's ``HttpResponse`` (and subclasses)."""
    return isinstance(value, HttpResponse)


def content_type(response: HttpResponse) -> Tuple[str, str]:
    """``(mimetype, charset)`` as the client will see them, lower-cased mimetype."""
    header: Optional[str] = None
    for name, value in response.headers.items():  # no KeyError round-trip inside werkzeug
        if name.lower() == "content-type":
            header = value
            break
    return _parse_content_type(header, response)


def _parse_content_type(header: Optional[str], response: HttpResponse) -> Tuple[str, str]:
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
    global _storage_checked
    if not isinstance(body, (bytes, bytearray)):
        raise TypeError(f"response body must be bytes, got {type(body).__name__}")
    setattr(response, _BODY_ATTRIBUTE, bytes(body))
    if _storage_checked:
        return
    _storage_checked = True  # the SDK's storage does not change within a process
    if response.get_body() != body:
        _storage_checked = False
        raise RuntimeError(
            "this azure-functions release stores the HttpResponse body differently; "
            "python_worker_extension_framework.http needs an update"
        )


def append_text(response: HttpResponse, text: str) -> bool:
    """Append ``text`` to a text body in the response's charset; False when not possible.

    Only ``text/*`` bodies are changed: JSON, binary and other bodies are left as they are,
    as is any body whose charset is unknown or cannot encode ``text``.
    """
    return _append(response, text, content_type(response))


def append_text_if_body_can_grow(response: HttpResponse, text: str) -> bool:
    """``body_can_grow`` and then ``append_text``, reading the headers once."""
    status = int(response.status_code)
    if status < 200 or status in _BODYLESS_STATUSES:
        return False
    header: Optional[str] = None
    headers = response.headers
    # Most responses set no header (the content type comes from ``mimetype``): then
    # there is nothing to walk.
    for name, value in headers.items() if headers else ():
        lowered = name.lower()
        if lowered == "content-type":
            header = value
        elif lowered == "content-length" or (
            lowered == "content-encoding" and value.strip().lower() not in ("", "identity")
        ):
            return False
    return _append(response, text, _parse_content_type(header, response))


def _append(response: HttpResponse, text: str, mimetype_and_charset: Tuple[str, str]) -> bool:
    mimetype, charset = mimetype_and_charset
    if not mimetype.startswith("text/"):
        return False
    try:
        codec = _codec_name(charset)
        if codec in _CHARSETS_WITH_BOM:
            # Encoding the suffix alone would put a second byte-order mark mid-body.
            body = (response.get_body().decode(charset) + text).encode(charset)
        else:
            body = response.get_body() + text.encode(charset)
    except (LookupError, UnicodeError):
        return False
    replace_body(response, body)
    return True


def body_can_grow(response: HttpResponse) -> bool:
    """Whether the status and headers allow a longer body: not 1xx/204/205/304, no explicit
    ``Content-Length`` (it would then lie) and no ``Content-Encoding`` such as gzip (appended
    plain bytes would corrupt it). Content type and charset are checked by ``append_text``."""
    status = int(response.status_code)
    if status < 200 or status in _BODYLESS_STATUSES:
        return False
    for name, value in response.headers.items():
        lowered = name.lower()
        if lowered == "content-length":
            return False
        if lowered == "content-encoding" and value.strip().lower() not in ("", "identity"):
            return False
    return True


def set_header(response: HttpResponse, name: str, value: str) -> None:
    """Set (replace) a response header."""
    response.headers[name] = value


def add_header_value(response: HttpResponse, name: str, value: str) -> None:
    """Add a value to a comma-separated list header such as ``Server-Timing``."""
    existing = response.headers.get(name)
    response.headers[name] = f"{existing}, {value}" if existing else value


def header_table(headers: Any) -> Optional[Dict[str, str]]:
    """The plain dict behind the SDK's request headers (lower-cased names), or None for
    any other mapping.

    ``HttpRequest.headers`` lower-cases the name on every ``in`` and ``[]`` in Python code;
    an extension reading a few headers per invocation can look the lower-case names up in
    this dict instead (``table.get("user-agent")``), with the same answers. Only the SDK's
    own class qualifies (not a subclass, which might answer differently)."""
    if headers.__class__ is HttpRequestHeaders:
        table = getattr(headers, "__http_headers__", None)
        if table.__class__ is dict:
            return table
    return None


def status_code(value: Any) -> Optional[int]:
    """The status an HTTP function's return value produces, if it is an HTTP response."""
    if isinstance(value, HttpResponse):
        return int(value.status_code)
    return None


def replace_path_segments(path: str, value: str, replacement: str) -> str:
    """Replace the last run of path segments that spells ``value`` (a route parameter's
    decoded value, possibly several segments for a catch-all) by ``replacement``."""
    segments = path.split("/")
    wanted = value.split("/")
    size = len(wanted)
    for start in range(len(segments) - size, -1, -1):
        if [unquote(s) for s in segments[start : start + size]] == wanted:
            segments[start : start + size] = [replacement]
            return "/".join(segments)
    return path


def route_template(path: str, route_params: Mapping[str, Any]) -> str:
    """The request path with each route parameter's value put back as ``{name}``
    (``/api/items/42`` with ``{"id": "42"}`` is ``/api/items/{id}``): the route as traces
    and logs name it, without the values."""
    for name, value in route_params.items():
        if value:
            path = replace_path_segments(path, str(value), "{" + str(name) + "}")
    return path


def response_status(result: Any, func_args: Mapping[str, Any]) -> Optional[int]:
    """The status an HTTP function's outcome produces: an ``HttpResponse`` returned or set
    on an output binding; 200 for any other value the worker turns into a response; None
    when the function produced nothing we can see."""
    status = status_code(result)
    if status is not None:
        return status
    for value in func_args.values():
        if isinstance(value, Out):
            try:
                status = status_code(value.get())
            except Exception:  # an output binding we do not understand is not ours
                continue
            if status is not None:
                return status
    return None if result is None else 200
