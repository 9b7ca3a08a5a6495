"""Outgoing propagation: calls made during an invocation with ``requests``, ``httpx`` and
``urllib3`` carry a ``traceparent`` in the invocation's trace, from a client span that is a
child of the invocation span; instrumentation happens once, however often configure runs."""

from __future__ import annotations

from typing import Any, Callable

import azure.functions as func
import httpx
import pytest
import requests
import urllib3
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_opentelemetry import OpenTelemetryExtension

from .conftest import INCOMING, INCOMING_TRACE_ID, finished
from .receivers import Downstream


def _with_requests(url: str) -> None:
    requests.get(url, timeout=5)


def _with_httpx(url: str) -> None:
    httpx.get(url, timeout=5)


def _with_urllib3(url: str) -> None:
    urllib3.PoolManager().request("GET", url, timeout=5)


@pytest.mark.parametrize(
    "call", [_with_requests, _with_httpx, _with_urllib3], ids=["requests", "httpx", "urllib3"]
)
def test_outgoing_call_carries_the_invocation_trace(
    extension: type[OpenTelemetryExtension], downstream: Downstream, call: Callable[[str], None]
) -> None:
    memory = InMemorySpanExporter()
    extension.configure(exporter=memory)  # every installed instrumentation
    extension.configure(exporter=memory)  # again: nothing is wrapped twice

    def proxy(req: func.HttpRequest) -> func.HttpResponse:
        call(downstream.url + "/stock")
        return func.HttpResponse("ok")

    invoke(proxy, context=make_context("Proxy", trace_parent=INCOMING), req=make_http_request())
    spans = finished(extension, memory)
    invocation = next(s for s in spans if s.kind is SpanKind.SERVER)
    clients = [s for s in spans if s.kind is SpanKind.CLIENT]
    (headers,) = downstream.headers()
    _version, trace_id, parent_id, flags = headers["traceparent"].split("-")
    assert trace_id == INCOMING_TRACE_ID and flags == "01"
    # The header's parent is a client span whose chain of parents (urllib3 under requests
    # adds one) leads to the invocation span.
    chain = next(s for s in clients if f"{s.context.span_id:016x}" == parent_id)
    while chain.parent.span_id != invocation.context.span_id:
        chain = next(s for s in clients if s.context.span_id == chain.parent.span_id)
    assert chain.kind is SpanKind.CLIENT


def test_instrumentations_report_and_never_wrap_twice(
    extension: type[OpenTelemetryExtension],
) -> None:
    extension.configure(exporter="none")
    outcomes = extension.instrumentations()
    assert set(outcomes) == {"requests", "httpx", "urllib3", "aiohttp", "azure_sdk"}
    assert set(outcomes.values()) <= {"instrumented", "already instrumented"}
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    assert RequestsInstrumentor().is_instrumented_by_opentelemetry
    send = requests.Session.send
    extension.configure(exporter="none")
    assert requests.Session.send is send
    assert set(extension.instrumentations().values()) == {"already instrumented"}


def test_call_after_an_invocation_is_not_in_its_trace(
    extension: type[OpenTelemetryExtension], downstream: Downstream
) -> None:
    extension.configure(exporter="none")
    invoke(
        lambda req: None,
        context=make_context("Noop", trace_parent=INCOMING),
        req=make_http_request(),
    )
    requests.get(downstream.url + "/health", timeout=5)  # on the same thread, afterwards
    (headers,) = downstream.headers()
    assert INCOMING_TRACE_ID not in headers.get("traceparent", "")


def test_unsampled_caller_is_propagated_unsampled(
    extension: type[OpenTelemetryExtension], downstream: Downstream
) -> None:
    memory = InMemorySpanExporter()
    extension.configure(exporter=memory)
    unsampled = INCOMING[:-2] + "00"

    def proxy(req: func.HttpRequest) -> Any:
        requests.get(downstream.url + "/stock", timeout=5)
        return func.HttpResponse("ok")

    invoke(proxy, context=make_context("Proxy", trace_parent=unsampled), req=make_http_request())
    assert finished(extension, memory) == []
    (headers,) = downstream.headers()
    assert headers["traceparent"].startswith(f"00-{INCOMING_TRACE_ID}-")
    assert headers["traceparent"].endswith("-00")
