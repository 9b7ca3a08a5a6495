"""``toolkit.span_feed``: tracing extensions publish finished spans, local viewers listen."""

from __future__ import annotations

from typing import List, Sequence

import pytest
from python_worker_extension_framework.toolkit import span_feed


def _span(name: str = "work") -> span_feed.FinishedSpan:
    return span_feed.FinishedSpan(name, "a" * 32, "b" * 16, None, 10.0, 10.5)


def test_listeners_get_published_spans_until_they_stop() -> None:
    received: List[str] = []

    def listener(spans: Sequence[span_feed.FinishedSpan]) -> None:
        received.extend(span.name for span in spans)

    assert not span_feed.listening()
    stop = span_feed.subscribe(listener)
    assert span_feed.listening()
    span_feed.publish([_span("one"), _span("two")])
    stop()
    span_feed.publish([_span("three")])
    assert received == ["one", "two"]
    assert not span_feed.listening()


def test_a_raising_listener_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    received: List[str] = []

    def broken(spans: Sequence[span_feed.FinishedSpan]) -> None:
        raise RuntimeError("listener bug")

    stops = [span_feed.subscribe(broken), span_feed.subscribe(lambda s: received.append("ok"))]
    try:
        span_feed.publish([_span()])
        span_feed.publish([_span()])
    finally:
        for stop in stops:
            stop()
    assert received == ["ok", "ok"]
    assert [r.getMessage() for r in caplog.records].count(
        "A span feed listener failed; spans may be missing"
    ) <= 1


def test_from_opentelemetry_reads_a_real_sdk_span() -> None:
    trace = pytest.importorskip("opentelemetry.sdk.trace")
    from opentelemetry.trace import SpanKind, Status, StatusCode

    finished: List[span_feed.FinishedSpan] = []

    class FeedProcessor(trace.SpanProcessor):  # what an OpenTelemetry extension registers
        def on_end(self, span: object) -> None:
            if span_feed.listening():
                span_feed.publish([span_feed.from_opentelemetry(span)])

    provider = trace.TracerProvider()
    provider.add_span_processor(FeedProcessor())
    tracer = provider.get_tracer("test")
    stop = span_feed.subscribe(finished.extend)
    try:
        with (
            tracer.start_as_current_span("invocation", kind=SpanKind.SERVER) as parent,
            tracer.start_as_current_span("child") as child,
        ):
            child.set_attribute("db.rows", 3)
            child.add_event("retrying", {"attempt": 2})
            child.set_status(Status(StatusCode.ERROR, "db down"))
    finally:
        stop()
    by_name = {span.name: span for span in finished}
    outer, inner = by_name["invocation"], by_name["child"]
    assert outer.kind == "server" and inner.kind == "internal"
    assert outer.trace_id == format(parent.get_span_context().trace_id, "032x")
    parent_id = format(parent.get_span_context().span_id, "016x")
    assert inner.parent_span_id == outer.span_id == parent_id
    assert outer.parent_span_id is None
    assert inner.failed and inner.status_message == "db down" and not outer.failed
    assert inner.attributes == {"db.rows": 3}
    assert [(event.name, dict(event.attributes)) for event in inner.events] == [
        ("retrying", {"attempt": 2})
    ]
    assert outer.start <= inner.start <= inner.end <= outer.end
    assert inner.source == "opentelemetry"
