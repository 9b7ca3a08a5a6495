"""Per-invocation cost of the OpenTelemetry extension against writing it by hand, and against
the OpenCensus extension, in one run; and the cold-start cost of importing and configuring.

Each invocation goes through ``Dispatcher.invoke`` (worker-identical mode) with an HTTP
request whose incoming ``traceparent`` is sampled, so every variant records:

- hand-written: no extension; the function body extracts the host's trace context with
  OpenTelemetry's W3C propagator and opens a SERVER span around its work (what a user writes
  without the extension), with the same SDK (parent-based ratio sampler, batch processor)
  and a no-op exporter;
- ours: the extension records the invocation span (FaaS, cloud and HTTP attributes, redacted
  query), attaches and detaches the context, counts the invocation and records its duration
  (metrics exported to a no-op metric exporter); the function body only does its work;
- OpenCensus extension: its invocation span, no-op exporter.

The work in every body is one user span (``start_as_current_span``). Cold start: a fresh
interpreter importing the package and calling ``configure`` (no-op exporters), minus one
that imports only ``azure.functions``; median of several runs.
"""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import sys
import time
from typing import Any, Dict, Iterator, List, Sequence

import azure.functions as func
from opentelemetry import trace
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.testing import make_context, make_http_request, registered
from python_worker_extension_opencensus import NoopExporter, OpenCensusExtension
from python_worker_extension_opentelemetry import NoopSpanExporter, OpenTelemetryExtension

from .harness import Row, Table, extensions_enabled, per_call_microseconds, progress

BARE = "bare dispatcher (no extensions, no tracing)"
HAND = "hand-written OpenTelemetry in the function body"
HAND_SAME = "hand-written, recording the same span attributes"
OURS = "python-worker-extension-opentelemetry"
OPENCENSUS = "python-worker-extension-opencensus"
SAMPLED_PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class _NoopMetricExporter(MetricExporter):
    def export(self, metrics_data: Any, timeout_millis: float = 10_000, **_: Any) -> Any:
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **_: Any) -> None:
        pass


_hand_provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(1.0)), shutdown_on_exit=False)
_hand_provider.add_span_processor(BatchSpanProcessor(NoopSpanExporter()))
_hand_tracer = _hand_provider.get_tracer("hand")
_propagator = TraceContextTextMapPropagator()
# The user's tracer, obtained after configure() as the readme shows (see _ours).
_user: Dict[str, Any] = {}


def _plain(req: func.HttpRequest, context: Any) -> func.HttpResponse:
    return func.HttpResponse("ok")


def _hand_written(req: func.HttpRequest, context: Any) -> func.HttpResponse:
    carrier = {"traceparent": context.trace_context.trace_parent}
    if context.trace_context.trace_state:
        carrier["tracestate"] = context.trace_context.trace_state
    parent = _propagator.extract(carrier)
    with _hand_tracer.start_as_current_span(
        context.function_name, context=parent, kind=SpanKind.SERVER
    ):
        with _hand_tracer.start_as_current_span("user"):
            pass
        return func.HttpResponse("ok")


def _hand_written_same_attributes(req: func.HttpRequest, context: Any) -> func.HttpResponse:
    """The same, plus the attributes the extension records, set by hand (query unredacted)."""
    carrier = {"traceparent": context.trace_context.trace_parent}
    if context.trace_context.trace_state:
        carrier["tracestate"] = context.trace_context.trace_state
    parent = _propagator.extract(carrier)
    path, _, query = req.url.partition("://")[2].partition("/")[2].partition("?")
    attributes = {
        "faas.trigger": "http",
        "faas.invocation_id": context.invocation_id,
        "faas.name": context.function_name,
        "faas.coldstart": False,
        "http.request.method": req.method,
        "url.path": "/" + path,
        "http.route": "/" + path,
        "url.query": query,
    }
    with _hand_tracer.start_as_current_span(
        f"{req.method} /{path}", context=parent, kind=SpanKind.SERVER, attributes=attributes
    ) as span:
        with _hand_tracer.start_as_current_span("user"):
            pass
        response = func.HttpResponse("ok")
        span.set_attribute("http.response.status_code", response.status_code)
        return response


def _with_extension(req: func.HttpRequest, context: Any) -> func.HttpResponse:
    with _user["tracer"].start_as_current_span("user"):
        pass
    return func.HttpResponse("ok")


def _with_opencensus(req: func.HttpRequest, context: Any) -> func.HttpResponse:
    with context.tracer.span("user"):
        pass
    return func.HttpResponse("ok")


@contextlib.contextmanager
def _ours() -> Iterator[None]:
    with registered(OpenTelemetryExtension):
        OpenTelemetryExtension.configure(
            exporter=NoopSpanExporter(),
            metric_exporter=_NoopMetricExporter(),
            instrumentations="none",
        )
        _user["tracer"] = trace.get_tracer("bench.user")  # at module level after configure()
        try:
            yield
        finally:
            OpenTelemetryExtension.reset()


@contextlib.contextmanager
def _opencensus() -> Iterator[None]:
    from opencensus.trace import execution_context

    with registered(OpenCensusExtension):
        OpenCensusExtension.configure(exporter=NoopExporter(), trace_requests=False)
        try:
            yield
        finally:
            OpenCensusExtension.reset()
            execution_context.clean()


COLD_CODE = {
    "azure.functions only (anchor)": "import azure.functions",
    OURS: (
        "import azure.functions\n"
        "from python_worker_extension_opentelemetry import OpenTelemetryExtension as E\n"
        "E.configure(exporter='none', instrumentations='none')"
    ),
    f"{OURS} with OTLP": (
        "import azure.functions\n"
        "from python_worker_extension_opentelemetry import OpenTelemetryExtension as E\n"
        "E.configure(exporter='otlp', otlp_endpoint='http://127.0.0.1:9', "
        "instrumentations='none')"
    ),
    OPENCENSUS: (
        "import azure.functions\n"
        "from python_worker_extension_opencensus import OpenCensusExtension as E\n"
        "E.configure(exporter='none', trace_requests=False)"
    ),
}


def _cold_start_ms(code: str, runs: int) -> List[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _cold_start(quick: bool) -> Table:
    runs = 3 if quick else 9
    table = Table(
        "OpenTelemetry extension: cold start (import and configure), next to OpenCensus",
        baseline="azure.functions only (anchor)",
        description=(
            "A fresh interpreter per run: import the package and call `configure` (no-op "
            "export; the OTLP row also imports and builds the OTLP/HTTP exporters). Note = "
            "median minus the anchor's (an interpreter that imports only `azure.functions`)."
        ),
    )
    for label, code in COLD_CODE.items():
        progress(f"opentelemetry: cold start, {label}")
        table.rows.append(Row(label, _cold_start_ms(code, runs), unit="ms"))
    anchor = table.row(table.baseline).median
    for row in table.rows[1:]:
        row.note = f"+{row.median - anchor:.1f} ms"
    table.chart_overhead = False
    return table


def run(quick: bool = False) -> List[Table]:
    number = 2000 if quick else 20000
    dispatcher = Dispatcher()
    context = make_context("HttpTrigger", trace_parent=SAMPLED_PARENT)
    args: Dict[str, Any] = {
        "req": make_http_request("GET", "http://localhost:7071/api/HttpTrigger?code=x&page=2"),
        "context": context,
    }

    def measure(function: Any) -> List[float]:
        return per_call_microseconds(
            lambda: dispatcher.invoke(function, args, context), number=number
        )

    table = Table(
        "OpenTelemetry extension: per-invocation cost against the hand-written version",
        baseline=HAND,
        description=(
            "One HTTP invocation through `Dispatcher.invoke` with a sampled incoming "
            "`traceparent`; every variant records a server span and one user span, no-op "
            "exporters. Hand-written: the body extracts the context and opens the span. Ours "
            "also records FaaS/cloud/HTTP attributes (redacted query), attaches/detaches the "
            "context for the whole call and records the invocation metrics. Ratio < 1.00x "
            "means cheaper than writing it by hand. The second hand-written row also sets the span "
            "attributes the extension records (without redaction or metrics). Note = median "
            "minus the bare dispatcher's."
        ),
    )
    rows: Sequence[Any] = (
        (BARE, registered, _plain),
        (HAND, registered, _hand_written),
        (HAND_SAME, registered, _hand_written_same_attributes),
        (OURS, _ours, _with_extension),
        (OPENCENSUS, _opencensus, _with_opencensus),
    )
    with extensions_enabled():
        for label, scope, function in rows:
            progress(f"opentelemetry: {label}")
            with scope():
                table.rows.append(Row(label, measure(function)))
    bare = table.row(BARE).median
    for row in table.rows:
        row.note = f"+{row.median - bare:.2f} us" if row.label != BARE else ""
    spread = statistics.median(row.spread for row in table.rows)
    progress(f"opentelemetry: median spread {spread:.2f} us")
    return [table, _cold_start(quick)]
