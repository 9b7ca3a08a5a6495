"""The invocation span on our own provider (``InvocationSpan``) exports what the SDK's span
exports for the same invocation: every scenario runs twice, once as configured and once
with the invocation span started by the SDK's tracer (the path a foreign provider takes),
and the two exports are compared field by field, as OTLP encodes them and as
``ReadableSpan`` reads them. Then what users and processors do with it: attributes,
events and exceptions on the current span, a processor added to the provider, span limits
from the environment, sampling decisions, the safety net, and redaction. On a provider that
is not ours, the invocation span stays the SDK's."""

from __future__ import annotations

import gc
import json
import textwrap
import threading
from typing import Any, Callable, Dict, Iterator, List, Tuple

import azure.functions as func
import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanContext, SpanKind, StatusCode, TraceFlags
from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_opentelemetry import OpenTelemetryExtension
from python_worker_extension_opentelemetry.invocation_span import InvocationSpan

from .conftest import INCOMING, INCOMING_TRACE_ID, finished, run_fresh

tracer = trace.get_tracer("tests.invocation_span")
Extension = type[OpenTelemetryExtension]
NOT_SAMPLED = INCOMING[:-2] + "00"
SECRET = "c2VjcmV0a2V5MTIz"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"
INVOCATION = "7e43a05a-5deb-49db-9a92-da074115788d"
LINKED = SpanContext(0x1234, 0x5678, is_remote=True, trace_flags=TraceFlags(1))


def checkout(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    with tracer.start_as_current_span("reserve stock"):
        pass
    if req.params.get("fail"):
        raise LookupError(f"sku-42 is out of stock; key=AccountKey={SECRET}")
    return func.HttpResponse("ok", status_code=int(req.params.get("status", "201")))


def annotate(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    """What a function may do to the invocation span through the API."""
    span = trace.get_current_span()
    span.set_attribute("order.id", "42")
    span.set_attribute("order.tags", ["a", "b"])
    span.set_attribute("order.raw", b"bytes")
    span.set_attribute("order.bad", {"not": "allowed"})  # type: ignore[arg-type]
    span.set_attribute("", "an empty key is refused")
    span.set_attributes({"order.count": 3, "order.total": 9.5, "faas.name": "renamed"})
    span.add_event("reserved", {"sku": "sku-42", "lines": (1, 2)}, timestamp=123)
    span.record_exception(ValueError("no such sku"), {"sku": "sku-7"}, timestamp=456)
    span.add_link(LINKED, {"reason": "batch"})
    span.add_link(SpanContext(0, 0, False), None)  # invalid, nothing to carry: not kept
    span.update_name("checkout an order")
    span.set_status(StatusCode.ERROR, "user said so")
    return func.HttpResponse("ok")


def ends_early(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    trace.get_current_span().end()  # the post hook's changes then come too late, as for the SDK
    return func.HttpResponse("ok", status_code=503)


def http_request(query: str = "") -> Any:
    return make_http_request(
        "POST",
        f"https://contoso.net/api/orders/42/items?code=s3cret-code&page=2{query}",
        route_params={"order": "42"},
        headers={"User-Agent": "tests/1.0", "X-Forwarded-For": "203.0.113.9"},
    )


def run_wrapped(function: Callable[..., Any], query: str = "") -> Callable[[], None]:
    def run() -> None:
        context = make_context(
            "Checkout", invocation_id=INVOCATION, trace_parent=INCOMING, trace_state="congo=1"
        )
        invoke(function, context=context, req=http_request(query), capture_exception=True)

    return run


def run_abandoned() -> None:
    """The 3.12 worker: no error phase; the span ends when the context is let go of."""
    context = make_context("Checkout", invocation_id=INVOCATION, trace_parent=INCOMING)
    record = invoke(
        checkout,
        context=context,
        req=http_request("&fail=1"),
        dispatcher=Dispatcher(python_version=(3, 12)),
        capture_exception=True,
    )
    assert isinstance(record.exception, LookupError)
    del record, context
    gc.collect()
    # The thread's next invocation (a caller that did not sample: nothing exported) drops
    # what the raising one left current.
    invoke(checkout, context=make_context("Next", trace_parent=NOT_SAMPLED), req=http_request())


def sdk_started(extension: Extension) -> Iterator[None]:
    """The reference: the same configuration with the invocation span started by the SDK's
    tracer (what the extension does on a provider that is not its own)."""
    telemetry = extension._telemetry
    assert telemetry is not None and telemetry.spans is not None
    spans, telemetry.spans = telemetry.spans, None
    try:
        yield
    finally:
        telemetry.spans = spans


def both_ways(
    extension: Extension, memory: InMemorySpanExporter, run: Callable[[], None]
) -> Tuple[List[ReadableSpan], List[ReadableSpan]]:
    """``(ours, the SDK's)``: what one invocation exports each way (after a first, cold one)."""
    run()
    finished(extension, memory)
    memory.clear()
    run()
    ours = finished(extension, memory)
    memory.clear()
    for _ in sdk_started(extension):
        run()
    sdk = finished(extension, memory)
    memory.clear()
    return ours, sdk


def invocation_span(spans: List[ReadableSpan]) -> ReadableSpan:
    (span,) = [s for s in spans if s.kind is SpanKind.SERVER]
    return span


def otlp_form(span: ReadableSpan) -> Any:
    """The span as OTLP encodes it, without what differs between two invocations (its own
    id, start and end times)."""
    request = encode_spans([span])
    (encoded,) = request.resource_spans[0].scope_spans[0].spans
    encoded.span_id = b""
    encoded.start_time_unix_nano = 0
    encoded.end_time_unix_nano = 0
    for event in encoded.events:
        if event.name == "exception" and "exception.escaped" not in str(event.attributes):
            event.time_unix_nano = 0  # recorded by the extension at the time it happened
    return request


def readable_form(span: ReadableSpan) -> Dict[str, Any]:
    document = json.loads(span.to_json())
    del document["context"]["span_id"], document["start_time"], document["end_time"]
    for event in document["events"]:
        if event["name"] == "exception" and "exception.escaped" not in event["attributes"]:
            del event["timestamp"]
    return {
        "json": document,
        "attribute order": list(span.attributes),
        "dropped": (span.dropped_attributes, span.dropped_events, span.dropped_links),
        "scope": span.instrumentation_scope,
        "flags": span.context.trace_flags,
        "remote": (span.context.is_remote, span.parent.is_remote if span.parent else None),
        "status": (span.status.status_code, span.status.description),
        "timed": span.start_time is not None and span.end_time >= span.start_time,
    }


def assert_same_export(ours: ReadableSpan, sdk: ReadableSpan) -> None:
    assert readable_form(ours) == readable_form(sdk)
    assert otlp_form(ours) == otlp_form(sdk)
    assert ours.context.span_id != sdk.context.span_id  # two spans, not one exported twice


SCENARIOS = {
    "answered": run_wrapped(checkout),
    "5xx answer": run_wrapped(checkout, "&status=503"),
    "raised (error hook)": run_wrapped(checkout, "&fail=1"),
    "raised, worker let go (safety net)": run_abandoned,
    "annotated by the function": run_wrapped(annotate),
    "ended by the function": run_wrapped(ends_early),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_exported_as_the_sdk_span_would_be(
    extension: Extension, memory: InMemorySpanExporter, scenario: str
) -> None:
    ours, sdk = both_ways(extension, memory, SCENARIOS[scenario])
    assert len(ours) == len(sdk)
    assert_same_export(invocation_span(ours), invocation_span(sdk))
    (user,) = [s for s in ours if s.name == "reserve stock"] or [None]
    if user is not None:
        assert user.parent.span_id == invocation_span(ours).context.span_id


def test_the_current_span_is_ours_and_takes_what_the_function_records(
    extension: Extension, memory: InMemorySpanExporter
) -> None:
    seen: List[Any] = []

    def look(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
        seen.append(trace.get_current_span())
        return annotate(req, context)

    run_wrapped(look)()
    span = invocation_span(finished(extension, memory))
    assert isinstance(seen[0], InvocationSpan) and not seen[0].is_recording()
    assert span.name == "checkout an order"
    attributes = dict(span.attributes)
    assert attributes["order.tags"] == ("a", "b")
    assert attributes["order.raw"] == "bytes"
    assert "order.bad" not in attributes and "" not in attributes
    assert attributes["faas.name"] == "renamed"
    order = list(attributes)
    assert order.index("order.tags") < order.index("order.count") < order.index("faas.name")
    assert order.index("order.total") < order.index("faas.name")  # re-set: moved last
    reserved, exception = span.events
    assert (reserved.name, reserved.timestamp, dict(reserved.attributes)) == (
        "reserved",
        123,
        {"sku": "sku-42", "lines": (1, 2)},
    )
    assert exception.attributes["exception.type"] == "ValueError"
    assert exception.attributes["exception.escaped"] == "False"
    assert exception.attributes["sku"] == "sku-7"
    (link,) = span.links
    assert link.context == LINKED and dict(link.attributes) == {"reason": "batch"}
    assert (span.status.status_code, span.status.description) == (StatusCode.ERROR, "user said so")


def test_a_processor_added_to_the_provider_sees_start_and_end(
    extension: Extension, memory: InMemorySpanExporter
) -> None:
    class Watching(SpanProcessor):
        def __init__(self) -> None:
            self.started: List[Tuple[str, Dict[str, Any], Any]] = []
            self.ended: List[ReadableSpan] = []

        def on_start(self, span: Any, parent_context: Any = None) -> None:
            parent = trace.get_current_span(parent_context).get_span_context()
            self.started.append((span.name, dict(span.attributes), parent))
            span.set_attribute("enriched.by", "watching")

        def on_end(self, span: ReadableSpan) -> None:
            self.ended.append(span)

    watching = Watching()
    trace.get_tracer_provider().current.add_span_processor(watching)  # type: ignore[attr-defined]
    run_wrapped(checkout)()
    exported = invocation_span(finished(extension, memory))
    name, attributes, parent = watching.started[0]  # the invocation span starts first
    assert name == "POST /api/orders/{order}/items"
    assert attributes["faas.name"] == "Checkout" and "http.response.status_code" not in attributes
    assert f"{parent.trace_id:032x}" == INCOMING_TRACE_ID and parent.is_remote
    ended = invocation_span(watching.ended)
    assert ended.context == exported.context
    assert ended.attributes["enriched.by"] == exported.attributes["enriched.by"] == "watching"
    assert ended.attributes["http.response.status_code"] == 201
    assert [s.name for s in watching.ended] == ["reserve stock", name]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "3"),
        ("OTEL_ATTRIBUTE_COUNT_LIMIT", "0"),
        ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "6"),
        ("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "4"),
        ("OTEL_SPAN_EVENT_COUNT_LIMIT", "1"),
        ("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "1"),
        ("OTEL_SPAN_LINK_COUNT_LIMIT", "0"),
    ],
)
def test_span_limits_from_the_environment(
    extension: Extension, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    memory = InMemorySpanExporter()
    extension.configure(exporter=memory, instrumentations="none")
    ours, sdk = both_ways(extension, memory, run_wrapped(annotate))
    span = invocation_span(ours)
    assert_same_export(span, invocation_span(sdk))
    limit = int(value)
    if variable.endswith("_ATTRIBUTE_COUNT_LIMIT") and "EVENT" not in variable:
        assert len(span.attributes) == limit and span.dropped_attributes > 0
    elif variable.endswith("VALUE_LENGTH_LIMIT"):
        assert span.attributes["http.route"] == "/api/orders/{order}/items"[:limit]
        assert span.attributes["order.raw"] == "bytes"[:limit]
    elif variable == "OTEL_SPAN_EVENT_COUNT_LIMIT":
        assert len(span.events) == 1 and span.dropped_events == 1
    elif variable == "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT":
        assert [e.dropped_attributes for e in span.events] == [1, 4]
    else:
        assert span.links == () and span.dropped_links == 1


def current_while_running(extension: Extension, trace_parent: str) -> List[Any]:
    seen: List[Any] = []

    def look(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
        span = trace.get_current_span()
        seen.append((span.is_recording(), span.get_span_context()))
        return checkout(req, context)

    invoke(look, context=make_context("Checkout", trace_parent=trace_parent), req=http_request())
    return seen


@pytest.mark.parametrize(
    ("ratio", "trace_parent", "recorded"),
    [
        (0.0, "", False),  # a new trace, below the ratio
        (1.0, "", True),
        (0.0, INCOMING, True),  # the caller sampled it: kept whatever the ratio
        (1.0, NOT_SAMPLED, False),  # the caller did not: dropped whatever the ratio
    ],
)
def test_sampling_decisions(
    extension: Extension, ratio: float, trace_parent: str, recorded: bool
) -> None:
    memory = InMemorySpanExporter()
    extension.configure(exporter=memory, instrumentations="none", sampling_ratio=ratio)
    ((recording, context),) = current_while_running(extension, trace_parent)
    spans = finished(extension, memory)
    assert recording is recorded and context.trace_flags.sampled is recorded
    assert context.is_valid and not context.is_remote
    assert len(spans) == (2 if recorded else 0)
    if trace_parent:
        assert f"{context.trace_id:032x}" == INCOMING_TRACE_ID
    memory.clear()
    for _ in sdk_started(extension):
        ((sdk_recording, sdk_context),) = current_while_running(extension, trace_parent)
    assert (sdk_recording, sdk_context.trace_flags) == (recording, context.trace_flags)
    assert len(finished(extension, memory)) == len(spans)


def test_trace_state_is_carried_on(extension: Extension, memory: InMemorySpanExporter) -> None:
    run_wrapped(checkout)()
    span = invocation_span(finished(extension, memory))
    assert span.context.trace_state.get("congo") == "1"


def test_safety_net_ends_the_span_once_and_leaves_nothing_current(
    extension: Extension, memory: InMemorySpanExporter
) -> None:
    run_abandoned()
    (span,) = [s for s in finished(extension, memory) if s.kind is SpanKind.SERVER]
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["http.response.status_code"] == 500
    gc.collect()
    assert len(finished(extension, memory)) == 2  # and no second export of it
    assert not trace.get_current_span().get_span_context().is_valid


def test_ending_from_many_threads_exports_once(
    extension: Extension, memory: InMemorySpanExporter
) -> None:
    barrier = threading.Barrier(8)

    def race(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
        span = trace.get_current_span()

        def end() -> None:
            barrier.wait()
            span.end()

        threads = [threading.Thread(target=end) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return func.HttpResponse("ok")

    invoke(race, context=make_context("Race"), req=http_request())
    assert len([s for s in finished(extension, memory) if s.kind is SpanKind.SERVER]) == 1


def test_what_the_function_sets_is_redacted_on_export(
    extension: Extension, memory: InMemorySpanExporter
) -> None:
    def leak(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
        span = trace.get_current_span()
        span.set_attribute("db.connection", f"Server=db;AccountKey={SECRET}")
        span.set_attribute("api_key", "plain-looking-value")
        span.set_attribute("auth.note", JWT)  # no suspect character, only the token's start
        span.add_event("retrying", {"url.full": f"https://x.blob/c?sig={SECRET}"})
        span.update_name(f"lookup token={SECRET}")
        return func.HttpResponse("ok")

    invoke(leak, context=make_context("Leak"), req=http_request())
    span = invocation_span(finished(extension, memory))
    exported = json.dumps(
        [span.name, dict(span.attributes), [dict(e.attributes) for e in span.events]]
    )
    assert SECRET not in exported and "plain-looking-value" not in exported
    assert JWT not in exported
    assert span.attributes["url.query"] == "code=[REDACTED]&page=2"
    assert span.attributes["http.route"] == "/api/orders/{order}/items"


def test_sdk_disabled_records_no_span(
    extension: Extension, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    memory = InMemorySpanExporter()
    extension.configure(exporter=memory, instrumentations="none")
    ((recording, _),) = current_while_running(extension, INCOMING)
    assert recording is False
    assert finished(extension, memory) == []


FOREIGN_PROVIDER = textwrap.dedent(
    """
    import json, os
    os.environ["PYTHON_ENABLE_WORKER_EXTENSIONS"] = "1"
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    trace.set_tracer_provider(TracerProvider())  # someone else's, set before ours

    import azure.functions as func
    from python_worker_extension_framework.testing import invoke, make_context, make_http_request
    from python_worker_extension_opentelemetry import OpenTelemetryExtension

    seen = []

    def handler(req):
        seen.append(type(trace.get_current_span()).__module__)
        return func.HttpResponse("ok")

    OpenTelemetryExtension.configure(instrumentations="none", invocation_span="always")
    invoke(handler, context=make_context("Hello"), req=make_http_request())
    print(json.dumps(seen))
    """
)


def test_on_a_provider_not_ours_the_invocation_span_is_the_sdks() -> None:
    printed = run_fresh(FOREIGN_PROVIDER)
    assert printed == ["opentelemetry.sdk.trace"]


def test_what_the_invocation_span_starts_with_is_redacted_on_export(
    extension: Extension, memory: InMemorySpanExporter
) -> None:
    """A value the extension records as it is (the user agent) is masked by the export's
    rules; so is one a processor sets as the span starts."""
    request = make_http_request(
        "GET",
        "https://contoso.net/api/ping",
        headers={"User-Agent": f"probe access_token={SECRET}"},
    )
    invoke(checkout, context=make_context("Ping"), req=request).raise_for_exception()
    span = invocation_span(finished(extension, memory))
    assert SECRET not in json.dumps(dict(span.attributes))
    assert span.attributes["user_agent.original"].startswith("probe access_token=")
    assert span.attributes["url.path"] == "/api/ping"
    memory.clear()

    class Tagging(SpanProcessor):
        def on_start(self, span: Any, parent_context: Any = None) -> None:
            span.set_attribute("deploy.note", f"Password={SECRET}")

    trace.get_tracer_provider().current.add_span_processor(Tagging())  # type: ignore[attr-defined]
    invoke(checkout, context=make_context("Ping"), req=make_http_request()).raise_for_exception()
    span = invocation_span(finished(extension, memory))
    assert span.attributes["deploy.note"].startswith("Password=")
    assert SECRET not in span.attributes["deploy.note"]


def test_the_readable_fields_are_known_on_the_pinned_sdk() -> None:
    """The light spans set ``ReadableSpan``'s fields themselves on the pinned SDK (the
    check finds each constructor argument in the field it expects)."""
    from python_worker_extension_opentelemetry import invocation_span as module

    assert module._KNOWN_FIELDS and module._readable_fields_known()


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_fields_set_directly_export_what_the_readable_span_constructor_sets(
    extension: Extension,
    memory: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    scenario: str,
) -> None:
    """The fallback (``ReadableSpan.__init__`` called, for an SDK whose fields differ) and
    the fields set directly give the same exported spans, invocation and user ones."""
    from python_worker_extension_opentelemetry import invocation_span as module

    exported = []
    for known in (True, False):
        monkeypatch.setattr(module, "_KNOWN_FIELDS", known)
        run = SCENARIOS[scenario]
        run()
        finished(extension, memory)
        memory.clear()
        run()
        spans = finished(extension, memory)
        memory.clear()
        assert spans and all(type(span) is InvocationSpan for span in spans)
        ids = {span.context.span_id: span.name for span in spans}
        forms = []
        for span in spans:
            form, encoded = readable_form(span), otlp_form(span)
            # A parent among these spans by its name (span ids differ from run to run).
            form["json"]["parent_id"] = ids.get(span.parent.span_id, form["json"]["parent_id"])
            (encoded_span,) = encoded.resource_spans[0].scope_spans[0].spans
            if span.parent.span_id in ids:
                encoded_span.parent_span_id = b""
            forms.append((span.name, str(form), encoded.SerializeToString()))
        exported.append(sorted(forms))
    assert exported[0] == exported[1]
