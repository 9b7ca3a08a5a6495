"""Conversions between the wire and what functions see, done as the worker does them.

In: an ASGI request becomes a real ``azure.functions.HttpRequest``; an admin call's
``input`` becomes the trigger's usual object (a ``TimerRequest`` for a timer, a
``QueueMessage`` for a queue, ...). Out: every output binding the function declares gets an
``azure.functions.Out``; the return value goes to the ``$return`` binding; an HTTP function's
response comes from ``$return`` or from its named ``http`` output binding. As in the worker,
an HTTP output accepts an ``HttpResponse`` or a ``str`` and nothing else.
"""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple, TypeVar
from urllib.parse import parse_qsl

import azure.functions as func
from azure.functions.timer import TimerRequest

from .loader import FunctionSpec

T = TypeVar("T")


class OutputBinding(func.Out[T]):
    """The worker's ``Out``: the function calls ``set(value)``; the host reads ``get()``."""

    def __init__(self) -> None:
        self._value: Optional[T] = None
        self.was_set = False

    def set(self, val: T) -> None:
        self._value = val
        self.was_set = True

    def get(self) -> Optional[T]:  # type: ignore[override]
        return self._value


class ResultConversionError(Exception):
    """The function returned something its output binding cannot carry."""


# -- HTTP in --------------------------------------------------------------------------------


def join_headers(raw: List[Tuple[bytes, bytes]]) -> Dict[str, str]:
    """ASGI header pairs to one value per name, repeats joined as HTTP allows."""
    headers: Dict[str, str] = {}
    for raw_name, raw_value in raw:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name in headers:
            joiner = "; " if name == "cookie" else ", "
            headers[name] = headers[name] + joiner + value
        else:
            headers[name] = value
    return headers


def query_params(query_string: str) -> Dict[str, str]:
    """Query parameters; a repeated name's values are joined with commas, as the host does."""
    params: Dict[str, str] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        params[name] = f"{params[name]},{value}" if name in params else value
    return params


def build_http_request(
    scope: Mapping[str, Any],
    headers: Dict[str, str],
    body: bytes,
    route_params: Mapping[str, str],
) -> func.HttpRequest:
    """``headers`` are the scope's, already joined (``join_headers``)."""
    query = (scope.get("query_string") or b"").decode("latin-1")
    host = headers.get("host") or "{}:{}".format(*(scope.get("server") or ("127.0.0.1", 80)))
    path = scope.get("raw_path", b"").decode("latin-1") or scope.get("path", "/")
    url = f"{scope.get('scheme', 'http')}://{host}{path}" + (f"?{query}" if query else "")
    return func.HttpRequest(
        method=str(scope["method"]).upper(),
        url=url,
        headers=headers,
        params=query_params(query),
        route_params=dict(route_params),
        body=body,
    )


# -- admin input ----------------------------------------------------------------------------


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def trigger_input(spec: FunctionSpec, value: Any) -> Any:
    """The object a trigger of this type would hand the function, built from ``input``."""
    kind = spec.trigger_type.lower()
    if kind == "timertrigger":
        return TimerRequest(past_due=False, schedule_status={}, schedule={"AdjustForDST": True})
    if kind == "queuetrigger":
        return func.QueueMessage(id=str(uuid.uuid4()), body=_text(value).encode())
    if kind == "servicebustrigger":
        return func.ServiceBusMessage(body=_text(value).encode())
    if kind in ("eventhubtrigger", "kafkatrigger"):
        return func.EventHubEvent(body=_text(value).encode(), enqueued_time=_now())
    if kind == "blobtrigger":
        blob = _text(value).encode()
        return func.blob.InputStream(
            data=blob, name=str(spec.trigger.get("path", "")), length=len(blob)
        )
    if kind == "eventgridtrigger":
        event: Dict[str, object] = value if isinstance(value, dict) else {"value": value}
        return func.EventGridEvent(
            id=str(uuid.uuid4()),
            data=event,
            topic="",
            subject="",
            event_type="",
            event_time=_now(),
            data_version="1.0",
        )
    if kind == "cosmosdbtrigger":
        documents = value if isinstance(value, list) else [value]
        return func.DocumentList(
            [func.Document.from_dict(d if isinstance(d, dict) else {"value": d}) for d in documents]
        )
    return value


# -- arguments and results -------------------------------------------------------------------


def build_arguments(spec: FunctionSpec, trigger_value: Any, context: Any) -> Dict[str, Any]:
    """The call's ``func_args``: the trigger value by its name, an ``Out`` per output binding
    (read back afterwards), ``context`` if declared."""
    wanted = set(spec.parameters)
    arguments: Dict[str, Any] = {}
    for binding in spec.bindings:
        name = str(binding["name"])
        if name == "$return" or (wanted and name not in wanted):
            continue
        if binding["direction"] == "out":
            arguments[name] = OutputBinding()
        elif binding is spec.trigger:
            arguments[name] = trigger_value
        else:
            arguments[name] = None  # input bindings have no local source
    if spec.declares_context:
        arguments["context"] = context
    return arguments


@dataclass
class HttpAnswer:
    """The status, headers and body an HTTP output binding sends."""

    status: int
    headers: List[Tuple[str, str]]
    body: bytes


def http_answer(value: Any) -> HttpAnswer:
    """What an HTTP output binding sends for ``value`` (``HttpResponse``, ``str`` or None)."""
    if value is None:
        return HttpAnswer(204, [], b"")
    if isinstance(value, str):
        return HttpAnswer(200, [("content-type", "text/plain; charset=utf-8")], value.encode())
    if isinstance(value, func.HttpResponse):
        headers = [(k.lower(), str(v)) for k, v in value.headers.items()]
        if not any(k == "content-type" for k, _ in headers) and value.mimetype:
            content_type = value.mimetype
            if value.charset and value.mimetype.startswith("text/"):
                content_type += f"; charset={value.charset}"
            headers.append(("content-type", content_type))
        return HttpAnswer(int(value.status_code), headers, value.get_body() or b"")
    raise ResultConversionError(
        f"returned a {type(value).__name__}, which an HTTP output binding cannot send: return "
        "func.HttpResponse(...) or a str (for JSON: func.HttpResponse(json.dumps(value), "
        "mimetype='application/json'))"
    )


def _outputs(func_args: Dict[str, Any]) -> Dict[str, OutputBinding[Any]]:
    return {name: value for name, value in func_args.items() if isinstance(value, OutputBinding)}


def captured_outputs(spec: FunctionSpec, func_args: Dict[str, Any], result: Any) -> Dict[str, Any]:
    """Values the function sent to non-HTTP output bindings, by binding name."""
    values: Dict[str, Any] = {}
    http_name = spec.http_output_name
    for name, out in _outputs(func_args).items():
        if name != http_name and out.was_set:
            values[name] = out.get()
    returned = spec.return_binding
    if returned is not None and http_name != "$return" and result is not None:
        values["$return"] = result
    return values


def http_response_value(spec: FunctionSpec, func_args: Dict[str, Any], result: Any) -> Any:
    """The value that becomes the HTTP response: ``$return`` or the named http output."""
    name = spec.http_output_name
    if name is None or name == "$return":
        return result
    out = _outputs(func_args).get(name)
    return out.get() if out is not None else None
