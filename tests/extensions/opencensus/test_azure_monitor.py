"""End to end with the real ``opencensus.ext.azure`` ``AzureExporter``, sending to a local
Application Insights ingestion endpoint (``IngestionEndpoint`` in the connection string):
the envelopes say what Application Insights will show."""

from __future__ import annotations

import logging
import socket
from typing import Any, Dict, List

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_opencensus import OpenCensusExtension
from python_worker_extension_opencensus.azure_monitor import LIBRARY_LOG_FILTER, OncePerMinute

from .conftest import (
    INCOMING,
    INCOMING_PARENT_ID,
    INCOMING_TRACE_ID,
    INSTRUMENTATION_KEY,
    Recorder,
    envelopes,
)

REQUEST = "Microsoft.ApplicationInsights.Request"
EXCEPTION = "Microsoft.ApplicationInsights.Exception"
DEPENDENCY = "Microsoft.ApplicationInsights.RemoteDependency"


def connection_string(server: Recorder) -> str:
    return f"InstrumentationKey={INSTRUMENTATION_KEY};IngestionEndpoint={server.url}/"


@pytest.fixture
def azure(
    extension: type[OpenCensusExtension], ingestion: Recorder, monkeypatch: pytest.MonkeyPatch
) -> Recorder:
    monkeypatch.setenv("WEBSITE_SITE_NAME", "contoso-orders")
    extension.configure(
        connection_string=connection_string(ingestion),
        enable_local_storage=False,  # nothing written under the temp folder
        export_interval=60.0,  # sent on flush, not on a timer
    )
    return ingestion


def _of(items: List[Dict[str, Any]], name: str) -> List[Dict[str, Any]]:
    return [item for item in items if item["name"] == name]


def _duration_seconds(text: str) -> float:
    days, clock = text.split(".", 1)
    hours, minutes, seconds = clock.split(":")
    return int(days) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def checkout(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    with context.tracer.span("reserve stock"):
        pass
    if req.params.get("fail"):
        raise LookupError("sku-42 is out of stock")
    return func.HttpResponse("ok", status_code=201)


def test_successful_invocation_is_a_request_item(
    extension: type[OpenCensusExtension], azure: Recorder
) -> None:
    context = make_context("Checkout", trace_parent=INCOMING)
    request = make_http_request("POST", "https://contoso.net/api/checkout?code=s3cret")
    invoke(checkout, context=context, req=request).raise_for_exception()
    extension.flush(10.0)
    items = envelopes(azure)
    assert {r["path"].rstrip("/").endswith("v2.1/track") for r in azure.requests} == {True}
    (item,) = _of(items, REQUEST)
    data = item["data"]["baseData"]
    assert item["iKey"] == INSTRUMENTATION_KEY
    assert data["name"] == "Checkout"
    assert data["responseCode"] == "201"
    assert data["success"] is True
    assert "s3cret" not in data["url"]
    assert _duration_seconds(data["duration"]) >= 0
    tags = item["tags"]
    assert tags["ai.operation.id"] == INCOMING_TRACE_ID
    assert tags["ai.operation.parentId"] == INCOMING_PARENT_ID
    assert tags["ai.operation.name"] == "Checkout"
    assert tags["ai.cloud.role"] == "contoso-orders"
    assert data["properties"]["faas.trigger"] == "http"
    (child,) = _of(items, DEPENDENCY)
    assert child["data"]["baseData"]["name"] == "reserve stock"
    assert child["tags"]["ai.operation.id"] == INCOMING_TRACE_ID
    assert child["tags"]["ai.operation.parentId"] == data["id"]
    assert _of(items, EXCEPTION) == []


def test_failed_invocation_is_a_failed_request_with_its_exception(
    extension: type[OpenCensusExtension], azure: Recorder
) -> None:
    context = make_context("Checkout", trace_parent=INCOMING)
    record = invoke(
        checkout,
        capture_exception=True,
        context=context,
        req=make_http_request("POST", params={"fail": "1"}),
    )
    assert isinstance(record.exception, LookupError)
    extension.flush(10.0)
    items = envelopes(azure)
    (item,) = _of(items, REQUEST)
    data = item["data"]["baseData"]
    assert data["name"] == "Checkout"
    assert data["success"] is False
    assert data["responseCode"] == "500"
    assert item["tags"]["ai.operation.id"] == INCOMING_TRACE_ID
    assert _duration_seconds(data["duration"]) >= 0
    assert "stacktrace" not in data["properties"]
    (failure,) = _of(items, EXCEPTION)
    (details,) = failure["data"]["baseData"]["exceptions"]
    assert details["typeName"] == "LookupError"
    assert details["message"] == "sku-42 is out of stock"
    assert "in checkout" in details["stack"] and "parsedStack" not in details
    assert failure["tags"]["ai.operation.id"] == INCOMING_TRACE_ID


def test_failed_non_http_invocation_is_a_failed_request(
    extension: type[OpenCensusExtension], azure: Recorder
) -> None:
    def nightly(timer: TimerRequest) -> None:
        raise TimeoutError("warehouse did not answer")

    context = make_context("Nightly", trace_parent="")
    record = invoke(nightly, capture_exception=True, context=context, timer=TimerRequest())
    assert isinstance(record.exception, TimeoutError)
    extension.flush(10.0)
    (item,) = _of(envelopes(azure), REQUEST)
    data = item["data"]["baseData"]
    assert data["name"] == "Nightly"
    assert data["success"] is False
    assert data["responseCode"] != "0"
    assert len(item["tags"]["ai.operation.id"]) == 32
    assert data["properties"]["faas.trigger"] == "timer"


def test_connection_string_from_the_app_setting(
    extension: type[OpenCensusExtension], ingestion: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPLICATIONINSIGHTS_CONNECTION_STRING", connection_string(ingestion))
    extension.configure(enable_local_storage=False, export_interval=60.0)
    invoke(checkout, function_name="Checkout", req=make_http_request()).raise_for_exception()
    extension.flush(10.0)
    (item,) = _of(envelopes(ingestion), REQUEST)
    assert item["data"]["baseData"]["success"] is True
    assert extension.export_stats()["written"] == 2


def _closed_port() -> int:
    """A 127.0.0.1 port nothing listens on: every send to it fails at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_library_retry_lines_appear_at_most_once_a_minute_and_are_counted(
    extension: type[OpenCensusExtension], caplog: pytest.LogCaptureFixture
) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}/"
    extension.configure(
        connection_string=f"InstrumentationKey={INSTRUMENTATION_KEY};IngestionEndpoint={endpoint}",
        enable_local_storage=False,
        export_interval=60.0,
    )
    held_before = LIBRARY_LOG_FILTER.held_back
    caplog.set_level(logging.INFO)
    sends = 10
    for _ in range(sends):
        context = make_context("Checkout", trace_parent=INCOMING)
        invoke(checkout, context=context, req=make_http_request("POST", "https://x/api/c"))
        extension.flush(10.0)  # one failed send, and the library's retry line, per flush
    library_lines = [r for r in caplog.records if r.name.startswith("opencensus.ext.azure")]
    assert len(library_lines) <= 1
    assert LIBRARY_LOG_FILTER.held_back - held_before >= sends - len(library_lines)
    for record in library_lines:
        assert "at most once a minute" in record.getMessage()


def test_once_per_minute_filter_counts_what_it_held_back() -> None:
    now = [0.0]
    quiet = OncePerMinute(interval=60.0, clock=lambda: now[0])

    def record(level: int = logging.WARNING) -> logging.LogRecord:
        return logging.LogRecord("opencensus.ext.azure.x", level, __file__, 1, "retrying", (), None)

    assert quiet.filter(record())
    assert [quiet.filter(record()) for _ in range(9)] == [False] * 9
    assert quiet.filter(record(logging.DEBUG))  # below warning: untouched
    now[0] = 61.0
    passed = record()
    assert quiet.filter(passed)
    assert "9 similar line(s) held back" in passed.getMessage()
