"""Exporters by name, each imported only when chosen, and the guard that keeps export
failures from ever reaching an invocation.

A backend is up to three exporters (spans, metrics, logs). ``azure_monitor`` and ``otlp``
have all three, ``console`` too; ``jsonl`` writes spans to a local file (one JSON object a
line, the same purpose as the OpenCensus extension's); ``none`` and an exporter object
of the user's export spans only. Every exporter is wrapped: spans and log records are
masked first (``redacting``: whatever code made them, no secret is exported), and a failure
(an exception or a FAILURE result) is counted, and logged at most once a minute, never raised.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from dataclasses import dataclass
from typing import IO, Any, Callable, Dict, Optional, Sequence, cast

from opentelemetry import context as otel_context
from opentelemetry.context import (
    _SUPPRESS_HTTP_INSTRUMENTATION_KEY,
    _SUPPRESS_INSTRUMENTATION_KEY,
)
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from python_worker_extension_framework.toolkit import ExtensionConfigError

from .options import Plan
from .redacting import RedactingLogExporter, RedactingSpanExporter, SpanRedaction

LOGGER_NAME = "python_worker_extension_opentelemetry"
FAILURE_LOG_INTERVAL_SECONDS = 60.0
# Loggers of the exporters and SDK export loops that log each failed attempt themselves.
NOISY_LOGGERS = (
    "opentelemetry.exporter",
    "opentelemetry.sdk.trace.export",
    "opentelemetry.sdk.metrics._internal.export",
    "opentelemetry.sdk._logs._internal.export",
    "azure.monitor.opentelemetry.exporter",
)

_log = logging.getLogger(LOGGER_NAME)


class FailureLog:
    """Counts export failures and lets one warning through per interval (per process).

    ``clock`` is injectable so a test can move time instead of sleeping.
    """

    def __init__(
        self,
        interval: float = FAILURE_LOG_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.failed_batches = 0
        self.failed_items = 0
        self.exported_items = 0
        self._last_logged: Optional[float] = None
        self._lock = threading.Lock()

    def success(self, items: int) -> None:
        with self._lock:
            self.exported_items += items

    def failure(self, label: str, items: int, reason: str) -> None:
        with self._lock:
            self.failed_batches += 1
            self.failed_items += items
            now = self.clock()
            if self._last_logged is not None and now - self._last_logged < self.interval:
                return
            self._last_logged = now
            batches, lost = self.failed_batches, self.failed_items
        _log.warning(
            "OpenTelemetryExtension: %s failed to export %d item(s): %s. Invocations are not "
            "affected. %d batch(es), %d item(s) failed so far; the next warning comes at "
            "most %.0f s from now.",
            label,
            items,
            reason,
            batches,
            lost,
            self.interval,
        )

    def snapshot(self) -> Dict[str, int]:
        with self._lock:
            return {
                "exported": self.exported_items,
                "failed": self.failed_items,
                "failed_batches": self.failed_batches,
            }

    def allow(self) -> bool:
        """Whether a noisy logger's record may pass now (shares the once-a-minute budget)."""
        with self._lock:
            now = self.clock()
            if self._last_logged is not None and now - self._last_logged < self.interval:
                return False
            self._last_logged = now
            return True


class QuietFilter(logging.Filter):
    """On the exporters' own loggers: their warnings and errors share our budget."""

    def __init__(self, failures: FailureLog) -> None:
        super().__init__()
        self.failures = failures

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        return self.failures.allow()


def suppressed() -> Any:
    """A context in which the instrumented HTTP clients record nothing: an exporter's own
    requests must not become spans that are exported in turn."""
    context = otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True)
    return otel_context.set_value(_SUPPRESS_HTTP_INSTRUMENTATION_KEY, True, context)


def reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


class GuardedSpanExporter(SpanExporter):
    """A span exporter whose failures are counted and rate-limited, never raised."""

    def __init__(self, inner: Any, label: str, failures: FailureLog, owned: bool = True) -> None:
        self.inner = inner
        self.label = label
        self.failures = failures
        self.owned = owned  # a user's exporter object is theirs to shut down

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        token = otel_context.attach(suppressed())
        try:
            result = self.inner.export(spans)
        except Exception as exc:
            self.failures.failure(self.label, len(spans), reason(exc))
            return SpanExportResult.FAILURE
        finally:
            otel_context.detach(token)
        if result == SpanExportResult.FAILURE:
            self.failures.failure(self.label, len(spans), "the exporter reported FAILURE")
        else:
            self.failures.success(len(spans))
        return SpanExportResult.SUCCESS if result is None else cast(SpanExportResult, result)

    def shutdown(self) -> None:
        if not self.owned:
            return
        try:
            self.inner.shutdown()
        except Exception as exc:
            self.failures.failure(self.label, 0, f"shutdown: {reason(exc)}")

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        flush = getattr(self.inner, "force_flush", None)
        if flush is None:
            return True
        try:
            return bool(flush(timeout_millis))
        except Exception as exc:
            self.failures.failure(self.label, 0, f"flush: {reason(exc)}")
            return False


class GuardedLogExporter:
    """A log exporter whose failures are counted and rate-limited, never raised."""

    def __init__(self, inner: Any, label: str, failures: FailureLog) -> None:
        self.inner = inner
        self.label = label
        self.failures = failures

    def export(self, batch: Sequence[Any]) -> Any:
        from opentelemetry.sdk._logs.export import LogExportResult

        token = otel_context.attach(suppressed())
        try:
            result = self.inner.export(batch)
        except Exception as exc:
            self.failures.failure(self.label, len(batch), reason(exc))
            return LogExportResult.FAILURE
        finally:
            otel_context.detach(token)
        if result == LogExportResult.FAILURE:
            self.failures.failure(self.label, len(batch), "the exporter reported FAILURE")
        return result

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        try:
            return bool(self.inner.force_flush(timeout_millis))
        except Exception:
            return False

    def shutdown(self) -> None:
        try:
            self.inner.shutdown()
        except Exception as exc:
            self.failures.failure(self.label, 0, f"shutdown: {reason(exc)}")


class NoopSpanExporter(SpanExporter):
    """Drops every span (the ``none`` exporter; also the benchmarks' anchor)."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def span_record(span: ReadableSpan) -> Dict[str, Any]:
    """A span as one flat JSON-ready object (the ``jsonl`` exporter's line)."""
    context = span.context
    parent = span.parent
    status = span.status
    return {
        "name": span.name,
        "kind": span.kind.name,
        "trace_id": f"{context.trace_id:032x}" if context else None,
        "span_id": f"{context.span_id:016x}" if context else None,
        "parent_span_id": f"{parent.span_id:016x}" if parent else None,
        "start_time_unix_nano": span.start_time,
        "end_time_unix_nano": span.end_time,
        "status": status.status_code.name,
        "status_description": status.description,
        "attributes": dict(span.attributes or {}),
        "events": [
            {"name": event.name, "attributes": dict(event.attributes or {})}
            for event in span.events
        ],
        "resource": dict(span.resource.attributes) if span.resource else {},
    }


class JsonLinesSpanExporter(SpanExporter):
    """Appends one JSON object per span to a file (or a stream, for ``console`` tests)."""

    def __init__(self, path: Optional[str] = None, stream: Optional[IO[str]] = None) -> None:
        self.path = path
        self.stream = stream
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        text = "".join(json.dumps(span_record(s), default=str) + "\n" for s in spans)
        with self._lock:
            if self.stream is not None:
                self.stream.write(text)
                self.stream.flush()
            elif self.path is not None:
                with open(self.path, "a", encoding="utf-8") as handle:
                    handle.write(text)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


@dataclass
class Backend:
    """The exporters of one backend; ``metrics``/``logs`` are None where it has none."""

    label: str
    spans: SpanExporter
    metrics: Optional[Any] = None  # a MetricExporter
    logs: Optional[Any] = None


def _missing(extra: str, package: str) -> ExtensionConfigError:
    return ExtensionConfigError(
        f"OpenTelemetryExtension: this exporter needs {package}; install "
        f"python-worker-extension-opentelemetry[{extra}] (add it to requirements.txt)"
    )


def _azure_monitor(plan: Plan) -> Backend:
    try:
        from azure.monitor.opentelemetry.exporter import (
            AzureMonitorLogExporter,
            AzureMonitorMetricExporter,
            AzureMonitorTraceExporter,
        )
    except ImportError:
        raise _missing("azure", "azure-monitor-opentelemetry-exporter") from None
    options: Dict[str, Any] = {"connection_string": plan.connection_string}
    options.update(plan.azure_monitor_options)
    return Backend(
        "the Azure Monitor exporter",
        AzureMonitorTraceExporter(**options),
        AzureMonitorMetricExporter(**options),
        AzureMonitorLogExporter(**options) if plan.export_logs else None,
    )


def _otlp_url(base: Optional[str], signal: str) -> Optional[str]:
    if base is None:
        return None  # the exporter reads OTEL_EXPORTER_OTLP_[SIGNAL_]ENDPOINT itself
    return base.rstrip("/") + "/v1/" + signal


def _otlp(plan: Plan) -> Backend:
    try:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError:
        raise _missing("otlp", "opentelemetry-exporter-otlp-proto-http") from None
    logs = None
    if plan.export_logs:
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

        logs = OTLPLogExporter(endpoint=_otlp_url(plan.otlp_endpoint, "logs"))
    return Backend(
        "the OTLP exporter",
        OTLPSpanExporter(endpoint=_otlp_url(plan.otlp_endpoint, "traces")),
        OTLPMetricExporter(endpoint=_otlp_url(plan.otlp_endpoint, "metrics")),
        logs,
    )


def _console(plan: Plan) -> Backend:
    from opentelemetry.sdk._logs.export import ConsoleLogExporter
    from opentelemetry.sdk.metrics.export import ConsoleMetricExporter
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    out = sys.stdout  # the stream of now (their default is the one at their import)
    return Backend(
        "the console exporter",
        ConsoleSpanExporter(out=out),
        ConsoleMetricExporter(out=out),
        ConsoleLogExporter(out=out) if plan.export_logs else None,
    )


def build_backend(
    plan: Plan, failures: FailureLog, redaction: Optional[SpanRedaction] = None
) -> Optional[Backend]:
    """The guarded, redacting exporters a plan names; None for ``none`` (nothing is
    exported)."""
    choice = plan.exporter
    if choice == "none":
        return None
    if choice == "azure_monitor":
        backend = _azure_monitor(plan)
    elif choice == "otlp":
        backend = _otlp(plan)
    elif choice == "console":
        backend = _console(plan)
    elif choice == "jsonl":
        backend = Backend("the jsonl exporter", JsonLinesSpanExporter(plan.jsonl_path))
    else:
        backend = Backend(type(choice).__name__, choice, plan.metric_exporter)
    owned = isinstance(choice, str)
    redaction = redaction if redaction is not None else SpanRedaction()
    backend.spans = GuardedSpanExporter(
        RedactingSpanExporter(backend.spans, redaction), backend.label, failures, owned=owned
    )
    if backend.metrics is not None:
        from .metrics import GuardedMetricExporter  # the metrics SDK, only when it is used

        backend.metrics = GuardedMetricExporter(backend.metrics, backend.label, failures)
    if backend.logs is not None:
        backend.logs = GuardedLogExporter(
            RedactingLogExporter(backend.logs, redaction), backend.label, failures
        )
    return backend
