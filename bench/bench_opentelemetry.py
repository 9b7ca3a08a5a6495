"""Per-invocation cost of the OpenTelemetry extension against writing it by hand, and against
the OpenCensus extension, in one run; what each recorded item costs; and the cold-start cost
of importing and configuring.

Each invocation is an HTTP request whose incoming ``traceparent`` is sampled, so every
variant records:

- hand-written: no extension; the function body extracts the host's trace context with
  OpenTelemetry's W3C propagator and opens a SERVER span around its work (what a user writes
  without the extension), with the same SDK (parent-based ratio sampler, batch processor)
  and a no-op exporter;
- ours: the extension records the invocation span (FaaS and HTTP attributes, redacted
  query; the cloud attributes are on the resource), attaches and detaches the context,
  counts the invocation and records its duration (metrics exported to a no-op metric
  exporter); the function body only does its work, with the tracer ``trace.get_tracer``
  gives it on the extension's provider (whose spans are light, as the invocation span);
- OpenCensus extension: its invocation span, no-op exporter.

A floor is measured beside them: the hand-written span moved into an extension's hooks
with the attributes ours records given as constants and the status code set after the
call (no metrics, no redaction, no safety net). It is what an extension pays that records
those attributes on the SDK's own spans: the worker's and the framework's hook calls and
the SDK's storing of the attributes. Ours records on lighter spans of its own (the user's
spans too, see ``invocation_span``), so it can come in under that floor.

The work in every body is one user span (``start_as_current_span``). Every variant is
called two ways: as the real worker 4.x calls the hooks (``worker_caller.WorkerCaller``),
which is what users pay, and through the framework's ``Dispatcher``. Within each repeat the
variants take turns (interleaved), each timed by the process's CPU time (its export
threads included), and each ends its chunk by flushing its pipeline, so the export work
(and our metrics reader's) is counted too; the ratio is taken per repeat. Cold start: a
fresh interpreter importing the package and calling ``configure`` (no-op exporters), minus
one that imports only ``azure.functions``; median of several runs.
"""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, ContextManager, Dict, Iterator, List, Sequence

import azure.functions as func
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.testing import make_context, make_http_request, registered
from python_worker_extension_framework.toolkit import Invocation, WorkerExtension
from python_worker_extension_opencensus import NoopExporter, OpenCensusExtension
from python_worker_extension_opentelemetry import NoopSpanExporter, OpenTelemetryExtension

from .bench_cold_start import cached_bytecode, child_env
from .harness import Row, Table, cpu_microseconds_per_call, extensions_enabled, progress
from .worker_caller import WorkerCaller

BARE = "bare (no extensions, no tracing)"
HAND = "hand-written OpenTelemetry in the function body"
HAND_SAME = "hand-written, recording the same span attributes"
OURS = "python-worker-extension-opentelemetry"
OPENCENSUS = "python-worker-extension-opencensus"
USER_ONLY = "the user span alone, no extension"
FLOOR = "floor: the hand-written span in an extension's hooks, attributes as constants"
WORKER = "worker call path"
DISPATCHER = "dispatcher"
SAMPLED_PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class _NoopMetricExporter(MetricExporter):
    def export(self, metrics_data: Any, timeout_millis: float = 10_000, **_: Any) -> Any:
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **_: Any) -> None:
        pass


# Room for every span of a timed chunk (at most 5,200 invocations, two spans each) in both
# pipelines: with the SDK's default queue (2,048), an export thread that falls behind on a
# busy machine drops spans, and their export work goes uncounted.
QUEUE_SIZE = 16_384
_hand_provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(1.0)), shutdown_on_exit=False)
_hand_provider.add_span_processor(BatchSpanProcessor(NoopSpanExporter(), max_queue_size=QUEUE_SIZE))
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
    attributes: Dict[str, Any] = {
        "faas.trigger": "http",
        "faas.invocation_id": context.invocation_id,
        "faas.name": context.function_name,
        "faas.coldstart": False,
        "http.request.method": req.method,
        "url.path": "/" + path,
        "http.route": "/" + path,
        "url.query": query,
    }
    agent = req.headers.get("user-agent")
    if agent:
        attributes["user_agent.original"] = agent
    with _hand_tracer.start_as_current_span(
        f"{req.method} /{path}", context=parent, kind=SpanKind.SERVER, attributes=attributes
    ) as span:
        with _hand_tracer.start_as_current_span("user"):
            pass
        response = func.HttpResponse("ok")
        span.set_attribute("http.response.status_code", response.status_code)
        return response


# What ours records on the bench's request, as constants (the query as redacted).
_FLOOR_NAME = "GET /api/HttpTrigger"
_FLOOR_ATTRIBUTES: Dict[str, Any] = {
    "faas.trigger": "http",
    "faas.invocation_id": "7e43a05a-5deb-49db-9a92-da074115788d",
    "faas.name": "HttpTrigger",
    "faas.coldstart": False,
    "http.request.method": "GET",
    "url.path": "/api/HttpTrigger",
    "http.route": "/api/HttpTrigger",
    "url.query": "code=[REDACTED]&page=2",
    "user_agent.original": "bench/1.0",
}


class _SdkFloor(WorkerExtension):
    """The floor (see the module docstring): the hand-written version's span, started in
    the pre hook with constant attributes and ended in the post hook."""

    @classmethod
    def _on_pre_invocation(cls, invocation: Invocation) -> None:
        trace_context = invocation.context.trace_context
        carrier = {"traceparent": trace_context.trace_parent}
        if trace_context.trace_state:
            carrier["tracestate"] = trace_context.trace_state
        span = _hand_tracer.start_span(
            _FLOOR_NAME,
            context=_propagator.extract(carrier),
            kind=SpanKind.SERVER,
            attributes=_FLOOR_ATTRIBUTES,
        )
        token = otel_context.attach(trace.set_span_in_context(span))
        invocation.data["floor"] = (span, token)

    @classmethod
    def _on_post_invocation(cls, invocation: Invocation, result: Any) -> None:
        span, token = invocation.data.pop("floor")
        span.set_attribute("http.response.status_code", result.status_code)
        span.end()
        otel_context.detach(token)


def _user_span_only(req: func.HttpRequest, context: Any) -> func.HttpResponse:
    with _hand_tracer.start_as_current_span("user"):
        pass
    return func.HttpResponse("ok")


def _with_extension(req: func.HttpRequest, context: Any) -> func.HttpResponse:
    with _user["tracer"].start_as_current_span("user"):
        pass
    return func.HttpResponse("ok")


def _with_opencensus(req: func.HttpRequest, context: Any) -> func.HttpResponse:
    with context.tracer.span("user"):
        pass
    return func.HttpResponse("ok")


def _ours() -> ContextManager[None]:
    return _ours_with()


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


def _cold_start_ms(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=child_env())
    return (time.perf_counter() - started) * 1000


def _cold_start(quick: bool) -> Table:
    runs = 3 if quick else 9
    table = Table(
        "OpenTelemetry extension: cold start (import and configure), next to OpenCensus",
        baseline="azure.functions only (anchor)",
        description=(
            "A fresh interpreter per run, timed from outside (interpreter start included): "
            "import the package and call `configure` (no-op export; the OTLP row also imports "
            "and builds the OTLP/HTTP exporters); variants interleaved, bytecode cached as "
            "after `pip install`. Note = median minus the anchor's (an interpreter that "
            "imports only `azure.functions`)."
        ),
    )
    samples: Dict[str, List[float]] = {label: [] for label in COLD_CODE}
    with cached_bytecode():
        progress("opentelemetry: cold start, one uncounted run of each variant fills the cache")
        for code in COLD_CODE.values():
            _cold_start_ms(code)
        for repeat in range(runs):
            progress(f"opentelemetry: cold start, repeat {repeat + 1}/{runs}")
            for label, code in COLD_CODE.items():
                samples[label].append(_cold_start_ms(code))
    table.rows.extend(Row(label, values, unit="ms") for label, values in samples.items())
    anchor = table.row(table.baseline).median
    for row in table.rows[1:]:
        row.note = f"+{row.median - anchor:.1f} ms"
    table.chart_overhead = False
    return table


@dataclass
class Variant:
    label: str
    scope: Callable[[], ContextManager[Any]]
    function: Callable[..., Any]
    flush: Callable[[], Any]


def _flush_hand() -> None:
    _hand_provider.force_flush()


def _flush_ours() -> None:
    OpenTelemetryExtension.flush()


def _no_flush() -> None:
    pass


@contextlib.contextmanager
def _ours_with(**options: Any) -> Iterator[None]:
    with registered(OpenTelemetryExtension):
        OpenTelemetryExtension.configure(
            exporter=NoopSpanExporter(),
            metric_exporter=_NoopMetricExporter(),
            instrumentations="none",
            queue_size=QUEUE_SIZE,
            **options,
        )
        _user["tracer"] = trace.get_tracer("bench.user")  # at module level after configure()
        try:
            yield
        finally:
            OpenTelemetryExtension.reset()


VARIANTS = (
    Variant(BARE, registered, _plain, _no_flush),
    Variant(HAND, registered, _hand_written, _flush_hand),
    Variant(HAND_SAME, registered, _hand_written_same_attributes, _flush_hand),
    Variant(OURS, _ours, _with_extension, _flush_ours),
    Variant(OPENCENSUS, _opencensus, _with_opencensus, _no_flush),
)
# What each recorded item costs: the extension with one thing switched off (same run,
# interleaved with the rest); the difference to the full extension is that item's price.
ABLATIONS = (
    Variant(USER_ONLY, registered, _user_span_only, _flush_hand),
    Variant(FLOOR, lambda: registered(_SdkFloor), _user_span_only, _flush_hand),
    Variant(
        f"{OURS}, metrics off", lambda: _ours_with(metrics=False), _with_extension, _flush_ours
    ),
    Variant(
        f"{OURS}, no invocation span (context and metrics only)",
        lambda: _ours_with(invocation_span="never"),
        _with_extension,
        _flush_ours,
    ),
    Variant(
        f"{OURS}, no invocation span, metrics off",
        lambda: _ours_with(invocation_span="never", metrics=False),
        _with_extension,
        _flush_ours,
    ),
)


def _measure(
    variants: Sequence[Variant], number: int, repeats: int
) -> Dict[str, Dict[str, List[float]]]:
    """``{caller: {variant: [µs per invocation, one per repeat]}}``, variants interleaved."""
    worker, dispatcher = WorkerCaller(), Dispatcher()
    context = make_context("HttpTrigger", trace_parent=SAMPLED_PARENT)
    args: Dict[str, Any] = {
        "req": make_http_request(
            "GET",
            "http://localhost:7071/api/HttpTrigger?code=x&page=2",
            headers={"User-Agent": "bench/1.0"},
        ),
        "context": context,
    }
    callers: Dict[str, Callable[[Variant], Callable[[], Any]]] = {
        WORKER: lambda v: lambda: worker.invoke(context, v.function, args),
        DISPATCHER: lambda v: lambda: dispatcher.invoke(v.function, args, context),
    }
    samples: Dict[str, Dict[str, List[float]]] = {name: {} for name in callers}
    for repeat in range(repeats):
        progress(f"opentelemetry: repeat {repeat + 1}/{repeats}")
        for variant in variants:
            for name, make_call in callers.items():
                with variant.scope():
                    value = cpu_microseconds_per_call(make_call(variant), number, variant.flush)
                samples[name].setdefault(variant.label, []).append(value)
    return samples


def _ratio_rows(samples: Dict[str, List[float]], caller: str) -> List[Row]:
    rows = []
    for anchor in (HAND, HAND_SAME):
        ratios = [ours / hand for ours, hand in zip(samples[OURS], samples[anchor])]
        holds = statistics.median(ratios) <= 1.0
        rows.append(
            Row(
                f"ours / {anchor} ({caller})",
                ratios,
                unit="x",
                note=f"target <= 1.0x: {'holds' if holds else 'missed'}" if anchor == HAND else "",
            )
        )
    floor = [low / hand for low, hand in zip(samples[FLOOR], samples[HAND])]
    rows.append(
        Row(
            f"floor / {HAND} ({caller})",
            floor,
            unit="x",
            note="hook calls and storing the attributes only, nothing computed",
        )
    )
    return rows


def _item_costs(samples: Dict[str, List[float]], caller: str) -> List[Row]:
    """Per repeat differences between variants measured side by side: each item's price."""

    def diff(a: str, b: str) -> List[float]:
        return [x - y for x, y in zip(samples[a], samples[b])]

    _, _, metrics_off, no_span, nothing = (v.label for v in ABLATIONS)
    return [
        Row(
            f"an SDK span in an extension's hooks over the hand-written version ({caller})",
            diff(FLOOR, HAND),
            note="the floor's hook calls and the SDK storing the attributes",
        ),
        Row(f"the user span alone, the SDK's, no extension ({caller})", diff(USER_ONLY, BARE)),
        Row(
            f"hooks, parent read, context attach/detach, and the user span ({caller})",
            diff(nothing, BARE),
            note="no invocation span, no metrics; the user span is a light one on our provider",
        ),
        Row(f"metrics: count, errors, cold starts, duration ({caller})", diff(OURS, metrics_off)),
        Row(
            f"metrics, without an invocation span ({caller})",
            diff(no_span, nothing),
            note="the same item measured a second way",
        ),
        Row(
            f"invocation span with its attributes, safety net ({caller})",
            diff(metrics_off, nothing),
        ),
        Row(
            f"the same span attributes set by hand ({caller})",
            diff(HAND_SAME, HAND),
            note="for comparison: what the attributes cost the hand-written version",
        ),
    ]


def run(quick: bool = False) -> List[Table]:
    number, repeats = (1000, 3) if quick else (5000, 7)
    with extensions_enabled():
        samples = _measure((*VARIANTS, *ABLATIONS), number, repeats)
    tables = []
    for caller, how in (
        (WORKER, "hooks called as the real worker 4.x calls them: what users pay"),
        (DISPATCHER, "through the framework's `Dispatcher.invoke` (worker-identical mode)"),
    ):
        table = Table(
            f"OpenTelemetry extension: per-invocation cost against the hand-written version "
            f"({caller})",
            baseline=HAND,
            description=(
                f"One HTTP invocation, {how}, with a sampled incoming `traceparent`; every "
                "variant records a server span and one user span, no-op exporters. "
                "Hand-written: the body extracts the context and opens the span. Ours also "
                "records FaaS/HTTP attributes (redacted query; cloud attributes on the "
                "resource), attaches/detaches the context for the whole call and records the "
                "invocation metrics. The second hand-written row also sets the span "
                "attributes the extension records (without redaction or metrics). CPU time "
                f"of the process, {repeats} repeats of {number} invocations, variants "
                "interleaved, each chunk ending with its pipeline's flush. Note = median "
                "minus the bare caller's."
            ),
        )
        by_label = samples[caller]
        for variant in VARIANTS:
            table.rows.append(Row(variant.label, by_label[variant.label]))
        bare = table.row(BARE).median
        for row in table.rows:
            row.note = f"+{row.median - bare:.2f} us" if row.label != BARE else ""
        tables.append(table)
    ratios = Table(
        "OpenTelemetry extension: ratio to the hand-written version, per repeat",
        baseline="none",
        description=(
            "Ours divided by the hand-written variant measured beside it in the same repeat; "
            "median and spread over the repeats. Target (issue 15): at most 1.0x the "
            "hand-written version while recording more."
        ),
        chart_overhead=False,
    )
    items = Table(
        "OpenTelemetry extension: what each recorded item costs (µs per invocation)",
        baseline="none",
        description=(
            "Differences between variants measured side by side in each repeat: the "
            "extension in full, with metrics off, and with no invocation span "
            "(`invocation_span='never'`), against the bare caller and the hand-written rows."
        ),
        chart_overhead=False,
    )
    for caller in (WORKER, DISPATCHER):
        ratios.rows.extend(_ratio_rows(samples[caller], caller))
        items.rows.extend(_item_costs(samples[caller], caller))
    progress(
        "opentelemetry: ours / hand-written (worker path) "
        f"{statistics.median(ratios.rows[0].samples):.2f}x"
    )
    return [*tables, ratios, items, _cold_start(quick)]
