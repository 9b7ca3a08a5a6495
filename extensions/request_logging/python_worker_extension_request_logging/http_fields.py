"""What an HTTP invocation's request and return value say: status, sizes, route, client.

The status follows what the host answers for the function's return value:
``HttpResponse`` its ``status_code``; ``str`` 200; ``None`` 204 (the host's answer when a
function sets no response) unless an ``azure.functions.Out`` argument holds an
``HttpResponse`` (a named ``http`` output binding); any other value 500, because the
worker cannot convert it and the invocation fails after the post hooks.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, List, Mapping, Optional, Tuple
from urllib.parse import unquote

import azure.functions as func
from python_worker_extension_framework.toolkit import http
from python_worker_extension_framework.toolkit.redaction import REDACTED, Redactor

NO_RESPONSE_STATUS = 204
UNCONVERTIBLE_STATUS = 500


def response_of(result: Any, func_args: Mapping[str, Any]) -> Any:
    """The value the host turns into the HTTP response: the return value or an ``Out``'s."""
    if result is None:
        for value in func_args.values():
            if isinstance(value, func.Out):
                held = value.get()
                if isinstance(held, func.HttpResponse):
                    return held
    return result


def status_of(response: Any) -> int:
    status = http.status_code(response)
    if status is not None:
        return status
    if response is None:
        return NO_RESPONSE_STATUS
    if isinstance(response, str):
        return 200
    return UNCONVERTIBLE_STATUS


def body_of(response: Any) -> Tuple[bytes, str]:
    """``(body bytes, content type)`` of the response value."""
    if isinstance(response, func.HttpResponse):
        body = response.get_body() or b""
        content_type = response.headers.get("Content-Type") or response.mimetype or ""
        return body, content_type
    if isinstance(response, str):
        return response.encode("utf-8", "replace"), "text/plain"
    return b"", ""


def response_size(response: Any) -> int:
    if isinstance(response, func.HttpResponse):
        return len(response.get_body() or b"")
    if isinstance(response, str):
        return len(response.encode("utf-8", "replace"))
    return 0


def header(headers: Mapping[str, str], name: str) -> Optional[str]:
    """``headers.get(name)``, without the raised and caught ``KeyError`` that a missing
    header costs through ``Mapping.get`` (the request's headers answer ``in`` directly)."""
    return headers[name] if name in headers else None  # noqa: SIM401 (get is the slow path)


def client_ip(headers: Mapping[str, str]) -> Optional[str]:
    """The first hop of ``X-Forwarded-For`` when it is an IP address (port dropped)."""
    raw = header(headers, "x-forwarded-for")
    if not raw:
        return None
    first = raw.split(",", 1)[0].strip()
    if first.startswith("["):
        host = first[1 : first.find("]")] if "]" in first else first[1:]
    elif first.count(":") == 1:
        host = first.split(":", 1)[0]
    else:
        host = first
    if _is_canonical_ipv4(host):
        return host
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


# A dotted quad exactly as ``ipaddress`` prints it: four ASCII decimal octets up to 255,
# without leading zeros. Anything else (IPv6, odd forms, garbage) is left to
# ``ipaddress``, which is slower but decides every case.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_is_canonical_ipv4 = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}").fullmatch


def route_and_path(
    path: str, route_params: Mapping[str, Any], redactor: Redactor
) -> Tuple[str, str]:
    """``(route, path)``: the route with parameter values replaced by ``{name}``, and the path
    with the values of secret route parameters (``{token}``) masked.

    Extensions are not told the route template; it is derived from the path and
    ``route_params``, so ``/api/items/42`` with ``{"id": "42"}`` gives ``/api/items/{id}``.
    """
    if not route_params:
        return path, path
    segments = path.split("/")
    unused = {str(k): str(v) for k, v in route_params.items() if v not in (None, "")}
    cut = len(segments)
    tail_route: List[str] = []  # a catch-all ``{*rest}`` spans the last segments
    tail_path: List[str] = []
    for name, value in unused.items():
        width = value.count("/") + 1
        if (
            width > 1
            and len(segments) > width
            and "/".join(unquote(s) for s in segments[-width:]) == value
        ):
            cut = len(segments) - width
            tail_route = [f"{{{name}}}"]
            tail_path = [REDACTED] if redactor.is_secret_name(name) else segments[cut:]
            del unused[name]
            break
    route, masked = segments[:cut], segments[:cut]
    for index, segment in enumerate(route):
        if not segment:
            continue
        decoded = unquote(segment) if "%" in segment else segment
        for name, value in unused.items():
            if decoded == value:
                route[index] = f"{{{name}}}"
                if redactor.is_secret_name(name):
                    masked[index] = REDACTED
                del unused[name]
                break
    return "/".join(route + tail_route), "/".join(masked + tail_path)
