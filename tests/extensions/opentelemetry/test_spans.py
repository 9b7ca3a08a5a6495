"""The invocation span, through the test harness (framework error phase): name, kind, FaaS,
cloud and HTTP attributes, the caller's trace continued, user spans as children, failures."""

from __future__ import annotations

import asyncio
from typing import Any

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.testing import (
    invoke,
    make_context,
    make_http_request,
    registered,
)
from python_worker_extension_opentelemetry import OpenTelemetryExtension
from python_worker_extension_retry_context import RetryContextExtension

from .conftest import INCOMING, INCOMING_PARENT_ID, INCOMING_TRACE_ID, finished

tracer = trace.get_tracer("tests.user")  # obtained before any configure(), as apps do


def checkout(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    with tracer.start_as_current_span("reserve stock"):
        pass
    if req.params.get("fail"):
        raise LookupError("sku-42 is out of stock; key=AccountKey=c2VjcmV0a2V5MTIz")
    status = int(req.params.get("status", "201"))
    return func.HttpResponse("ok", status_code=status)


def by_name(spans: list) -> dict:
    return {span.name: span for span in spans}


def test_http_invocation_span(
    extension: type[OpenTelemetryExtension], memory: InMemorySpanExporter
) -> None:
    context = make_context("Checkout", trace_parent=INCOMING, trace_state="congo=t61rcWkgMzE")
    request = make_http_request(
        "POST",
        "https://contoso.net/api/orders/42/items?code=s3cret-code&page=2",
        route_params={"order": "42"},
        headers={"User-Agent": "tests/1.0", "X-Forwarded-For": "203.0.113.9, 10.0.0.1"},
    )
    invoke(checkout, context=context, req=request).raise_for_exception()
    spans = by_name(finished(extension, memory))
    invocation, user = spans["POST /api/orders/{order}/items"], spans["reserve stock"]
    assert invocation.kind is SpanKind.SERVER
    assert f"{invocation.context.trace_id:032x}" == INCOMING_TRACE_ID
    assert f"{invocation.parent.span_id:016x}" == INCOMING_PARENT_ID
    assert invocation.context.trace_state.get("congo") == "t61rcWkgMzE"
    assert user.parent.span_id == invocation.context.span_id
    attributes = dict(invocation.attributes)
    assert attributes["faas.trigger"] == "http"
    assert attributes["faas.name"] == "Checkout"
    assert attributes["faas.invocation_id"] == context.invocation_id
    assert attributes["faas.coldstart"] is True
    assert invocation.resource.attributes["cloud.provider"] == "azure"
    assert invocation.resource.attributes["cloud.platform"] == "azure_functions"
    assert attributes["http.request.method"] == "POST"
    assert attributes["url.path"] == "/api/orders/42/items"
    assert attributes["http.route"] == "/api/orders/{order}/items"
    assert attributes["url.query"] == "code=[REDACTED]&page=2"
    assert attributes["http.response.status_code"] == 201
    assert attributes["user_agent.original"] == "tests/1.0"
    assert attributes["client.address"] == "203.0.113.9"
    assert invocation.status.status_code is StatusCode.UNSET


def test_only_the_first_invocation_is_a_cold_start(
    extension: type[OpenTelemetryExtension], memory: InMemorySpanExporter
) -> None:
    for _ in range(3):
        invoke(checkout, context=make_context("Checkout"), req=make_http_request())
    flags = [span.attributes["faas.coldstart"] for span in finished(extension, memory)[1::2]]
    assert flags == [True, False, False]


def test_raising_function_is_an_error_with_a_redacted_exception_event(
    extension: type[OpenTelemetryExtension], memory: InMemorySpanExporter
) -> None:
    request = make_http_request("GET", "http://localhost/api/checkout?fail=1")
    record = invoke(checkout, context=make_context("Checkout"), req=request, capture_exception=True)
    assert isinstance(record.exception, LookupError)
    (invocation,) = [s for s in finished(extension, memory) if s.kind is SpanKind.SERVER]
    assert invocation.status.status_code is StatusCode.ERROR
    assert invocation.attributes["http.response.status_code"] == 500
    assert invocation.attributes["error.type"] == "LookupError"
    (event,) = invocation.events
    assert event.name == "exception"
    assert event.attributes["exception.type"] == "LookupError"
    assert "sku-42 is out of stock" in event.attributes["exception.message"]
    assert "c2VjcmV0a2V5MTIz" not in event.attributes["exception.message"]
    assert "c2VjcmV0a2V5MTIz" not in event.attributes["exception.stacktrace"]
    assert "checkout" in event.attributes["exception.stacktrace"]
    assert "c2VjcmV0a2V5MTIz" not in (invocation.status.description or "")


@pytest.mark.parametrize(("status", "error"), [(503, True), (500, True), (404, False)])
def test_5xx_answer_is_an_error(
    extension: type[OpenTelemetryExtension],
    memory: InMemorySpanExporter,
    status: int,
    error: bool,
) -> None:
    request = make_http_request("GET", f"http://localhost/api/checkout?status={status}")
    invoke(checkout, context=make_context("Checkout"), req=request).raise_for_exception()
    (invocation,) = [s for s in finished(extension, memory) if s.kind is SpanKind.SERVER]
    assert invocation.attributes["http.response.status_code"] == status
    assert (invocation.status.status_code is StatusCode.ERROR) is error


def test_worker_identical_mode_ends_a_raising_invocation_as_failed(
    extension: type[OpenTelemetryExtension], memory: InMemorySpanExporter
) -> None:
    """The real worker runs no post hook for a function that raises: the span still ends,
    and what that invocation left current is gone once the thread's next invocation ends."""
    dispatcher = Dispatcher(python_version=(3, 12))  # the 3.12 worker: no error phase
    request = make_http_request("GET", "http://localhost/api/checkout?fail=1")
    record = invoke(
        checkout,
        context=make_context("Checkout"),
        req=request,
        dispatcher=dispatcher,
        capture_exception=True,
    )
    assert isinstance(record.exception, LookupError)
    del record  # the worker lets go of the invocation's context
    import gc

    gc.collect()
    (invocation,) = [s for s in finished(extension, memory) if s.kind is SpanKind.SERVER]
    assert invocation.status.status_code is StatusCode.ERROR
    assert invocation.attributes["http.response.status_code"] == 500
    memory.clear()
    context = make_context("Checkout", trace_parent=INCOMING)
    invoke(checkout, context=context, req=make_http_request(), dispatcher=dispatcher)
    spans = finished(extension, memory)
    assert {f"{span.context.trace_id:032x}" for span in spans} == {INCOMING_TRACE_ID}
    assert not trace.get_current_span().get_span_context().is_valid


def tick(timer: TimerRequest) -> None:
    with tracer.start_as_current_span("tick work"):
        pass


def on_message(msg: func.QueueMessage) -> None:
    pass


@pytest.mark.parametrize(
    ("function", "arguments", "trigger", "kind"),
    [
        (tick, {"timer": TimerRequest(past_due=False)}, "timer", SpanKind.INTERNAL),
        (on_message, {"msg": func.QueueMessage(body=b"x")}, "pubsub", SpanKind.CONSUMER),
    ],
)
def test_other_triggers_are_named_by_function(
    extension: type[OpenTelemetryExtension],
    memory: InMemorySpanExporter,
    function: Any,
    arguments: dict,
    trigger: str,
    kind: SpanKind,
) -> None:
    invoke(function, context=make_context("Worker"), **arguments).raise_for_exception()
    (invocation,) = [s for s in finished(extension, memory) if s.name == "Worker"]
    assert invocation.kind is kind
    assert invocation.attributes["faas.trigger"] == trigger
    assert "http.request.method" not in invocation.attributes


def test_retry_facts_from_the_retry_context_extension(
    extension: type[OpenTelemetryExtension],
) -> None:
    memory = InMemorySpanExporter()
    with registered(RetryContextExtension, OpenTelemetryExtension):
        RetryContextExtension.reset()
        extension.configure(exporter=memory, instrumentations="none")
        context = make_context("Worker", retry_count=2, max_retry_count=5)
        invoke(tick, context=context, timer=TimerRequest()).raise_for_exception()
        RetryContextExtension.reset()
    (invocation,) = [s for s in finished(extension, memory) if s.name == "Worker"]
    assert invocation.attributes["faas.retry.attempt"] == 3
    assert invocation.attributes["faas.retry.max_count"] == 5


def test_cloud_attributes_from_the_platform(
    extension: type[OpenTelemetryExtension], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEBSITE_OWNER_NAME", "1111-2222+orders-rg-WestEuropewebspace-Linux")
    monkeypatch.setenv("WEBSITE_RESOURCE_GROUP", "orders-rg")
    monkeypatch.setenv("WEBSITE_SITE_NAME", "Contoso-Orders")
    monkeypatch.setenv("REGION_NAME", "West Europe")
    memory = InMemorySpanExporter()
    extension.configure(exporter=memory, instrumentations="none")
    invoke(tick, context=make_context("Worker"), timer=TimerRequest()).raise_for_exception()
    (invocation,) = [s for s in finished(extension, memory) if s.name == "Worker"]
    assert invocation.resource.attributes["cloud.region"] == "westeurope"
    assert invocation.resource.attributes["cloud.resource_id"] == (
        "/subscriptions/1111-2222/resourcegroups/orders-rg/providers/microsoft.web/sites/"
        "contoso-orders"
    )
    assert invocation.resource.attributes["service.name"] == "Contoso-Orders"


async def fetch(req: func.HttpRequest) -> func.HttpResponse:
    with tracer.start_as_current_span("async work"):
        await asyncio.sleep(0)
    return func.HttpResponse("ok")


def test_async_function_user_spans_are_children(
    extension: type[OpenTelemetryExtension], memory: InMemorySpanExporter
) -> None:
    record = invoke(
        fetch, context=make_context("Fetch", trace_parent=INCOMING), req=make_http_request()
    )
    record.raise_for_exception()
    spans = finished(extension, memory)
    invocation = next(s for s in spans if s.kind is SpanKind.SERVER)
    user = next(s for s in spans if s.name == "async work")
    assert user.parent.span_id == invocation.context.span_id
    assert f"{user.context.trace_id:032x}" == INCOMING_TRACE_ID


def test_record_headers_are_redacted(extension: type[OpenTelemetryExtension]) -> None:
    memory = InMemorySpanExporter()
    extension.configure(
        exporter=memory, instrumentations="none", record_headers=("x-functions-key", "accept")
    )
    request = make_http_request(
        "GET", headers={"x-functions-key": "hdr-secret-77", "Accept": "text/plain"}
    )
    invoke(checkout, context=make_context("Checkout"), req=request).raise_for_exception()
    (invocation,) = [s for s in finished(extension, memory) if s.kind is SpanKind.SERVER]
    assert invocation.attributes["http.request.header.accept"] == "text/plain"
    assert "hdr-secret-77" not in str(dict(invocation.attributes))


def test_invocation_span_never_still_continues_the_trace(
    extension: type[OpenTelemetryExtension],
) -> None:
    memory = InMemorySpanExporter()
    extension.configure(exporter=memory, instrumentations="none", invocation_span="never")
    invoke(
        checkout, context=make_context("Checkout", trace_parent=INCOMING), req=make_http_request()
    )
    (user,) = finished(extension, memory)
    assert user.name == "reserve stock"
    assert f"{user.context.trace_id:032x}" == INCOMING_TRACE_ID
    assert f"{user.parent.span_id:016x}" == INCOMING_PARENT_ID


class _Binding(func.Out):
    """An output binding as the worker hands one to a function."""

    def __init__(self) -> None:
        self.value: Any = None

    def set(self, val: Any) -> None:
        self.value = val

    def get(self) -> Any:
        return self.value


def answers_through_binding(req: func.HttpRequest, res: func.Out) -> None:
    res.set(func.HttpResponse("busy", status_code=int(req.params.get("status", "503"))))


def answers_text(req: func.HttpRequest) -> str:
    return "ok"


def answers_nothing(req: func.HttpRequest) -> None:
    return None


@pytest.mark.parametrize(
    ("function", "binding", "status", "error"),
    [
        (answers_through_binding, True, 503, True),
        (answers_through_binding, True, 404, False),
        (answers_text, False, 200, False),
        (answers_nothing, False, None, False),
    ],
)
def test_status_of_an_answer_that_is_not_a_returned_response(
    extension: type[OpenTelemetryExtension],
    memory: InMemorySpanExporter,
    function: Any,
    binding: bool,
    status: Any,
    error: bool,
) -> None:
    """An ``HttpResponse`` set on an output binding, any other value returned (the worker
    answers 200), nothing returned: the status the function's outcome produces."""
    request = make_http_request("GET", f"http://localhost/api/answer?status={status}")
    arguments: dict = {"req": request}
    if binding:
        arguments["res"] = _Binding()
    invoke(function, context=make_context("Answer"), **arguments).raise_for_exception()
    (invocation,) = [s for s in finished(extension, memory) if s.kind is SpanKind.SERVER]
    assert invocation.attributes.get("http.response.status_code") == status
    assert (invocation.status.status_code is StatusCode.ERROR) is error
