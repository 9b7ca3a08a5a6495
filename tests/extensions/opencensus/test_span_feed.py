"""Every span the extension exports also reaches the framework's span feed (the local host's
dashboard listens there), whatever the exporter, with the same ids, times and attributes."""

from __future__ import annotations

from typing import List, Sequence

import azure.functions as func
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_framework.toolkit import span_feed
from python_worker_extension_opencensus import REDACTED, CapturingExporter, OpenCensusExtension

from .conftest import INCOMING, INCOMING_PARENT_ID, INCOMING_TRACE_ID


def hello(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    with context.tracer.span("child") as child:
        child.add_attribute("step", 1)
    return func.HttpResponse("hello")


def broken(req: func.HttpRequest) -> func.HttpResponse:
    raise KeyError("missing")


def test_exported_spans_reach_the_feed_with_ids_times_and_attributes(
    capture: CapturingExporter, fed: List[span_feed.FinishedSpan]
) -> None:
    request = make_http_request("get", "http://localhost/api/hello?code=hunter22secret")
    context = make_context("Hello", invocation_id="inv-9", trace_parent=INCOMING)
    invoke(hello, context=context, req=request).raise_for_exception()
    by_name = {span.name: span for span in fed}
    assert sorted(by_name) == ["Hello", "child"] and len(fed) == len(capture.spans)
    root, child = by_name["Hello"], by_name["child"]
    assert root.trace_id == child.trace_id == INCOMING_TRACE_ID
    assert root.parent_span_id == INCOMING_PARENT_ID
    assert child.parent_span_id == root.span_id == capture.named("Hello").span_id
    assert root.kind == "server" and root.source == "opencensus" and not root.failed
    assert root.start <= child.start <= child.end <= root.end
    assert root.attributes["faas.invocation_id"] == "inv-9"
    assert root.attributes["http.url"] == f"http://localhost/api/hello?code={REDACTED}"
    assert child.attributes["step"] == 1


def test_a_failed_invocation_span_is_marked_failed_in_the_feed(
    capture: CapturingExporter, fed: List[span_feed.FinishedSpan]
) -> None:
    invoke(broken, function_name="Broken", req=make_http_request(), capture_exception=True)
    (span,) = [span for span in fed if span.name == "Broken"]
    assert span.failed and "missing" in span.status_message


def test_the_feed_gets_spans_whatever_the_exporter(fed: List[span_feed.FinishedSpan]) -> None:
    OpenCensusExtension.configure(exporter="none")
    invoke(hello, function_name="Quiet", req=make_http_request()).raise_for_exception()
    assert {span.name for span in fed} == {"Quiet", "child"}


def test_a_failing_listener_never_reaches_the_invocation(capture: CapturingExporter) -> None:
    def broken_listener(spans: Sequence[span_feed.FinishedSpan]) -> None:
        raise RuntimeError("listener bug")

    stop = span_feed.subscribe(broken_listener)
    try:
        record = invoke(hello, function_name="Hello", req=make_http_request())
    finally:
        stop()
    record.raise_for_exception()
    assert capture.names() == ["child", "Hello"]
