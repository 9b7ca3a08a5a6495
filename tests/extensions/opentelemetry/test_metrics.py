"""The invocation metrics as exported: our own aggregation of ``faas.invoke_duration`` (in
the extension's table) against the SDK's histogram for the same invocations, through a
real metric exporter, collection by collection, cumulative and delta; and the SDK's own
histogram wherever an exporter asks for another aggregation."""

from __future__ import annotations

import itertools
from typing import Any, Dict, Iterator, List, Optional, Sequence

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest
from opentelemetry.sdk.metrics import Histogram as HistogramInstrument
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    HistogramDataPoint,
    MetricExporter,
    MetricExportResult,
    MetricsData,
)
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_opentelemetry import NoopSpanExporter, OpenTelemetryExtension
from python_worker_extension_opentelemetry import extension as extension_module

from .receivers import OtlpReceiver

CUMULATIVE = AggregationTemporality.CUMULATIVE
DELTA = AggregationTemporality.DELTA
# Durations (s) the fake clock gives the invocations, in turn: several buckets, the first
# and last bucket, an exact boundary.
DURATIONS = (0.0015, 7.25, 0.0, 5.0, 30.5, 12000.0, 0.25, 99.75, 1000.0)


class CapturingMetricExporter(MetricExporter):
    """Keeps every ``MetricsData`` it is handed, as a backend's exporter receives it."""

    def __init__(self, **preferences: Any) -> None:
        super().__init__(**preferences)
        self.exports: List[MetricsData] = []

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **_: Any) -> Any:
        self.exports.append(metrics_data)
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **_: Any) -> None:
        pass


class FakeClock:
    """``time.time_ns`` for the extension module: each invocation lasts the next duration."""

    def __init__(self, durations: Sequence[float]) -> None:
        self._durations = itertools.cycle(durations)
        self._now = 1_700_000_000_000_000_000
        self._started = False

    def time_ns(self) -> int:
        if self._started:  # the end of an invocation
            self._now += int(next(self._durations) * 1e9)
        else:
            self._now += 1_000
        self._started = not self._started
        return self._now


def order(req: func.HttpRequest) -> func.HttpResponse:
    if req.params.get("fail"):
        raise RuntimeError("payment declined")
    if req.params.get("status"):
        return func.HttpResponse("busy", status_code=int(req.params["status"]))
    return func.HttpResponse("ok")


def tick(timer: TimerRequest) -> None:
    pass


def _order(query: str) -> None:
    invoke(
        order,
        context=make_context("Order"),
        req=make_http_request("GET", f"http://h/api/order?{query}"),
        capture_exception=True,
    )


def _tick() -> None:
    invoke(tick, context=make_context("Tick"), timer=TimerRequest())


def _run_rounds(extension: type[OpenTelemetryExtension]) -> None:
    """Three collections: both functions (a cold start, errors, a 5xx), then one function
    only, then nothing new."""
    for query in ("id=1", "fail=1", "id=2", "status=503", "id=3"):
        _order(query)
    _tick()
    _tick()
    extension.flush(10.0)
    for query in ("id=4", "fail=1"):
        _order(query)
    extension.flush(10.0)
    extension.flush(10.0)


def _exported(
    extension: type[OpenTelemetryExtension],
    monkeypatch: pytest.MonkeyPatch,
    temporality: AggregationTemporality,
    sdk_histogram: bool,
) -> CapturingMetricExporter:
    preferences: Dict[str, Any] = {"preferred_temporality": {HistogramInstrument: temporality}}
    if sdk_histogram:  # the same buckets, asked for explicitly: the SDK's own histogram
        preferences["preferred_aggregation"] = {
            HistogramInstrument: ExplicitBucketHistogramAggregation()
        }
    exporter = CapturingMetricExporter(**preferences)
    monkeypatch.setattr(extension_module, "time", FakeClock(DURATIONS))
    extension.configure(
        exporter=NoopSpanExporter(),
        metric_exporter=exporter,
        instrumentations="none",
        metric_export_interval=3600,
    )
    try:
        _run_rounds(extension)
    finally:
        extension.reset()
        monkeypatch.undo()
    return exporter


def _shape(metrics_data: MetricsData) -> List[Any]:
    """Everything exported but the timestamps: resource, scopes, metrics in order, points."""
    shape: List[Any] = []
    for resource_metrics in metrics_data.resource_metrics:
        shape.append(("resource", dict(resource_metrics.resource.attributes)))
        for scope_metrics in resource_metrics.scope_metrics:
            scope = scope_metrics.scope
            shape.append(("scope", scope.name, scope.version, scope.schema_url))
            for metric in scope_metrics.metrics:
                data = metric.data
                kind = type(data).__name__
                temporality = getattr(data, "aggregation_temporality", None)
                monotonic = getattr(data, "is_monotonic", None)
                points = [_point(point) for point in data.data_points]
                shape.append(
                    (metric.name, metric.description, metric.unit, kind, temporality, monotonic)
                )
                shape.extend(points)
    return shape


def _point(point: Any) -> Dict[str, Any]:
    found = {
        name: value
        for name, value in vars(point).items()
        if name not in ("start_time_unix_nano", "time_unix_nano")
    }
    found["attributes"] = dict(point.attributes)
    return found


def _duration_points(metrics_data: MetricsData) -> List[HistogramDataPoint]:
    return [
        point
        for resource_metrics in metrics_data.resource_metrics
        for scope_metrics in resource_metrics.scope_metrics
        for metric in scope_metrics.metrics
        if metric.name == "faas.invoke_duration"
        for point in metric.data.data_points
    ]


@pytest.mark.parametrize("temporality", [CUMULATIVE, DELTA], ids=["cumulative", "delta"])
def test_own_duration_aggregation_exports_what_the_sdk_histogram_does(
    extension: type[OpenTelemetryExtension],
    monkeypatch: pytest.MonkeyPatch,
    temporality: AggregationTemporality,
) -> None:
    ours = _exported(extension, monkeypatch, temporality, sdk_histogram=False)
    sdk = _exported(extension, monkeypatch, temporality, sdk_histogram=True)
    assert len(ours.exports) == len(sdk.exports) >= 3  # and the one at shutdown
    for our_export, sdk_export in zip(ours.exports, sdk.exports):
        assert _shape(our_export) == _shape(sdk_export)
    first = _shape(ours.exports[0])
    # What the SDK's histogram would say had to be in it: the right buckets and counts.
    assert (
        "faas.invoke_duration",
        "Duration of function invocations",
        "s",
        "Histogram",
        temporality,
        None,
    ) in first
    (order_point, tick_point) = _duration_points(ours.exports[0])
    assert order_point.attributes == {"faas.name": "Order", "faas.trigger": "http"}
    assert order_point.count == 5 and tick_point.count == 2
    assert order_point.explicit_bounds[:3] == (0.0, 5.0, 10.0)
    assert order_point.sum == sum(DURATIONS[:5]) and order_point.max == 30.5
    assert order_point.min == 0.0 and order_point.bucket_counts[:3] == (1, 2, 1)


@pytest.mark.parametrize("temporality", [CUMULATIVE, DELTA], ids=["cumulative", "delta"])
def test_duration_timestamps_follow_the_sdk_rules(
    extension: type[OpenTelemetryExtension],
    monkeypatch: pytest.MonkeyPatch,
    temporality: AggregationTemporality,
) -> None:
    exports = _exported(extension, monkeypatch, temporality, sdk_histogram=False).exports
    order_points = [
        [p for p in _duration_points(export) if p.attributes["faas.name"] == "Order"]
        for export in exports
    ]
    for points in order_points:
        for point in points:
            assert point.start_time_unix_nano < point.time_unix_nano
    first, second, third = (points[0] if points else None for points in order_points[:3])
    assert first is not None and second is not None
    if temporality == CUMULATIVE:
        assert third is not None and third.count == second.count == 7
        assert first.start_time_unix_nano == second.start_time_unix_nano
        assert third.start_time_unix_nano == first.start_time_unix_nano
    else:  # each interval from the previous collection; nothing new, no point
        assert second.count == 2 and third is None
        assert second.start_time_unix_nano == first.time_unix_nano


def test_an_exporter_asking_for_another_histogram_gets_the_sdks_own(
    extension: type[OpenTelemetryExtension], otlp: OtlpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
        "base2_exponential_bucket_histogram",
    )
    extension.configure(exporter="otlp", otlp_endpoint=otlp.url, instrumentations="none")
    for query in ("id=1", "fail=1", "id=2"):
        _order(query)
    extension.flush(10.0)
    kinds = _otlp_kinds(otlp, "faas.invoke_duration")
    assert kinds == ["exponential_histogram"]
    assert _latest_count(otlp, "faas.invoke_duration") == 3


def test_otlp_delta_preference_exports_duration_intervals(
    extension: type[OpenTelemetryExtension], otlp: OtlpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta")
    extension.configure(exporter="otlp", otlp_endpoint=otlp.url, instrumentations="none")
    for query in ("id=1", "fail=1", "id=2"):
        _order(query)
    extension.flush(10.0)
    _order("id=3")
    extension.flush(10.0)
    counts = [point.count for point in _otlp_points(otlp, "faas.invoke_duration")]
    assert counts == [3, 1]
    assert _otlp_temporalities(otlp, "faas.invoke_duration") == {1}  # DELTA in OTLP


def _otlp_metrics(otlp: OtlpReceiver, name: str) -> Iterator[Any]:
    for message in otlp._messages("/v1/metrics"):
        for resource_metrics in message.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    if metric.name == name:
                        yield metric


def _otlp_kinds(otlp: OtlpReceiver, name: str) -> List[Optional[str]]:
    return sorted({metric.WhichOneof("data") for metric in _otlp_metrics(otlp, name)})


def _otlp_points(otlp: OtlpReceiver, name: str) -> List[Any]:
    return [
        point
        for metric in _otlp_metrics(otlp, name)
        for point in getattr(metric, metric.WhichOneof("data")).data_points
    ]


def _otlp_temporalities(otlp: OtlpReceiver, name: str) -> set:
    return {
        getattr(metric, metric.WhichOneof("data")).aggregation_temporality
        for metric in _otlp_metrics(otlp, name)
    }


def _latest_count(otlp: OtlpReceiver, name: str) -> int:
    return int(_otlp_points(otlp, name)[-1].count)


def _reader_with_durations(
    exporter: CapturingMetricExporter,
) -> Any:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from python_worker_extension_opentelemetry.metrics import DurationReader, Tally

    tally = Tally()
    resource = Resource.create({"service.name": "orders-app"})
    scope = InstrumentationScope("python_worker_extension_opentelemetry", "1.0", None, None)
    reader = DurationReader(exporter, 3_600_000, tally, scope, resource, lambda: None)
    provider = MeterProvider(metric_readers=[reader], resource=resource)
    tally.add(("Order", "http"), 0.25, False, True)
    tally.add(("Order", "http"), 7.5, True, False)
    return provider, reader


def test_durations_are_exported_when_the_sdk_collects_nothing_else() -> None:
    exporter = CapturingMetricExporter()
    provider, reader = _reader_with_durations(exporter)
    try:
        reader.collect()
    finally:
        provider.shutdown()
    (resource_metrics,) = exporter.exports[0].resource_metrics
    assert resource_metrics.resource.attributes["service.name"] == "orders-app"
    (scope_metrics,) = resource_metrics.scope_metrics
    assert scope_metrics.scope.name == "python_worker_extension_opentelemetry"
    (metric,) = scope_metrics.metrics
    (point,) = metric.data.data_points
    assert (metric.name, metric.unit, point.count, point.sum) == (
        "faas.invoke_duration",
        "s",
        2,
        7.75,
    )


def test_durations_get_their_own_scope_beside_another_scopes_metrics() -> None:
    exporter = CapturingMetricExporter()
    provider, reader = _reader_with_durations(exporter)
    provider.get_meter("tests.orders").create_counter("orders.placed").add(3)
    try:
        reader.collect()
    finally:
        provider.shutdown()
    (resource_metrics,) = exporter.exports[0].resource_metrics
    names = [
        (scope_metrics.scope.name, [metric.name for metric in scope_metrics.metrics])
        for scope_metrics in resource_metrics.scope_metrics
    ]
    assert names == [
        ("python_worker_extension_opentelemetry", ["faas.invoke_duration"]),
        ("tests.orders", ["orders.placed"]),
    ]
