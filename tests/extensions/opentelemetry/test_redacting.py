"""Redaction on export: every span and log record the extension exports is masked, whatever
code made it (the invocation span, the function's spans, client instrumentations), and the
instrumentations' URLs are masked at the source for providers whose exporters are not ours.

Spans come from a real SDK ``TracerProvider``; the exporters are the SDK's in-memory one and
the real OTLP/HTTP exporter sending to the local receiver."""

from __future__ import annotations

import logging
from typing import Any, Iterator, List, Tuple

import azure.functions as func
import pytest
import requests
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_framework.toolkit.redaction import REDACTED
from python_worker_extension_opentelemetry import OpenTelemetryExtension
from python_worker_extension_opentelemetry.feed import FeedingProcessor
from python_worker_extension_opentelemetry.invocation_span import InvocationSpan
from python_worker_extension_opentelemetry.redacting import (
    RedactingSpanExporter,
    SpanRedaction,
    redactor_for,
    url_hook,
)

from .conftest import finished
from .receivers import Downstream, OtlpReceiver

SIG = "Zq0p9X8aSigValue1234"
ACCOUNT_KEY = "Zq7kAccountKey9876=="
SAS_QUERY = f"sv=2021-08-06&sig={SIG}&se=2030-01-01"
CONNECTION = f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={ACCOUNT_KEY}"
SECRETS = (SIG, ACCOUNT_KEY.rstrip("="))


def clean(text: Any) -> bool:
    return not any(secret in str(text) for secret in SECRETS)


@pytest.fixture
def pipeline() -> Iterator[Tuple[trace.Tracer, InMemorySpanExporter]]:
    """A local SDK provider whose spans go through the redacting exporter into memory."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(span_limits=SpanLimits(max_span_attributes=8))
    provider.add_span_processor(SimpleSpanProcessor(RedactingSpanExporter(memory, SpanRedaction())))
    yield provider.get_tracer("tests.redacting"), memory
    provider.shutdown()


def exported(memory: InMemorySpanExporter) -> List[ReadableSpan]:
    return list(memory.get_finished_spans())


@pytest.mark.parametrize(
    "key, value, expected",
    [
        (
            "http.url",
            f"https://acct.blob.core.windows.net/c/b?{SAS_QUERY}",
            f"https://acct.blob.core.windows.net/c/b?sv=2021-08-06&sig={REDACTED}&se=2030-01-01",
        ),
        (
            "url.full",
            "https://user:hunter2pass@h/p?code=fnKey123456&id=7",
            f"https://user:{REDACTED}@h/p?code={REDACTED}&id=7",
        ),
        ("http.target", f"/c/b?{SAS_QUERY}", f"/c/b?sv=2021-08-06&sig={REDACTED}&se=2030-01-01"),
        ("url.query", f"id=7&access_token={SIG}", f"id=7&access_token={REDACTED}"),
        ("http.request.header.authorization", f"Bearer {SIG}", REDACTED),
        ("db.connection_string", CONNECTION, REDACTED),
        (
            "messaging.destination",
            CONNECTION,
            f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={REDACTED}",
        ),
        ("order.note", f"called with Bearer {SIG}", f"called with Bearer {REDACTED}"),
    ],
    ids=[
        "http.url",
        "url.full-userinfo",
        "http.target",
        "url.query",
        "secret-name",
        "secret-name-connection",
        "text-connection-string",
        "text-credential",
    ],
)
def test_each_attribute_kind_is_masked_on_export(
    pipeline: Tuple[trace.Tracer, InMemorySpanExporter], key: str, value: str, expected: str
) -> None:
    tracer, memory = pipeline
    with tracer.start_as_current_span("call", attributes={key: value, "http.method": "GET"}):
        pass
    (span,) = exported(memory)
    assert span.attributes[key] == expected
    assert span.attributes["http.method"] == "GET"


def test_string_sequences_name_status_events_and_links_are_masked(
    pipeline: Tuple[trace.Tracer, InMemorySpanExporter],
) -> None:
    tracer, memory = pipeline
    with tracer.start_as_current_span("link target") as target:
        pass
    link = Link(target.get_span_context(), {"source": f"https://h/q?sig={SIG}"})
    with tracer.start_as_current_span(f"GET token={SIG}", links=[link]) as span:
        span.set_attribute("retry.urls", [f"https://h/a?sig={SIG}", "plain"])
        span.add_event("retrying", {"reason": f"AccountKey={ACCOUNT_KEY}"})
        try:
            raise ValueError(f"upload to https://h/b?{SAS_QUERY} failed")
        except ValueError as exc:
            span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, f"denied: {CONNECTION}"))
    masked = exported(memory)[1]
    assert masked.name == f"GET token={REDACTED}"
    assert masked.attributes["retry.urls"] == (f"https://h/a?sig={REDACTED}", "plain")
    assert masked.status.status_code is StatusCode.ERROR
    assert masked.status.description == f"denied: {CONNECTION.replace(ACCOUNT_KEY, REDACTED)}"
    retrying, exception = masked.events
    assert retrying.attributes["reason"] == f"AccountKey={REDACTED}"
    assert exception.attributes["exception.type"] == "ValueError"
    assert f"sig={REDACTED}" in exception.attributes["exception.message"]
    assert f"sig={REDACTED}" in exception.attributes["exception.stacktrace"]
    assert masked.links[0].attributes["source"] == f"https://h/q?sig={REDACTED}"
    assert masked.links[0].context == target.get_span_context()
    # Everything else is the span's own.
    assert masked.context == span.get_span_context()
    assert masked.parent == span.parent and masked.kind is span.kind
    assert (masked.start_time, masked.end_time) == (span.start_time, span.end_time)
    assert masked.instrumentation_scope == span.instrumentation_scope
    assert masked.resource is span.resource
    assert all(clean(text) for text in (masked.to_json(),))


def test_a_span_with_nothing_to_mask_is_passed_through_unchanged() -> None:
    memory, raw = InMemorySpanExporter(), InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(raw))  # what the processors are given
    provider.add_span_processor(SimpleSpanProcessor(RedactingSpanExporter(memory, SpanRedaction())))
    tracer = provider.get_tracer("tests.redacting")
    with tracer.start_as_current_span(
        "GET /api/orders/{id}",
        kind=SpanKind.SERVER,
        attributes={
            "url.path": "/api/orders/7",
            "url.query": "id=7&page=2",
            "http.url": "https://example.org/api/orders/7",
            "http.response.status_code": 200,
            "server.port": 443,
        },
    ) as span:
        span.add_event("checked", {"stock": 3, "note": "in stock"})
        span.set_status(Status(StatusCode.ERROR, "out of stock"))
    (given,) = exported(raw)
    (passed_on,) = exported(memory)
    assert passed_on is given  # the very object: no copy when nothing is masked


def test_spans_built_outside_the_sdk_tracer_are_masked_through_the_public_api() -> None:
    """A span another exporter chain builds itself (attributes a plain mapping, events and
    links plain tuples) has none of the SDK span's fields that the fast path reads: it is
    masked all the same, and passed through when clean."""
    context = trace.SpanContext(0x1234, 0x5678, is_remote=False)
    dirty = ReadableSpan(
        name="GET",
        context=context,
        attributes={"http.url": f"https://h/p?{SAS_QUERY}", "http.method": "GET"},
        events=(),
        links=(),
    )
    memory = InMemorySpanExporter()
    RedactingSpanExporter(memory, SpanRedaction()).export([dirty])
    (masked,) = exported(memory)
    assert (
        masked.attributes["http.url"] == f"https://h/p?sv=2021-08-06&sig={REDACTED}&se=2030-01-01"
    )
    assert masked.attributes["http.method"] == "GET"
    spotless = ReadableSpan(name="GET", context=context, attributes={"http.method": "GET"})
    assert SpanRedaction().span(spotless) is spotless


def test_dropped_attribute_counts_survive_masking(
    pipeline: Tuple[trace.Tracer, InMemorySpanExporter],
) -> None:
    tracer, memory = pipeline
    with tracer.start_as_current_span("many") as span:
        for index in range(10):  # the provider keeps the last 8
            span.set_attribute(f"extra.{index}", index)
        span.set_attribute("http.url", f"https://h/?sig={SIG}")
    (masked,) = exported(memory)
    assert masked.attributes["http.url"] == f"https://h/?sig={REDACTED}"
    assert masked.dropped_attributes == span.dropped_attributes == 3


def test_dropped_counts_survive_when_only_the_name_is_masked() -> None:
    """A masked copy made for the name alone still reports the attributes, events and
    links the SDK dropped (its public views report none)."""
    memory = InMemorySpanExporter()
    limits = SpanLimits(max_span_attributes=2, max_events=1, max_links=1)
    provider = TracerProvider(span_limits=limits)
    provider.add_span_processor(SimpleSpanProcessor(RedactingSpanExporter(memory, SpanRedaction())))
    linked = trace.SpanContext(0x1234, 0x5678, is_remote=True)
    span = provider.get_tracer("tests.redacting").start_span(
        f"lookup sig={SIG}", links=[Link(linked), Link(linked)]
    )
    for index in range(3):
        span.set_attribute(f"extra.{index}", index)
        span.add_event(f"event {index}")
    span.end()
    (masked,) = exported(memory)
    assert masked.name == f"lookup sig={REDACTED}"
    assert (masked.dropped_attributes, masked.dropped_events, masked.dropped_links) == (1, 2, 1)
    provider.shutdown()


def test_dropped_counts_survive_when_only_the_name_of_a_light_span_is_masked(
    extension: type[OpenTelemetryExtension], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same for a user span on our provider (a light span, bounded by the same limits)."""
    for variable in ("OTEL_ATTRIBUTE_COUNT_LIMIT", "OTEL_SPAN_EVENT_COUNT_LIMIT"):
        monkeypatch.setenv(variable, "2")
    monkeypatch.setenv("OTEL_SPAN_LINK_COUNT_LIMIT", "1")
    memory = InMemorySpanExporter()
    extension.configure(exporter=memory, instrumentations="none")
    linked = trace.SpanContext(0x1234, 0x5678, is_remote=True)
    span = trace.get_tracer("tests.redacting").start_span(
        f"lookup sig={SIG}", links=[Link(linked), Link(linked)]
    )
    for index in range(4):
        span.set_attribute(f"extra.{index}", index)
        span.add_event(f"event {index}")
    span.end()
    assert isinstance(span, InvocationSpan)
    (masked,) = finished(extension, memory)
    assert masked.name == f"lookup sig={REDACTED}"
    assert (masked.dropped_attributes, masked.dropped_events, masked.dropped_links) == (2, 2, 1)


def test_extra_redact_names_apply_to_exported_spans(
    extension: type[OpenTelemetryExtension],
) -> None:
    memory = InMemorySpanExporter()
    extension.configure(exporter=memory, instrumentations="none", redact_names=("voucher",))
    tracer = trace.get_tracer("tests.shop")

    def shop(req: func.HttpRequest) -> func.HttpResponse:
        with tracer.start_as_current_span(
            "redeem", attributes={"http.url": "https://h/r?voucher=ABC123XYZ&n=1"}
        ):
            pass
        return func.HttpResponse("ok")

    invoke(shop, context=make_context("Shop"), req=make_http_request())
    redeem = next(s for s in finished(extension, memory) if s.name == "redeem")
    assert redeem.attributes["http.url"] == f"https://h/r?voucher={REDACTED}&n=1"


def test_url_hook_masks_the_url_in_the_span_itself() -> None:
    # A provider whose exporter is not ours: only the hook stands between it and the secret.
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("tests.hook")
    with tracer.start_as_current_span(
        "GET", kind=SpanKind.CLIENT, attributes={"http.url": f"https://h/b?{SAS_QUERY}"}
    ) as span:
        url_hook(span, object())
    (raw,) = memory.get_finished_spans()
    assert raw.attributes["http.url"] == f"https://h/b?sv=2021-08-06&sig={REDACTED}&se=2030-01-01"


def test_span_start_is_masked_on_a_provider_we_do_not_own() -> None:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    theirs = SimpleSpanProcessor(memory)  # their exporter, added before ours
    provider.add_span_processor(theirs)
    ours = FeedingProcessor(None, SpanRedaction(redactor_for(())))
    ours.mask_at_start = True
    provider.add_span_processor(ours)
    tracer = provider.get_tracer("tests.foreign")
    with tracer.start_as_current_span(
        "GET", attributes={"url.full": f"https://h/b?{SAS_QUERY}", "server.port": 443}
    ):
        pass
    (raw,) = memory.get_finished_spans()
    assert raw.attributes["url.full"] == f"https://h/b?sv=2021-08-06&sig={REDACTED}&se=2030-01-01"
    assert raw.attributes["server.port"] == 443


def test_requests_spans_are_masked_at_the_source(
    extension: type[OpenTelemetryExtension], downstream: Downstream
) -> None:
    """The requests instrumentation's own span, as any processor on the provider sees it
    (not through our exporter): the request hook has masked it already."""
    memory = InMemorySpanExporter()
    extension.configure(exporter=InMemorySpanExporter(), instrumentations="requests")
    provider = trace.get_tracer_provider().current  # type: ignore[attr-defined]
    provider.add_span_processor(SimpleSpanProcessor(memory))  # a raw processor, not ours

    def proxy(req: func.HttpRequest) -> func.HttpResponse:
        requests.get(f"{downstream.url}/blob?{SAS_QUERY}", timeout=5)
        return func.HttpResponse("ok")

    invoke(proxy, context=make_context("Proxy"), req=make_http_request())
    (client,) = [s for s in memory.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert client.attributes["http.url"] == (
        f"{downstream.url}/blob?sv=2021-08-06&sig={REDACTED}&se=2030-01-01"
    )
    assert downstream.requests[0]["path"] == f"/blob?{SAS_QUERY}"  # the call itself unchanged


def test_outgoing_requests_span_is_masked_in_otlp_export(
    extension: type[OpenTelemetryExtension], otlp: OtlpReceiver, downstream: Downstream
) -> None:
    extension.configure(
        exporter="otlp", otlp_endpoint=otlp.url, instrumentations="requests", export_logs=True
    )
    log = logging.getLogger("tests.storage")

    def upload(req: func.HttpRequest) -> func.HttpResponse:
        requests.get(f"{downstream.url}/blob?{SAS_QUERY}", timeout=5)
        log.warning("uploading with %s", CONNECTION)
        return func.HttpResponse("ok")

    invoke(
        upload,
        context=make_context("Upload"),
        req=make_http_request("GET", f"http://h/api/upload?{SAS_QUERY}"),
    )
    extension.flush(10.0)
    spans = otlp.spans()
    (client,) = [s for s in spans if s["kind"] == 3]  # opentelemetry.proto SPAN_KIND_CLIENT
    assert client["attributes"]["http.url"] == (
        f"{downstream.url}/blob?sv=2021-08-06&sig={REDACTED}&se=2030-01-01"
    )
    assert all(clean(span) for span in spans), spans
    (record,) = [r for r in otlp.log_records() if "uploading" in str(r["body"])]
    assert record["body"] == f"uploading with {CONNECTION.replace(ACCOUNT_KEY, REDACTED)}"
    assert all(clean(r) for r in otlp.log_records())


def test_azure_sdk_span_urls_are_masked_at_the_source(
    extension: type[OpenTelemetryExtension],
) -> None:
    from azure.core.settings import settings

    memory = InMemorySpanExporter()
    extension.configure(exporter=InMemorySpanExporter(), instrumentations="azure_sdk")
    provider = trace.get_tracer_provider().current  # type: ignore[attr-defined]
    provider.add_span_processor(SimpleSpanProcessor(memory))  # a raw processor, not ours
    plugin = settings.tracing_implementation()
    with plugin(name="BlobClient.download") as span:
        span.add_attribute("http.url", f"https://acct.blob.core.windows.net/c/b?{SAS_QUERY}")
        span.add_attribute("http.method", "GET")
    (raw,) = memory.get_finished_spans()
    assert raw.attributes["http.url"] == (
        f"https://acct.blob.core.windows.net/c/b?sv=2021-08-06&sig={REDACTED}&se=2030-01-01"
    )
    assert raw.attributes["http.method"] == "GET"


def _as_readable(span: ReadableSpan) -> ReadableSpan:
    """The same content in the SDK's own ``ReadableSpan`` (read through its public API)."""
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=span.attributes,
        events=span.events,
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


@pytest.mark.parametrize(
    "secret_in", ["nothing", "name", "attribute", "status", "event", "link", "all"]
)
def test_a_light_span_is_masked_as_the_sdks_readable_span(
    extension: type[OpenTelemetryExtension], secret_in: str
) -> None:
    """Our light spans' fields are read directly on export: the same masking, or the span
    itself, as for a ``ReadableSpan`` with the same content; a clean name seen before,
    and a secret anywhere else, is still found."""
    extension.configure(exporter=InMemorySpanExporter(), instrumentations="none")
    tracer = trace.get_tracer("tests.redacting")
    redaction = SpanRedaction()
    secret = f"token={SIG}"
    for _ in range(2):  # a first time, then with the clean name and attribute names known
        name = f"GET {secret}" if secret_in in ("name", "all") else "GET /api/orders"
        span = tracer.start_span(name, attributes={"order.id": 7, "note": "in stock"})
        if secret_in in ("attribute", "all"):
            span.set_attribute("note", secret)
        if secret_in in ("status", "all"):
            span.set_status(Status(StatusCode.ERROR, f"denied: {secret}"))
        if secret_in in ("event", "all"):
            span.add_event("retrying", {"reason": secret})
        if secret_in in ("link", "all"):
            span.add_link(trace.SpanContext(0x1234, 0x5678, is_remote=True), {"why": secret})
        span.end()
        assert isinstance(span, InvocationSpan)
        masked = redaction.span(span)
        reference = SpanRedaction().span(_as_readable(span))
        assert masked.to_json() == reference.to_json()
        assert (masked is span) is (secret_in == "nothing")
        assert clean(masked.to_json()) and (secret_in == "nothing" or not clean(span.to_json()))
