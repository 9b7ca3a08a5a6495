"""Every span the extension records also reaches the framework's span feed (the local host's
dashboard listens there), exported or not."""

from __future__ import annotations

from typing import List

import azure.functions as func
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_framework.toolkit import span_feed
from python_worker_extension_opentelemetry import OpenTelemetryExtension

from .conftest import INCOMING, INCOMING_TRACE_ID, finished

tracer = trace.get_tracer("tests.feed")


def lookup(req: func.HttpRequest) -> func.HttpResponse:
    with tracer.start_as_current_span("query"):
        pass
    return func.HttpResponse("ok")


def test_spans_reach_the_feed_with_the_exported_ids(
    extension: type[OpenTelemetryExtension],
    memory: InMemorySpanExporter,
    fed: List[span_feed.FinishedSpan],
) -> None:
    context = make_context("Lookup", trace_parent=INCOMING)
    invoke(lookup, context=context, req=make_http_request()).raise_for_exception()
    exported = {span.name: span for span in finished(extension, memory)}
    by_name = {span.name: span for span in fed}
    assert set(by_name) == set(exported) == {"GET /api/HttpTrigger", "query"}
    for name, span in by_name.items():
        assert span.source == "opentelemetry" and span.trace_id == INCOMING_TRACE_ID
        assert span.span_id == format(exported[name].context.span_id, "016x")
    root = by_name["GET /api/HttpTrigger"]
    assert by_name["query"].parent_span_id == root.span_id
    assert root.kind == "server" and root.attributes["faas.invocation_id"] == context.invocation_id


def test_spans_reach_the_feed_with_no_exporter(
    extension: type[OpenTelemetryExtension], fed: List[span_feed.FinishedSpan]
) -> None:
    extension.configure(exporter="none", instrumentations="none")
    invoke(lookup, function_name="Quiet", req=make_http_request()).raise_for_exception()
    assert sorted(span.name for span in fed) == ["GET /api/HttpTrigger", "query"]


def test_spans_reach_the_feed_masked(
    extension: type[OpenTelemetryExtension], fed: List[span_feed.FinishedSpan]
) -> None:
    """The dashboard shows spans as they are exported: secrets masked, whatever made them."""
    extension.configure(exporter="none", instrumentations="none")

    def fetch(req: func.HttpRequest) -> func.HttpResponse:
        with tracer.start_as_current_span(
            "GET", attributes={"http.url": "https://h/b?sig=Zq0pSig12345"}
        ):
            pass
        return func.HttpResponse("ok")

    invoke(fetch, function_name="Fetch", req=make_http_request()).raise_for_exception()
    (client,) = [span for span in fed if span.name == "GET"]
    assert client.attributes["http.url"] == "https://h/b?sig=[REDACTED]"
