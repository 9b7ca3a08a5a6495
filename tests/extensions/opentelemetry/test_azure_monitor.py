"""End to end with the real ``azure-monitor-opentelemetry-exporter``, sending to a local
Application Insights ingestion endpoint (``IngestionEndpoint`` in the connection string):
the envelopes are what Application Insights shows (requests, dependencies, exceptions,
metrics), in the caller's operation."""

from __future__ import annotations

from typing import Any

import azure.functions as func
import pytest
from opentelemetry import trace
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_opentelemetry import OpenTelemetryExtension

from .conftest import INCOMING, INCOMING_TRACE_ID, INSTRUMENTATION_KEY
from .receivers import IngestionEndpoint

tracer = trace.get_tracer("tests.checkout")


def connection_string(server: IngestionEndpoint) -> str:
    return f"InstrumentationKey={INSTRUMENTATION_KEY};IngestionEndpoint={server.url}/"


@pytest.fixture
def azure(
    extension: type[OpenTelemetryExtension],
    ingestion: IngestionEndpoint,
    monkeypatch: pytest.MonkeyPatch,
) -> IngestionEndpoint:
    # From the standard app setting: no exporter named, the connection string chooses it.
    monkeypatch.setenv("APPLICATIONINSIGHTS_CONNECTION_STRING", connection_string(ingestion))
    monkeypatch.setenv("WEBSITE_SITE_NAME", "contoso-orders")
    extension.configure(
        instrumentations="none",
        azure_monitor_options={"disable_offline_storage": True},
    )
    return ingestion


def checkout(req: func.HttpRequest) -> func.HttpResponse:
    with tracer.start_as_current_span("reserve stock"):
        pass
    if req.params.get("fail"):
        raise LookupError("sku-42 is out of stock")
    return func.HttpResponse("ok", status_code=201)


def _data(item: Any) -> Any:
    return item["data"]["baseData"]


def test_invocation_is_a_request_in_the_callers_operation(
    extension: type[OpenTelemetryExtension], azure: IngestionEndpoint
) -> None:
    request = make_http_request("POST", "https://contoso.net/api/checkout?code=s3cret-code")
    invoke(checkout, context=make_context("Checkout", trace_parent=INCOMING), req=request)
    extension.flush(10.0)
    (item,) = azure.envelopes("Request")
    assert item["iKey"] == INSTRUMENTATION_KEY
    assert item["tags"]["ai.operation.id"] == INCOMING_TRACE_ID
    assert item["tags"]["ai.cloud.role"] == "contoso-orders"
    assert _data(item)["responseCode"] == "201"
    assert _data(item)["success"] is True
    assert "s3cret-code" not in str(item)
    (dependency,) = azure.envelopes("RemoteDependency")
    assert _data(dependency)["name"] == "reserve stock"
    assert dependency["tags"]["ai.operation.parentId"] == _data(item)["id"]


def test_raising_invocation_is_a_failed_request_with_an_exception(
    extension: type[OpenTelemetryExtension], azure: IngestionEndpoint
) -> None:
    request = make_http_request("GET", "https://contoso.net/api/checkout?fail=1")
    record = invoke(
        checkout,
        context=make_context("Checkout", trace_parent=INCOMING),
        req=request,
        capture_exception=True,
    )
    assert isinstance(record.exception, LookupError)
    extension.flush(10.0)
    (item,) = azure.envelopes("Request")
    assert _data(item)["success"] is False
    assert _data(item)["responseCode"] == "500"
    (exception,) = azure.envelopes("Exception")
    details = _data(exception)["exceptions"][0]
    assert details["typeName"] == "LookupError"
    assert "sku-42 is out of stock" in details["message"]
    assert exception["tags"]["ai.operation.id"] == INCOMING_TRACE_ID


def test_metrics_reach_application_insights(
    extension: type[OpenTelemetryExtension], azure: IngestionEndpoint
) -> None:
    for _ in range(3):
        invoke(checkout, context=make_context("Checkout"), req=make_http_request())
    extension.flush(10.0)
    metrics = {
        metric["name"]: metric
        for envelope in azure.envelopes("Metric")
        for metric in _data(envelope)["metrics"]
    }
    assert metrics["faas.invocations"]["value"] == 3
    assert metrics["faas.invoke_duration"]["count"] == 3
