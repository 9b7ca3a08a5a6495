"""``add_http_attributes``' short way (a known upper-case method kept as it came, the URL
split inline, the SDK's headers read from their plain dict) against the general code it
replaced, kept here as the reference, over requests of many shapes."""

from __future__ import annotations

import itertools
from typing import Any, Dict, Mapping, Optional, Tuple

import azure.functions as func
import pytest
from python_worker_extension_framework.toolkit import http, redaction
from python_worker_extension_opentelemetry import attributes as names

_KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)


def _reference_path_and_query(url: str) -> Tuple[str, str]:
    if "#" in url:
        url = url.split("#", 1)[0]
    base, _, query = url.partition("?")
    scheme_end = base.find("://")
    if scheme_end >= 0:
        slash = base.find("/", scheme_end + 3)
        base = base[slash:] if slash >= 0 else "/"
    return base or "/", query


def _reference(
    attributes: Dict[str, Any],
    request: Any,
    redactor: redaction.Redactor,
    record_headers: Tuple[str, ...] = (),
) -> str:
    url = getattr(request, "url", None)
    url = url if isinstance(url, str) else str(url or "")
    method = getattr(request, "method", None)
    method = method.upper() if isinstance(method, str) else str(method or "").upper()
    if method not in _KNOWN_METHODS:
        method = "_OTHER"
    route_params: Mapping[str, Any] = getattr(request, "route_params", None) or {}
    path, query = _reference_path_and_query(url)
    route = path
    if route_params:
        for name, value in route_params.items():
            if value and redactor.is_secret_name(str(name)):
                path = http.replace_path_segments(path, str(value), redaction.REDACTED)
        route = http.route_template(path, route_params)
    attributes[names.HTTP_REQUEST_METHOD] = method
    attributes[names.URL_PATH] = path
    attributes[names.HTTP_ROUTE] = route
    if query:
        attributes[names.URL_QUERY] = redactor.query(query)
    headers: Mapping[str, str] = getattr(request, "headers", None) or {}
    if headers:
        if "user-agent" in headers:
            agent = headers["user-agent"]
            if agent:
                attributes[names.USER_AGENT] = agent
        if "x-forwarded-for" in headers:
            forwarded = headers["x-forwarded-for"]
            if forwarded:
                attributes[names.CLIENT_ADDRESS] = forwarded.split(",", 1)[0].strip()
        if record_headers:
            present = {name: headers[name] for name in record_headers if name in headers}
            for name, value in redactor.headers(present).items():
                attributes[names.HEADER_PREFIX + name.lower()] = str(value)
    return f"{method if method != '_OTHER' else 'HTTP'} {route}"


class _Method(str):
    """A str subclass as a method (some frameworks hand those on)."""


class _PlainRequest:
    """Not the SDK's request: plain attributes, headers in a plain dict (case as sent)."""

    def __init__(self, method: Any, url: Any, headers: Optional[Dict[str, str]], params: Any):
        self.method = method
        self.url = url
        self.headers = headers
        self.route_params = params


METHODS = ("GET", "post", "Patch", "BREW", "", None, _Method("DELETE"), _Method("get"))
URLS = (
    "http://localhost:7071/api/orders?code=abc&page=2",
    "https://h.example/api/keys/s3cr3t?sig=x%2By#frag",
    "http://h",
    "http://h?only=query",
    "/api/relative?token=eyJhbGciOi.x.y",
    "",
    "https://h/api/a;b?x=1;y=2",
)
HEADERS = (
    {},
    {"User-Agent": "curl/8.0"},
    {"user-agent": "", "X-Forwarded-For": "203.0.113.7, 10.0.0.1"},
    {"Authorization": "Bearer abc", "X-Api-Key": "k", "Accept": "*/*"},
)
ROUTE_PARAMS = ({}, {"apiKey": "s3cr3t"}, {"id": "orders"})


def _sdk_request(method: Any, url: Any, headers: Dict[str, str], params: Any) -> Any:
    return func.HttpRequest(
        method=method if isinstance(method, str) else "GET",
        url=url,
        headers=headers,
        route_params=params,
        body=b"",
    )


@pytest.mark.parametrize("sdk", [True, False], ids=["sdk-request", "plain-request"])
@pytest.mark.parametrize("record_headers", [(), ("Authorization", "accept", "x-api-key")])
def test_the_short_way_gives_what_the_general_code_gave(
    sdk: bool, record_headers: Tuple[str, ...]
) -> None:
    redactor = redaction.Redactor(extra_names=("apikey",))
    checked = 0
    for method, url, headers, params in itertools.product(METHODS, URLS, HEADERS, ROUTE_PARAMS):
        if sdk:
            request = _sdk_request(method, url, headers, params)
        else:
            request = _PlainRequest(method, url, dict(headers) or None, params)
        expected: Dict[str, Any] = {"faas.name": "f"}
        got: Dict[str, Any] = {"faas.name": "f"}
        expected_name = _reference(expected, request, redactor, record_headers)
        got_name = names.add_http_attributes(got, request, redactor, record_headers)
        assert (got_name, got) == (expected_name, expected), (method, url, headers, params)
        assert list(got) == list(expected)  # the same order, as the span keeps it
        checked += 1
    assert checked == len(METHODS) * len(URLS) * len(HEADERS) * len(ROUTE_PARAMS)


def test_the_sdk_request_headers_are_read_from_their_plain_dict() -> None:
    request = _sdk_request("GET", "http://h/api/x", {"User-Agent": "ua/1"}, {})
    assert http.header_table(request.headers) == {"user-agent": "ua/1"}
    attributes: Dict[str, Any] = {}
    assert names.add_http_attributes(attributes, request, redaction.DEFAULT) == "GET /api/x"
    assert attributes[names.USER_AGENT] == "ua/1"
