"""Builders for the objects the worker hands to functions and hooks."""

from __future__ import annotations

import json as jsonlib
from typing import Any, Mapping, Optional, Union
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func

from ..core.context import InvocationContext, RetryContext, RpcException, TraceContext
from ..toolkit import traceparent as tp


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
) -> InvocationContext:
    """A context like the worker's. ``trace_parent=None`` makes a new sampled one; pass
    ``""`` for none. A retry context is attached when ``retry_count`` is given."""
    parent = tp.new().header() if trace_parent is None else trace_parent
    retry = None
    if retry_count is not None:
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
    url: str = "http://localhost:7071/api/HttpTrigger",
    *,
    headers: Optional[Mapping[str, str]] = None,
    params: Optional[Mapping[str, str]] = None,
    route_params: Optional[Mapping[str, str]] = None,
    body: Union[bytes, str, None] = None,
    json: Any = None,
) -> func.HttpRequest:
    """An ``azure.functions.HttpRequest``; query parameters in ``url`` fill ``params``."""
    all_headers = dict(headers or {})
    if json is not None:
        body = jsonlib.dumps(json)
        all_headers.setdefault("Content-Type", "application/json")
    data = body.encode() if isinstance(body, str) else (body or b"")
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    query.update(params or {})
    return func.HttpRequest(
        method=method.upper(),
        url=url,
        headers=all_headers,
        params=query,
        route_params=dict(route_params or {}),
        body=data,
    )
