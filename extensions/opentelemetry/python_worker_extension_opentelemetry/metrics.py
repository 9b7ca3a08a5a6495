"""The invocation metrics, in a module of their own so that the metrics SDK is imported only
when a backend takes metrics (cold start).

``faas.invocations``, ``faas.errors`` and ``faas.coldstarts`` are counted in a small locked
table (``Tally``) and reported by observable counters. ``faas.invoke_duration`` is a
histogram with the SDK's default explicit buckets; where our own reader exports (the
common case) the table aggregates it too, exactly as the SDK's histogram aggregation does,
and the reader puts it into each collection where the SDK would have (``DurationReader``):
an invocation costs one locked table update instead of an SDK instrument call. Where the
exporter asks for another histogram aggregation, the durations wait in the table and are
recorded into the SDK's histogram just before each collection; where the meter provider is
someone else's (the worker's distro), they are recorded into its histogram at once. Export
failures are counted like the spans' (``GuardedMetricExporter``).
"""

from __future__ import annotations

import logging
import threading
from bisect import bisect_left
from math import inf
from time import time_ns
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from opentelemetry import context as otel_context
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import Histogram as HistogramInstrument
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
    ResourceMetrics,
    ScopeMetrics,
)
from opentelemetry.sdk.metrics.view import DefaultAggregation
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from . import attributes
from .exporters import FailureLog, reason, suppressed

Key = Tuple[str, str]  # (faas.name, faas.trigger)

DURATION_NAME = "faas.invoke_duration"
DURATION_UNIT = "s"
DURATION_DESCRIPTION = "Duration of function invocations"
# The SDK's default explicit bucket boundaries for a histogram without advice (ours gives
# none); a test holds our aggregation to the SDK's output.
BOUNDARIES = (
    0.0,
    5.0,
    10.0,
    25.0,
    50.0,
    75.0,
    100.0,
    250.0,
    500.0,
    750.0,
    1000.0,
    2500.0,
    5000.0,
    7500.0,
    10000.0,
)
_BUCKETS = len(BOUNDARIES) + 1


class _Row:
    """One (function, trigger): its counts, and its durations as the SDK's explicit-bucket
    histogram aggregation keeps them (this interval's, and the sum of the earlier ones)."""

    __slots__ = (
        "attributes",
        "buckets",
        "counts",
        "max",
        "min",
        "previous_buckets",
        "previous_max",
        "previous_min",
        "previous_start",
        "previous_sum",
        "start",
        "sum",
    )

    def __init__(self, key: Key) -> None:
        self.attributes = {attributes.FAAS_NAME: key[0], attributes.FAAS_TRIGGER: key[1]}
        self.counts = [0, 0, 0]  # invocations, errors, cold starts
        self.buckets: Optional[List[int]] = None  # None: no duration since the last collection
        self.sum: float = 0
        self.min = inf
        self.max = -inf
        self.start = 0  # when its first duration came (the SDK: its aggregation's start)
        self.previous_start = 0
        self.previous_buckets: Optional[List[int]] = None
        self.previous_sum: float = 0
        self.previous_min = inf
        self.previous_max = -inf

    def collect(self, temporality: int, now: int) -> Optional[HistogramDataPoint]:
        """This row's duration point, as the SDK's aggregation of a synchronous histogram
        collects it for ``temporality`` (``_ExplicitBucketHistogramAggregation.collect``)."""
        if self.start == 0:
            return None  # no duration yet: the SDK has no aggregation for it either
        buckets, sum_, min_, max_ = self.buckets, self.sum, self.min, self.max
        self.buckets, self.sum, self.min, self.max = None, 0, inf, -inf
        if temporality == AggregationTemporality.DELTA:
            start, self.previous_start = self.previous_start, now
            if buckets is None:
                return None
            return HistogramDataPoint(
                attributes=self.attributes,
                start_time_unix_nano=start,
                time_unix_nano=now,
                count=sum(buckets),
                sum=sum_,
                bucket_counts=tuple(buckets),
                explicit_bounds=BOUNDARIES,
                min=min_,
                max=max_,
            )
        if buckets is None:
            buckets = [0] * _BUCKETS
        previous = self.previous_buckets or [0] * _BUCKETS
        self.previous_buckets = [a + b for a, b in zip(buckets, previous)]
        self.previous_min = min(min_, self.previous_min)
        self.previous_max = max(max_, self.previous_max)
        self.previous_sum = sum_ + self.previous_sum
        return HistogramDataPoint(
            attributes=self.attributes,
            start_time_unix_nano=self.start,
            time_unix_nano=now,
            count=sum(self.previous_buckets),
            sum=self.previous_sum,
            bucket_counts=tuple(self.previous_buckets),
            explicit_bounds=BOUNDARIES,
            min=self.previous_min,
            max=self.previous_max,
        )


class Tally:
    """Invocation, error and cold-start counts per (function, trigger), cumulative, and the
    durations: aggregated here (``aggregates``, set by ``DurationReader``), or waiting for
    the SDK's histogram (``batched``), or handed back to be recorded at once.

    An invocation costs one locked update here. Waiting durations are recorded into the
    SDK's histogram by the reader just before it collects; past ``MAX_PENDING`` waiting
    ones, they are recorded at once.
    """

    MAX_PENDING = 100_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.aggregates = False  # True once our reader exports the durations from here
        self.batched = False  # True once our reader drains the durations into the SDK's
        self.rows: Dict[Key, _Row] = {}
        self.pending: List[Tuple[Dict[str, str], float]] = []

    def add(self, key: Key, seconds: float, failed: bool, cold: bool) -> Optional[Dict[str, str]]:
        """Count one invocation; its attributes when the duration must be recorded now."""
        with self._lock:
            row = self.rows.get(key)
            if row is None:
                row = self.rows[key] = _Row(key)
            counts = row.counts
            counts[0] += 1
            if failed:
                counts[1] += 1
            if cold:
                counts[2] += 1
            if self.aggregates:  # what the SDK's ``aggregate`` does, inline
                buckets = row.buckets
                if buckets is None:
                    buckets = row.buckets = [0] * _BUCKETS
                    if row.start == 0:
                        row.start = row.previous_start = time_ns()
                buckets[bisect_left(BOUNDARIES, seconds)] += 1
                row.sum += seconds
                if seconds < row.min:
                    row.min = seconds
                if seconds > row.max:
                    row.max = seconds
                return None
            if self.batched and len(self.pending) < self.MAX_PENDING:
                self.pending.append((row.attributes, seconds))
                return None
            return row.attributes

    def drain(self) -> List[Tuple[Dict[str, str], float]]:
        with self._lock:
            taken, self.pending = self.pending, []
        return taken

    def durations(self, temporality: int, now: int) -> List[HistogramDataPoint]:
        """The duration points of a collection at ``now``, in the order the functions first
        ran (the SDK's order)."""
        with self._lock:
            points = [row.collect(temporality, now) for row in self.rows.values()]
        return [point for point in points if point is not None]

    def observe(self, column: int) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def callback(options: CallbackOptions) -> Iterable[Observation]:
            with self._lock:
                rows = [(row.attributes, row.counts[column]) for row in self.rows.values()]
            return [Observation(value, attrs) for attrs, value in rows if value or column == 0]

        return callback


def aggregates_durations(exporter: Any) -> bool:
    """Whether the SDK would aggregate our histogram for ``exporter`` with its default
    explicit buckets (then ``Tally`` can do it); an exporter asking for any other histogram
    aggregation gets the SDK's own."""
    preferred = getattr(exporter, "preferred_aggregation", None) or {}
    chosen = preferred.get(HistogramInstrument)
    return chosen is None or type(chosen) is DefaultAggregation


def histogram_temporality(exporter: Any) -> AggregationTemporality:
    """The temporality a reader of ``exporter`` gives histograms (cumulative unless the
    exporter prefers another)."""
    preferred = getattr(exporter, "preferred_temporality", None) or {}
    return AggregationTemporality(
        preferred.get(HistogramInstrument, AggregationTemporality.CUMULATIVE)
    )


class DurationReader(PeriodicExportingMetricReader):
    """The periodic reader of our meter provider, which also puts the durations into each
    collection: from the tally's own aggregation, or (``before``) recorded into the SDK's
    histogram just before the collection."""

    def __init__(
        self,
        exporter: Any,
        interval_millis: float,
        tally: Tally,
        scope: InstrumentationScope,
        resource: Any,
        before: Callable[[], None],
    ) -> None:
        super().__init__(exporter, export_interval_millis=interval_millis)
        self._tally = tally
        self._scope = scope
        self._resource = resource
        self._before = before
        self._aggregates = tally.aggregates = aggregates_durations(exporter)
        tally.batched = not self._aggregates
        self._temporality = histogram_temporality(exporter)
        self._collecting = threading.Lock()  # one collection at a time: the stash below
        self._stash: Optional[Metric] = None

    # ``collect`` is marked final for type checkers; extending it (then calling it) is the
    # one public moment before a collection, and it is what the periodic export calls.
    def collect(self, timeout_millis: float = 10_000) -> None:  # type: ignore[misc]
        with self._collecting:
            try:
                if self._aggregates:
                    self._stash = self._duration_metric()
                else:
                    self._before()
            except Exception:  # a failure here costs durations, never the export
                logging.getLogger(__name__).debug("Collecting durations failed", exc_info=True)
            super().collect(timeout_millis=timeout_millis)
            stash, self._stash = self._stash, None
            if stash is not None:  # the SDK collected nothing else: the durations alone
                self._receive_metrics(self._with(None, stash), timeout_millis=timeout_millis)

    def _duration_metric(self) -> Optional[Metric]:
        points = self._tally.durations(self._temporality, time_ns())
        if not points:
            return None
        return Metric(
            name=DURATION_NAME,
            description=DURATION_DESCRIPTION,
            unit=DURATION_UNIT,
            data=Histogram(data_points=points, aggregation_temporality=self._temporality),
        )

    def _receive_metrics(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> None:
        stash, self._stash = self._stash, None
        if stash is not None:
            metrics_data = self._with(metrics_data, stash)
        super()._receive_metrics(metrics_data, timeout_millis=timeout_millis, **kwargs)

    def _with(self, metrics_data: Optional[MetricsData], metric: Metric) -> MetricsData:
        """``metrics_data`` with ``metric`` first in our scope, where the SDK puts the
        histogram (our first instrument); our scope first when it has nothing else."""
        resource_metrics: Sequence[ResourceMetrics] = (
            metrics_data.resource_metrics if metrics_data is not None else ()
        )
        if not resource_metrics:
            resource = self._resource
            return MetricsData(
                resource_metrics=[
                    ResourceMetrics(
                        resource=resource,
                        scope_metrics=[self._scope_metrics([metric])],
                        schema_url=resource.schema_url,
                    )
                ]
            )
        first, *others = resource_metrics
        scopes = list(first.scope_metrics)
        for index, scope_metrics in enumerate(scopes):
            if _same_scope(scope_metrics.scope, self._scope):
                scopes[index] = ScopeMetrics(
                    scope=scope_metrics.scope,
                    metrics=[metric, *scope_metrics.metrics],
                    schema_url=scope_metrics.schema_url,
                )
                break
        else:
            scopes.insert(0, self._scope_metrics([metric]))
        updated = ResourceMetrics(
            resource=first.resource, scope_metrics=scopes, schema_url=first.schema_url
        )
        return MetricsData(resource_metrics=[updated, *others])

    def _scope_metrics(self, metrics: List[Metric]) -> ScopeMetrics:
        # (The scope's own schema URL, None included, as the SDK's collection passes it.)
        schema_url: Any = self._scope.schema_url
        return ScopeMetrics(scope=self._scope, metrics=metrics, schema_url=schema_url)


def _same_scope(a: InstrumentationScope, b: InstrumentationScope) -> bool:
    return a.name == b.name and a.version == b.version and a.schema_url == b.schema_url


class GuardedMetricExporter(MetricExporter):
    """A metric exporter whose failures are counted and rate-limited, never raised."""

    def __init__(self, inner: Any, label: str, failures: FailureLog) -> None:
        # The inner exporter's preferences (what its reader aggregates and how), kept here
        # in the open for ``DurationReader``.
        self.preferred_temporality: Optional[Mapping[type, Any]] = getattr(
            inner, "_preferred_temporality", None
        )
        self.preferred_aggregation: Optional[Mapping[type, Any]] = getattr(
            inner, "_preferred_aggregation", None
        )
        super().__init__(
            preferred_temporality=self.preferred_temporality,  # type: ignore[arg-type]
            preferred_aggregation=self.preferred_aggregation,  # type: ignore[arg-type]
        )
        self.inner = inner
        self.label = label
        self.failures = failures

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        token = otel_context.attach(suppressed())
        try:
            result = self.inner.export(metrics_data, timeout_millis=timeout_millis, **kwargs)
        except Exception as exc:
            self.failures.failure(self.label, 1, reason(exc))
            return MetricExportResult.FAILURE
        finally:
            otel_context.detach(token)
        if result == MetricExportResult.FAILURE:
            self.failures.failure(self.label, 1, "the exporter reported FAILURE")
            return MetricExportResult.FAILURE
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        try:
            return bool(self.inner.force_flush(timeout_millis))
        except Exception:
            return False

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        try:
            self.inner.shutdown(timeout_millis=timeout_millis, **kwargs)
        except Exception as exc:
            self.failures.failure(self.label, 0, f"shutdown: {reason(exc)}")
