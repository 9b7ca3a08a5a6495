"""The invocation metrics, in a module of their own so that the metrics SDK is imported only
when a backend takes metrics (cold start).

``faas.invocations``, ``faas.errors`` and ``faas.coldstarts`` are counted in a small locked
table (``Tally``) and reported by observable counters; the durations wait in that table and
are recorded into the ``faas.invoke_duration`` histogram by our reader just before each
collection (``DrainingReader``): an invocation costs one locked table update instead of SDK
instrument calls. Export failures are counted like the spans' (``GuardedMetricExporter``).
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from opentelemetry import context as otel_context
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
)

from . import attributes
from .exporters import FailureLog, reason, suppressed

Key = Tuple[str, str]  # (faas.name, faas.trigger)


class Tally:
    """Invocation, error and cold-start counts per (function, trigger), cumulative, and the
    durations not yet handed to the histogram.

    An invocation costs one locked update here. The durations are recorded into the SDK's
    histogram by the metric reader just before it collects (``DrainingReader``), off the
    invocation's path; past ``MAX_PENDING`` waiting ones, they are recorded at once.
    """

    MAX_PENDING = 100_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.batched = False  # True once our reader drains the durations
        self.counts: Dict[Key, List[int]] = {}
        self.attributes: Dict[Key, Dict[str, str]] = {}
        self.pending: List[Tuple[Dict[str, str], float]] = []

    def add(self, key: Key, seconds: float, failed: bool, cold: bool) -> Optional[Dict[str, str]]:
        """Count one invocation; its attributes when the duration must be recorded now."""
        with self._lock:
            row = self.counts.get(key)
            if row is None:
                row = self.counts[key] = [0, 0, 0]
                self.attributes[key] = {
                    attributes.FAAS_NAME: key[0],
                    attributes.FAAS_TRIGGER: key[1],
                }
            row[0] += 1
            if failed:
                row[1] += 1
            if cold:
                row[2] += 1
            attrs = self.attributes[key]
            if self.batched and len(self.pending) < self.MAX_PENDING:
                self.pending.append((attrs, seconds))
                return None
            return attrs

    def drain(self) -> List[Tuple[Dict[str, str], float]]:
        with self._lock:
            taken, self.pending = self.pending, []
        return taken

    def observe(self, column: int) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def callback(options: CallbackOptions) -> Iterable[Observation]:
            with self._lock:
                rows = [(self.attributes[k], row[column]) for k, row in self.counts.items()]
            return [Observation(value, attrs) for attrs, value in rows if value or column == 0]

        return callback


class DrainingReader(PeriodicExportingMetricReader):
    """Records the durations waiting in the tally into the histogram before each collection."""

    def __init__(self, exporter: Any, interval_millis: float, before: Callable[[], None]) -> None:
        super().__init__(exporter, export_interval_millis=interval_millis)
        self._before = before

    # ``collect`` is marked final for type checkers; extending it (then calling it) is the
    # one public moment before a collection, and it is what the periodic export calls.
    def collect(self, timeout_millis: float = 10_000) -> None:  # type: ignore[misc]
        try:
            self._before()
        except Exception:  # a failure here costs durations, never the export
            logging.getLogger(__name__).debug("Recording durations failed", exc_info=True)
        super().collect(timeout_millis=timeout_millis)


class GuardedMetricExporter(MetricExporter):
    """A metric exporter whose failures are counted and rate-limited, never raised."""

    def __init__(self, inner: Any, label: str, failures: FailureLog) -> None:
        super().__init__(
            preferred_temporality=getattr(inner, "_preferred_temporality", None),  # type: ignore[arg-type]
            preferred_aggregation=getattr(inner, "_preferred_aggregation", None),  # type: ignore[arg-type]
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
