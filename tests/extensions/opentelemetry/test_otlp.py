"""End to end with the real OTLP/HTTP exporters, sending to a local receiver that decodes
the protobuf payloads: spans, metrics with the right counts, log records with their ids,
and nothing failing when the endpoint is down."""

from __future__ import annotations

import logging
from typing import Any, Dict, List

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest
from opentelemetry import metrics, trace
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_opentelemetry import OpenTelemetryExtension

from .conftest import INCOMING, INCOMING_PARENT_ID, INCOMING_TRACE_ID
from .receivers import OtlpReceiver

SERVER = 2  # opentelemetry.proto Span.SpanKind
STATUS_ERROR = 2
user_log = logging.getLogger("tests.orders")
tracer = trace.get_tracer("tests.orders")


def order(req: func.HttpRequest) -> func.HttpResponse:
    user_log.warning("placing order %s", req.params.get("id"))
    with tracer.start_as_current_span("price order"):
        pass
    if req.params.get("fail"):
        raise RuntimeError("payment declined")
    return func.HttpResponse("ok")


def tick(timer: TimerRequest) -> None:
    pass


def configure_otlp(extension: Any, otlp: OtlpReceiver, **options: Any) -> None:
    extension.configure(
        exporter="otlp",
        otlp_endpoint=otlp.url,
        service_name="orders-app",
        instrumentations="none",
        **options,
    )


def test_spans_reach_the_otlp_receiver(
    extension: type[OpenTelemetryExtension], otlp: OtlpReceiver
) -> None:
    configure_otlp(extension, otlp)
    context = make_context("Order", trace_parent=INCOMING)
    invoke(order, context=context, req=make_http_request("GET", "http://h/api/order?id=7"))
    extension.flush(10.0)
    spans = {span["name"]: span for span in otlp.spans()}
    invocation, user = spans["GET /api/order"], spans["price order"]
    assert invocation["kind"] == SERVER
    assert invocation["trace_id"] == INCOMING_TRACE_ID
    assert invocation["parent_span_id"] == INCOMING_PARENT_ID
    assert user["parent_span_id"] == invocation["span_id"]
    assert invocation["attributes"]["faas.invocation_id"] == context.invocation_id
    assert invocation["attributes"]["http.response.status_code"] == 200
    assert invocation["resource"]["service.name"] == "orders-app"
    assert invocation["resource"]["cloud.provider"] == "azure"
    assert invocation["scope"] == "python_worker_extension_opentelemetry"


def _latest(points: List[Dict[str, Any]], function: str) -> Dict[str, Any]:
    return [p for p in points if p["attributes"]["faas.name"] == function][-1]


def test_metrics_count_invocations_errors_and_durations(
    extension: type[OpenTelemetryExtension], otlp: OtlpReceiver
) -> None:
    configure_otlp(extension, otlp)
    for query in ("id=1", "id=2", "fail=1", "id=3", "fail=1"):
        invoke(
            order,
            context=make_context("Order"),
            req=make_http_request("GET", f"http://h/api/order?{query}"),
            capture_exception=True,
        )
    for _ in range(2):
        invoke(tick, context=make_context("Tick"), timer=TimerRequest())
    extension.flush(10.0)
    invocations = otlp.metric_points("faas.invocations")
    assert _latest(invocations, "Order") == {
        "attributes": {"faas.name": "Order", "faas.trigger": "http"},
        "value": 5,
    }
    assert _latest(invocations, "Tick")["value"] == 2
    assert _latest(invocations, "Tick")["attributes"]["faas.trigger"] == "timer"
    assert _latest(otlp.metric_points("faas.errors"), "Order")["value"] == 2
    assert not [
        p for p in otlp.metric_points("faas.errors") if p["attributes"]["faas.name"] == "Tick"
    ]
    duration = _latest(otlp.metric_points("faas.invoke_duration"), "Order")
    assert duration["count"] == 5 and duration["sum"] > 0
    (cold,) = otlp.metric_points("faas.coldstarts")
    assert cold["value"] == 1 and cold["attributes"]["faas.name"] == "Order"


# Obtained at import, before any configure(): the API's proxy binds it to ours once
# the extension installs its meter provider.
orders_placed = metrics.get_meter("tests.orders").create_counter("orders.placed", unit="{order}")


metrics.get_meter("tests.orders").create_observable_gauge(
    "orders.queue", callbacks=[lambda options: [metrics.Observation(5, {"queue": "orders"})]]
)


def place(req: func.HttpRequest) -> func.HttpResponse:
    orders_placed.add(1, {"region": req.params.get("region", "west")})
    metrics.get_meter("tests.orders").create_histogram("orders.basket", unit="{item}").record(
        int(req.params.get("items", "1"))
    )
    return func.HttpResponse("ok")


def test_a_users_own_instruments_go_through_the_same_backend(
    extension: type[OpenTelemetryExtension], otlp: OtlpReceiver
) -> None:
    configure_otlp(extension, otlp)
    installed = metrics.get_meter_provider()
    assert type(installed).__name__ == "SwitchingMeterProvider"  # set globally, once
    for query in ("region=west&items=2", "region=east&items=3", "region=west&items=4"):
        invoke(
            place,
            context=make_context("Place"),
            req=make_http_request("GET", f"http://h/api/place?{query}"),
        )
    extension.flush(10.0)
    placed = {p["attributes"]["region"]: p["value"] for p in otlp.metric_points("orders.placed")}
    assert placed == {"west": 2, "east": 1}
    (basket,) = otlp.metric_points("orders.basket")
    assert basket["count"] == 3 and basket["sum"] == 9
    assert _latest(otlp.metric_points("faas.invocations"), "Place")["value"] == 3
    configure_otlp(extension, otlp)  # again: the same global provider follows
    assert metrics.get_meter_provider() is installed


def test_a_users_instruments_follow_a_new_configuration(
    extension: type[OpenTelemetryExtension], otlp: OtlpReceiver
) -> None:
    configure_otlp(extension, otlp)
    invoke(place, context=make_context("Place"), req=make_http_request("GET", "http://h/api/place"))
    extension.flush(10.0)
    # Reconfigured without a metrics backend: the user's instruments record nothing (every
    # point the first configuration exports, cumulative, still says 1)...
    extension.configure(exporter="none", instrumentations="none")
    invoke(place, context=make_context("Place"), req=make_http_request("GET", "http://h/api/place"))
    extension.flush(10.0)
    # ...and with one again, they go to the new one (counting from the switch).
    configure_otlp(extension, otlp)
    request = make_http_request("GET", "http://h/api/place?region=north")
    invoke(place, context=make_context("Place"), req=request)
    extension.flush(10.0)
    points = otlp.metric_points("orders.placed")
    assert {p["value"] for p in points if p["attributes"]["region"] == "west"} == {1}
    assert points[-1] == {"attributes": {"region": "north"}, "value": 1}


def test_a_users_observable_instruments_are_observed_by_each_configuration(
    extension: type[OpenTelemetryExtension], otlp: OtlpReceiver
) -> None:
    configure_otlp(extension, otlp)
    extension.flush(10.0)
    assert otlp.metric_points("orders.queue")[-1] == {"attributes": {"queue": "orders"}, "value": 5}
    extension.configure(exporter="none", instrumentations="none")
    seen = len(otlp.metric_points("orders.queue"))
    configure_otlp(extension, otlp)
    extension.flush(10.0)
    assert len(otlp.metric_points("orders.queue")) > seen  # registered with the new one too


def test_log_records_carry_the_invocation_ids(
    extension: type[OpenTelemetryExtension], otlp: OtlpReceiver
) -> None:
    configure_otlp(extension, otlp, export_logs=True)
    record = invoke(
        order,
        context=make_context("Order", trace_parent=INCOMING),
        req=make_http_request("GET", "http://h/api/order?id=42"),
    )
    extension.flush(10.0)
    invocation = next(s for s in otlp.spans() if s["name"] == "GET /api/order")
    (exported,) = [r for r in otlp.log_records() if r["body"] == "placing order 42"]
    assert exported["trace_id"] == INCOMING_TRACE_ID
    assert exported["span_id"] == invocation["span_id"]
    # The Python record itself carries them too, for any formatter.
    (local,) = [r for r in record.records if r.getMessage() == "placing order 42"]
    assert local.otelTraceID == INCOMING_TRACE_ID  # type: ignore[attr-defined]
    assert local.otelSpanID == invocation["span_id"]  # type: ignore[attr-defined]


def test_log_correlation_without_log_export(
    extension: type[OpenTelemetryExtension], otlp: OtlpReceiver
) -> None:
    configure_otlp(extension, otlp)
    record = invoke(
        order, context=make_context("Order", trace_parent=INCOMING), req=make_http_request()
    )
    (local,) = [r for r in record.records if r.name == "tests.orders"]
    assert local.otelTraceID == INCOMING_TRACE_ID  # type: ignore[attr-defined]
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "after", None, None)
    made = logging.getLogRecordFactory()("x", logging.INFO, __file__, 1, "after", None, None)
    assert not hasattr(made, "otelTraceID") and not hasattr(outside, "otelTraceID")


@pytest.mark.parametrize("failure", ["refused", "rejected"])
def test_endpoint_down_fails_no_invocation(
    extension: type[OpenTelemetryExtension],
    otlp: OtlpReceiver,
    failure: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if failure == "refused":
        endpoint = otlp.url
        otlp.shutdown()
        otlp.server_close()  # nothing listens on that port any more
    else:
        endpoint = otlp.url
        otlp.status = 400  # not retried by the exporter: fails at once
    extension.configure(
        exporter="otlp", otlp_endpoint=endpoint, instrumentations="none", queue_size=64
    )
    records = [
        invoke(
            order,
            context=make_context("Order"),
            req=make_http_request("GET", "http://h/api/order?id=1"),
        )
        for _ in range(20)
    ]
    assert [r.exception for r in records] == [None] * 20
    assert [r.result.status_code for r in records] == [200] * 20
    with caplog.at_level(logging.WARNING):
        extension.flush(5.0)
        extension.flush(5.0)
    stats = extension.export_stats()
    assert stats["failed"] >= 20 and stats["exported"] == 0
    warnings = [r for r in caplog.records if "failed to export" in r.getMessage()]
    assert len(warnings) <= 1


def test_a_caller_that_does_not_sample_gets_no_span_but_is_counted(
    extension: type[OpenTelemetryExtension], otlp: OtlpReceiver
) -> None:
    configure_otlp(extension, otlp)
    unsampled = INCOMING[:-2] + "00"
    dropped = invoke(
        order,
        context=make_context("Order", trace_parent=unsampled),
        req=make_http_request("GET", "http://h/api/order?id=1"),
    )
    invoke(
        order,
        context=make_context("Order", trace_parent=INCOMING),
        req=make_http_request("GET", "http://h/api/order?id=2"),
    )
    extension.flush(10.0)
    (server,) = [s for s in otlp.spans() if s["kind"] == SERVER]
    assert server["attributes"]["url.query"] == "id=2"  # only the sampled invocation
    assert len([s for s in otlp.spans() if s["name"] == "price order"]) == 1
    assert _latest(otlp.metric_points("faas.invocations"), "Order")["value"] == 2
    (local,) = [r for r in dropped.records if r.getMessage() == "placing order 1"]
    assert local.otelTraceID == INCOMING_TRACE_ID  # type: ignore[attr-defined]
    assert local.otelTraceSampled is False  # type: ignore[attr-defined]
