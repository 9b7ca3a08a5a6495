"""Spans a function opens are masked when exported, and only the parts that can hold a
secret are looked at: its attributes, its name when it has text masking reads (``=``,
``%``, a space, a JWT), and a status message. A bare named span is exported as it was.
An unrecorded invocation's spans are opencensus ``BlankSpan``s that record nothing."""

from __future__ import annotations

from typing import Any, Callable

import azure.functions as func
from opencensus.trace.blank_span import BlankSpan
from opencensus.trace.status import Status
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_opencensus import REDACTED, CapturingExporter, OpenCensusExtension

CONNECTION = "Endpoint=sb://ns/;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0S2V5MDEyMw=="
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMDEy"
UNSAMPLED = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"


def run(function: Callable[..., Any]) -> None:
    invoke(function, function_name="Masking", req=make_http_request()).raise_for_exception()


def test_a_bare_named_span_is_exported_unchanged(capture: CapturingExporter) -> None:
    def main(req: func.HttpRequest, context: func.Context) -> str:
        with context.tracer.span("load-orders"):
            pass
        return "ok"

    run(main)
    span = capture.named("load-orders")
    assert dict(span.attributes) == {}
    assert span.status.code == 0


def test_a_secret_in_a_span_name_without_attributes_is_masked(
    capture: CapturingExporter,
) -> None:
    def main(req: func.HttpRequest, context: func.Context) -> str:
        with context.tracer.span(f"connect {CONNECTION}"):
            pass
        with context.tracer.span(f"call with {TOKEN}"):
            pass
        return "ok"

    run(main)
    names = " ".join(capture.names())
    assert "c2VjcmV0S2V5MDEyMw" not in names
    assert "c2lnbmF0dXJlMDEy" not in names
    assert f"SharedAccessKey={REDACTED}" in names


def test_secret_attributes_of_a_user_span_are_masked(capture: CapturingExporter) -> None:
    def main(req: func.HttpRequest, context: func.Context) -> str:
        with context.tracer.span("call") as span:
            span.add_attribute("api_key", "k-123456")
            span.add_attribute("target", f"queue with {CONNECTION}")
            span.add_attribute("http.url", "https://h/x?sig=s1g&page=2")
            span.add_attribute("rows", 3)
        return "ok"

    run(main)
    attributes = dict(capture.named("call").attributes)
    assert attributes["api_key"] == REDACTED
    assert "c2VjcmV0S2V5MDEyMw" not in attributes["target"]
    assert attributes["http.url"] == f"https://h/x?sig={REDACTED}&page=2"
    assert attributes["rows"] == 3


def test_a_secret_in_a_status_message_set_by_the_function_is_masked(
    capture: CapturingExporter,
) -> None:
    def main(req: func.HttpRequest, context: func.Context) -> str:
        with context.tracer.span("send") as span:
            span.set_status(Status(2, f"send failed: {CONNECTION}"))
        return "ok"

    run(main)
    status = capture.named("send").status
    assert status.code == 2
    assert "c2VjcmV0S2V5MDEyMw" not in status.message
    assert f"SharedAccessKey={REDACTED}" in status.message


def test_unrecorded_invocations_give_blank_spans_that_work_as_opencensus_ones(
    extension: type[OpenCensusExtension],
) -> None:
    capture = CapturingExporter()
    extension.configure(exporter=capture, sampling_rate=0.0)
    seen = {}

    def main(req: func.HttpRequest, context: func.Context) -> str:
        with context.tracer.span("quiet") as span:
            span.add_attribute("k", "v")
            span.name = "renamed"
            with span.span("child") as child:
                seen["child"] = child
            seen["span"] = span
        seen["started"] = context.tracer.start_span("other")
        return "ok"

    context = make_context("Quiet", trace_parent=UNSAMPLED)
    invoke(main, context=context, req=make_http_request()).raise_for_exception()
    span, other = seen["span"], seen["started"]
    assert isinstance(span, BlankSpan) and isinstance(other, BlankSpan)
    assert span.name == "renamed" and span.attributes == {} and span.status is None
    assert len(span.span_id) == 16 and span.span_id == span.span_id
    assert span.span_id != other.span_id
    assert span.parent_span.span_id is None
    assert capture.spans == []
