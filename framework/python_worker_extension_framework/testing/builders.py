"""Builders for the context and the HTTP request the worker hands to functions and hooks.

Trigger objects other than HTTP are built in ``triggers.py``.
"""

from __future__ import annotations

import json as jsonlib
from typing import Any, Mapping, Optional, Union
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func

from ..core.context import InvocationContext, RetryContext, RpcException, TraceContext
from ..toolkit import traceparent as tp
from .functions import resolve_function

DEFAULT_BASE_URL = "http://localhost:7071"
_DEFAULT_URL = DEFAULT_BASE_URL + "/api/HttpTrigger"
# Set on a request whose route parameters are still to come from a function's route:
# ``invoke`` fills them by the host's matcher (and rejects a URL the route does not match).
UNROUTED_ATTRIBUTE = "_funcext_unrouted"


def make_retry_context(
    retry_count: int = 0,
    max_retry_count: int = 0,
    previous_error: Optional[BaseException] = None,
) -> RetryContext:
    """The retry context the host sends with a timer, Event Hubs, Kafka or Cosmos DB trigger:
    ``retry_count`` 0 on the first try; after a failure, the failure as ``rpc_exception``."""
    rpc = RpcException.from_exception(previous_error) if previous_error else RpcException()
    return RetryContext(retry_count, max_retry_count, rpc)


def make_context(
    function_name: str = "HttpTrigger",
    *,
    invocation_id: Optional[str] = None,
    function_directory: str = "",
    trace_parent: Optional[str] = None,
    trace_state: str = "",
    retry_count: Optional[int] = None,
    max_retry_count: int = 0,
    previous_error: Optional[BaseException] = None,
    retry_context: Optional[RetryContext] = None,
) -> InvocationContext:
    """A context like the worker's. ``trace_parent=None`` makes a new sampled one; pass
    ``""`` for none. A retry context is attached when ``retry_count`` (or a whole
    ``retry_context``, see ``make_retry_context``) is given."""
    parent = tp.new().header() if trace_parent is None else trace_parent
    retry = retry_context
    if retry is None and retry_count is not None:
        rpc = RpcException.from_exception(previous_error) if previous_error else None
        retry = RetryContext(retry_count, max_retry_count, rpc)
    return InvocationContext(
        function_name,
        function_directory=function_directory,
        invocation_id=invocation_id,
        trace_context=TraceContext(parent, trace_state),
        retry_context=retry,
    )


def make_http_request(
    method: str = "GET",
    url: Optional[str] = None,
    *,
    function: Any = None,
    headers: Optional[Mapping[str, str]] = None,
    params: Optional[Mapping[str, str]] = None,
    route_params: Optional[Mapping[str, str]] = None,
    body: Union[bytes, str, None] = None,
    json: Any = None,
) -> func.HttpRequest:
    """An ``azure.functions.HttpRequest``; query parameters in ``url`` fill ``params``.

    ``url`` may be a path (``"/api/items/42?name=x"``). Route parameters come from the
    function's route, by the host's matcher (constraints, optional and default values,
    catch-all, the ``routePrefix`` of host.json): now when ``function`` is given, else
    when ``invoke`` runs the request against its function. A URL the route does not match
    raises ``RouteMismatchError``. Explicit ``route_params`` skip the matching.
    """
    if url is None and function is not None:
        target = resolve_function(function)
        url = target.route_prefix.strip("/") + "/" + target.spec.route
    url = url or _DEFAULT_URL
    if not urlsplit(url).scheme:
        url = DEFAULT_BASE_URL + "/" + url.lstrip("/")
    all_headers = dict(headers or {})
    if json is not None:
        body = jsonlib.dumps(json)
        all_headers.setdefault("Content-Type", "application/json")
    data = body.encode() if isinstance(body, str) else (body or b"")
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    query.update(params or {})
    routed = route_params is not None or url == _DEFAULT_URL
    if function is not None and route_params is None:
        route_params = resolve_function(function).route_params(method, url)
        routed = True
    request = func.HttpRequest(
        method=method.upper(),
        url=url,
        headers=all_headers,
        params=query,
        route_params=dict(route_params or {}),
        body=data,
    )
    if not routed:
        setattr(request, UNROUTED_ATTRIBUTE, True)
    return request


def with_route_params(
    request: func.HttpRequest, route_params: Mapping[str, str]
) -> func.HttpRequest:
    """The same request with ``route_params`` set (``HttpRequest`` has no setter)."""
    return func.HttpRequest(
        method=request.method,
        url=request.url,
        headers=dict(request.headers),
        params=dict(request.params),
        route_params=dict(route_params),
        body=request.get_body(),
    )
