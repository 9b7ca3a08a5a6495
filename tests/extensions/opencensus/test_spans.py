"""The invocation span: one per invocation, named after the function, SERVER kind for HTTP,
FaaS/cloud/HTTP attributes, status from the response; user spans are its children; the
trace continues from the incoming ``traceparent``."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Dict

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest
from opencensus.trace import execution_context
from opencensus.trace.span import SpanKind
from opencensus.trace.tracer import Tracer
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_framework.toolkit import OptionValueError
from python_worker_extension_framework.toolkit.facts import publish_retry_facts
from python_worker_extension_opencensus import (
    FAAS_RETRY_ATTEMPT,
    REDACTED,
    CapturingExporter,
    OpenCensusExtension,
)

from .conftest import INCOMING, INCOMING_PARENT_ID, INCOMING_TRACE_ID


def hello(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    with context.tracer.span("parent"):
        pass
    return func.HttpResponse("hello")


def test_root_span_per_invocation_with_faas_cloud_and_http_attributes(
    capture: CapturingExporter,
) -> None:
    request = make_http_request(
        "get",
        "https://app.azurewebsites.net/api/items/42?code=s3cret&page=2&sig=abc",
        route_params={"id": "42"},
    )
    context = make_context("GetItem", invocation_id="inv-1", trace_parent=INCOMING)
    record = invoke(hello, context=context, req=request)
    record.raise_for_exception()
    root = capture.named("GetItem")
    assert root.span_kind == SpanKind.SERVER
    assert dict(root.attributes) == {
        "faas.name": "GetItem",
        "faas.invocation_id": "inv-1",
        "faas.trigger": "http",
        "faas.coldstart": True,
        "cloud.provider": "azure",
        "cloud.platform": "azure_functions",
        "http.method": "GET",
        "http.route": "/api/items/{id}",
        "http.url": f"https://app.azurewebsites.net/api/items/42?code={REDACTED}&page=2"
        f"&sig={REDACTED}",
        "http.status_code": 200,
    }
    assert root.status.code == 0
    assert root.start_time and root.end_time and root.start_time <= root.end_time


def test_only_the_first_invocation_is_a_cold_start(capture: CapturingExporter) -> None:
    for _ in range(3):
        invoke(hello, function_name="Hello", req=make_http_request()).raise_for_exception()
    starts = [dict(s.attributes)["faas.coldstart"] for s in capture.spans if s.name == "Hello"]
    assert starts == [True, False, False]


def test_non_http_trigger_span_is_not_server_kind_and_has_no_http_attributes(
    capture: CapturingExporter,
) -> None:
    def tick(timer: func.TimerRequest) -> None:
        pass

    timer = TimerRequest(past_due=False)
    invoke(tick, function_name="Tick", timer=timer).raise_for_exception()
    root = capture.named("Tick")
    assert root.attributes["faas.trigger"] == "timer"
    assert not any(key.startswith("http.") for key in root.attributes)
    assert root.status.code == 0


def test_each_invocation_reads_its_own_trigger_and_ids(capture: CapturingExporter) -> None:
    """What is kept per function (the trigger's argument, the fixed attributes) never
    carries one invocation's values into another's span."""

    def any_trigger(**arguments: Any) -> None:
        pass

    calls = [
        ("inv-1", {"req": make_http_request("GET", "https://h/api/a?x=1")}),
        ("inv-2", {"req": make_http_request("POST", "https://h/api/b")}),
        ("inv-3", {"timer": TimerRequest(past_due=False)}),
        ("inv-4", {"items": [TimerRequest(past_due=False)]}),
        ("inv-5", {"other": "value"}),
        ("inv-6", {"req": make_http_request("GET", "https://h/api/c")}),
    ]
    for invocation_id, arguments in calls:
        context = make_context("Same", invocation_id=invocation_id)
        invoke(any_trigger, context=context, **arguments).raise_for_exception()
    seen = [
        (
            span.attributes["faas.invocation_id"],
            span.attributes["faas.trigger"],
            span.attributes.get("http.method"),
            span.attributes.get("http.url"),
            span.attributes["faas.coldstart"],
        )
        for span in capture.spans
    ]
    assert seen == [
        ("inv-1", "http", "GET", "https://h/api/a?x=1", True),
        ("inv-2", "http", "POST", "https://h/api/b", False),
        ("inv-3", "timer", None, None, False),
        ("inv-4", "timer", None, None, False),
        ("inv-5", "other", None, None, False),
        ("inv-6", "http", "GET", "https://h/api/c", False),
    ]


def test_user_span_is_a_child_of_the_invocation_span(capture: CapturingExporter) -> None:
    invoke(hello, function_name="Hello", req=make_http_request()).raise_for_exception()
    root, child = capture.named("Hello"), capture.named("parent")
    assert child.parent_span_id == root.span_id
    assert child.context.trace_id == root.context.trace_id
    assert capture.names() == ["parent", "Hello"]  # the child ends (and is exported) first


def test_trace_continues_from_the_incoming_traceparent(capture: CapturingExporter) -> None:
    context = make_context("Hello", trace_parent=INCOMING, trace_state="congo=t61rcWkgMzE")
    invoke(hello, context=context, req=make_http_request()).raise_for_exception()
    root, child = capture.named("Hello"), capture.named("parent")
    assert root.context.trace_id == INCOMING_TRACE_ID
    assert root.parent_span_id == INCOMING_PARENT_ID
    assert child.context.trace_id == INCOMING_TRACE_ID


def test_no_incoming_traceparent_starts_a_new_root_trace(capture: CapturingExporter) -> None:
    context = make_context("Hello", trace_parent="")
    invoke(hello, context=context, req=make_http_request()).raise_for_exception()
    root = capture.named("Hello")
    assert root.parent_span_id is None
    assert len(root.context.trace_id) == 32 and root.context.trace_id != "0" * 32


def test_context_tracer_is_an_opencensus_tracer_current_during_the_function(
    capture: CapturingExporter,
) -> None:
    seen: Dict[str, Any] = {}

    def main(req: func.HttpRequest, context: func.Context) -> str:
        seen["tracer"] = context.tracer
        seen["current tracer"] = execution_context.get_opencensus_tracer()
        seen["current span"] = execution_context.get_current_span()
        return "ok"

    context = make_context("Main")
    invoke(main, context=context, req=make_http_request()).raise_for_exception()
    assert isinstance(seen["tracer"], Tracer)
    assert seen["current tracer"] is seen["tracer"]
    assert seen["current span"].span_id == capture.named("Main").span_id
    assert not hasattr(context, "tracer")  # released once the invocation is over


@pytest.mark.parametrize(
    ("status", "is_error"), [(200, False), (302, False), (404, False), (500, True), (503, True)]
)
def test_status_comes_from_the_http_response(
    capture: CapturingExporter, status: int, is_error: bool
) -> None:
    def main(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("", status_code=status)

    invoke(main, function_name="Main", req=make_http_request()).raise_for_exception()
    root = capture.named("Main")
    assert root.attributes["http.status_code"] == status
    assert (root.status.code != 0) is is_error


def test_status_of_a_response_set_on_an_output_binding(capture: CapturingExporter) -> None:
    class Out(func.Out[func.HttpResponse]):
        def __init__(self) -> None:
            self.value: Any = None

        def set(self, val: func.HttpResponse) -> None:
            self.value = val

        def get(self) -> func.HttpResponse:
            return self.value  # type: ignore[no-any-return]

    def main(req: func.HttpRequest, res: func.Out[func.HttpResponse]) -> None:
        res.set(func.HttpResponse("down", status_code=502))

    invoke(main, function_name="Main", req=make_http_request(), res=Out())
    root = capture.named("Main")
    assert root.attributes["http.status_code"] == 502
    assert root.status.code != 0


def test_secret_route_values_and_user_info_are_removed_from_http_url(
    capture: CapturingExporter,
) -> None:
    request = make_http_request(
        "POST",
        "https://user:pw@example.net/api/reset/tok-123?x-functions-key=k&db_password=p&q=1",
        route_params={"token": "tok-123"},
    )
    invoke(hello, function_name="Reset", req=request).raise_for_exception()
    attributes = capture.named("Reset").attributes
    assert attributes["http.url"] == (
        f"https://example.net/api/reset/{REDACTED}?x-functions-key={REDACTED}"
        f"&db_password={REDACTED}&q=1"
    )
    assert attributes["http.route"] == "/api/reset/{token}"


def test_more_query_parameters_can_be_redacted(extension: type[OpenCensusExtension]) -> None:
    capture = CapturingExporter()
    extension.configure(exporter=capture, redact_query_params=["session"])
    request = make_http_request("GET", "https://h/api/x?session=abc&code=c&keep=1")
    invoke(hello, function_name="X", req=request).raise_for_exception()
    assert capture.named("X").attributes["http.url"] == (
        f"https://h/api/x?session={REDACTED}&code={REDACTED}&keep=1"
    )


def test_retry_attempt_is_recorded_when_the_retry_facts_are_published(
    capture: CapturingExporter,
) -> None:
    def tick(timer: func.TimerRequest) -> None:
        pass

    context = make_context("Tick")
    publish_retry_facts(context, SimpleNamespace(attempt=3, retry_count=2, max_retry_count=5))
    invoke(tick, context=context, timer=TimerRequest()).raise_for_exception()
    assert capture.named("Tick").attributes[FAAS_RETRY_ATTEMPT] == 3

    capture.clear()
    invoke(tick, function_name="Tick", timer=TimerRequest()).raise_for_exception()
    assert FAAS_RETRY_ATTEMPT not in capture.named("Tick").attributes


def test_spans_left_open_by_the_function_end_with_the_invocation(
    capture: CapturingExporter,
) -> None:
    def main(req: func.HttpRequest, context: func.Context) -> str:
        context.tracer.start_span("forgotten")
        return "ok"

    invoke(main, function_name="Main", req=make_http_request()).raise_for_exception()
    root, forgotten = capture.named("Main"), capture.named("forgotten")
    assert forgotten.parent_span_id == root.span_id
    assert forgotten.end_time is not None


def test_excluded_function_gets_a_tracer_that_records_nothing(
    extension: type[OpenCensusExtension],
) -> None:
    capture = CapturingExporter()
    extension.configure(exporter=capture, exclude=["health"])
    record = invoke(hello, function_name="Health", req=make_http_request())
    record.raise_for_exception()
    assert capture.spans == []


def test_unconfigured_extension_without_settings_still_gives_a_tracer() -> None:
    # Like the original extension: functions that use context.tracer keep working.
    record = invoke(hello, function_name="Hello", req=make_http_request())
    record.raise_for_exception()
    assert any("OpenCensusExtension is inactive" in m for m in record.messages())


ISSUE_QUERY = (
    "%2563ode=s1&a=1;sig=s2&api+key=s3&AccountKey=s4&SharedAccessKey=s5"
    "&Ocp-Apim-Subscription-Key=s6&private_key=s7&connection_string=s8&session_id=s9"
    "&passphrase=s10&client_assertion=s11"
)
ISSUE_MASKED = (
    f"%2563ode={REDACTED}&a=1;sig={REDACTED}&api+key={REDACTED}&AccountKey={REDACTED}"
    f"&SharedAccessKey={REDACTED}&Ocp-Apim-Subscription-Key={REDACTED}"
    f"&private_key={REDACTED}&connection_string={REDACTED}&session_id={REDACTED}"
    f"&passphrase={REDACTED}&client_assertion={REDACTED}"
)


def test_http_url_masks_what_request_logging_masks(capture: CapturingExporter) -> None:
    """Double-encoded names, ``;`` separators, ``+`` in a name and every name class."""
    request = make_http_request("GET", f"https://h/api/x?{ISSUE_QUERY}")
    invoke(hello, function_name="X", req=request).raise_for_exception()
    assert capture.named("X").attributes["http.url"] == f"https://h/api/x?{ISSUE_MASKED}"


def test_more_patterns_can_be_redacted(extension: type[OpenCensusExtension]) -> None:
    capture = CapturingExporter()
    extension.configure(exporter=capture, redact_patterns=[r"sk-[a-z0-9]{8,}"])
    request = make_http_request("GET", "https://h/api/x?q=sk-abcdefgh12&code=c")
    invoke(hello, function_name="X", req=request).raise_for_exception()
    assert capture.named("X").attributes["http.url"] == (
        f"https://h/api/x?q={REDACTED}&code={REDACTED}"
    )


def test_a_bad_pattern_fails_configure(extension: type[OpenCensusExtension]) -> None:
    with pytest.raises(OptionValueError, match=r"redact_patterns.*not a valid regular"):
        extension.configure(exporter=CapturingExporter(), redact_patterns=["sk-("])


def test_exception_messages_on_the_span_are_masked(capture: CapturingExporter) -> None:
    def failing(req: func.HttpRequest) -> None:
        raise RuntimeError("cannot connect: AccountName=a;AccountKey=s3cr3tKey0==;x=1")

    request = make_http_request("GET", "https://h/api/x")
    record = invoke(failing, function_name="Failing", capture_exception=True, req=request)
    assert record.exception is not None
    attributes = capture.named("Failing").attributes
    assert "s3cr3tKey0" not in attributes["error.message"] + attributes["stacktrace"]
    assert f"AccountKey={REDACTED}" in attributes["error.message"]
