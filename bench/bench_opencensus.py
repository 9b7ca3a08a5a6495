"""Per-invocation cost of the OpenCensus extension against the one it replaces, same run.

Each invocation goes through ``Dispatcher.invoke`` (worker-identical mode): the pre hook,
an HTTP function that opens and closes one user span with ``context.tracer.span(...)``,
the post hook. Both extensions export to a no-op exporter, so the rows measure tracing,
not sending. ``opencensus-extension-azure-functions`` 1.0.0 hard-codes
``ProbabilitySampler(1.0)``; for its 0.0 row that sampler is swapped for
``ProbabilitySampler(0.0)``. The incoming ``traceparent`` has the not-sampled flag (``-00``)
so that the rate decides for both (a sampled caller is always recorded by both). Ours also
opens, fills and exports the invocation span when sampled. Each extension is measured
alone in an isolated registry: both register themselves in ``ExtensionMeta`` at import.
"""

from __future__ import annotations

import contextlib
from typing import Any, Dict, Iterator, List

import azure.functions as func
from opencensus.trace import execution_context
from opencensus.trace.samplers import ProbabilitySampler
from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.testing import (
    isolated_registry,
    make_context,
    make_http_request,
    registered,
)
from python_worker_extension_opencensus import NoopExporter, OpenCensusExtension

from .harness import Row, Table, extensions_enabled, per_call_microseconds, progress

ORIGINAL = "opencensus-extension-azure-functions 1.0.0"
OURS = "python-worker-extension-opencensus"
BARE = "bare dispatcher (no extensions)"
UNSAMPLED_PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"


def _http_function(req: func.HttpRequest, context: Any) -> func.HttpResponse:
    with context.tracer.span("user"):
        pass
    return func.HttpResponse("ok")


def _plain_function(req: func.HttpRequest, context: Any) -> func.HttpResponse:
    return func.HttpResponse("ok")


@contextlib.contextmanager
def _original(rate: float) -> Iterator[None]:
    """The original extension alone in the registry, its exporter a no-op, at ``rate``."""
    with isolated_registry():
        # Imported here: its class statement registers it in whatever registry is current.
        from opencensus.extension.azure import functions as original

        saved = original.ProbabilitySampler
        with registered(original.OpenCensusExtension):
            original.OpenCensusExtension._exporter = NoopExporter()  # what configure() sets
            original.ProbabilitySampler = lambda *_: ProbabilitySampler(rate)  # type: ignore[assignment,misc]
            try:
                yield
            finally:
                original.ProbabilitySampler = saved  # type: ignore[misc]
                execution_context.clean()


@contextlib.contextmanager
def _ours(rate: float) -> Iterator[None]:
    with registered(OpenCensusExtension):
        OpenCensusExtension.reset()
        OpenCensusExtension.configure(exporter=NoopExporter(), sampling_rate=rate)
        try:
            yield
        finally:
            OpenCensusExtension.reset()
            execution_context.clean()


def run(quick: bool = False) -> List[Table]:
    number = 2000 if quick else 20000
    dispatcher = Dispatcher()
    context = make_context("HttpTrigger", trace_parent=UNSAMPLED_PARENT)
    args: Dict[str, Any] = {
        "req": make_http_request("GET", "http://localhost:7071/api/HttpTrigger?code=x"),
        "context": context,
    }

    def measure(function: Any = _http_function) -> List[float]:
        return per_call_microseconds(
            lambda: dispatcher.invoke(function, args, context), number=number
        )

    tables = []
    with extensions_enabled():
        progress("opencensus: bare dispatcher")
        with registered():
            bare = measure(_plain_function)  # no tracer to open a span with
        for rate in (1.0, 0.0):
            table = Table(
                f"OpenCensus extension: per-invocation cost, sampling {rate}",
                baseline=f"{ORIGINAL}, sampling {rate}",
                description=(
                    "Pre hook, one user span (`with context.tracer.span(...)`), post hook, "
                    "through `Dispatcher.invoke`; no-op exporter; incoming `traceparent` not "
                    f"sampled, so the rate ({rate}) decides. Ours also records the invocation "
                    "span (FaaS and HTTP attributes) when sampled. Overhead = row median minus "
                    "the bare dispatcher's (same function without the span)."
                ),
            )
            table.rows.append(Row(BARE, bare))
            progress(f"opencensus: {ORIGINAL} at {rate}")
            with _original(rate):
                table.rows.append(Row(f"{ORIGINAL}, sampling {rate}", measure()))
            progress(f"opencensus: ours at {rate}")
            with _ours(rate):
                table.rows.append(Row(f"{OURS}, sampling {rate}", measure()))
            baseline = table.row(BARE).median
            for row in table.rows[1:]:
                row.note = f"+{row.median - baseline:.2f} us"
            tables.append(table)
    return tables
