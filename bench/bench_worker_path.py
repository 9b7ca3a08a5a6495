"""Each extension's cost as users pay it: hooks called the way the real worker calls them.

Every comparison is a ratio of *overheads* measured in the same process and the same repeat:
(ours - bare) / (anchor - bare), where *bare* is the same function through the same caller
with no extension registered. Variants take turns within each repeat (interleaved), each in
its own registry, so machine noise hits them alike; the table gives the median ratio over the
repeats and its spread. The caller is ``worker_caller.WorkerCaller`` (the worker 4.x call
path: flag read, hook-list look-ups and a logger look-up per hook); each extension's overhead
through the framework's ``Dispatcher`` is reported beside it. Every log line is formatted and
dropped by a handler, as a real handler would at least format it.
"""

from __future__ import annotations

import contextlib
import statistics
from dataclasses import dataclass
from typing import Any, Callable, ContextManager, Dict, Iterator, List, Optional

import azure.functions as func
from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.testing import make_context, make_http_request, registered
from python_worker_extension_opencensus import NoopExporter, OpenCensusExtension
from python_worker_extension_request_logging import LOGGER_NAME as REQUEST_LOGGER
from python_worker_extension_request_logging import RequestLoggingExtension
from python_worker_extension_timer import LOGGER_NAME as TIMER_LOGGER
from python_worker_extension_timer import TimerExtension

from . import anchors
from .bench_opencensus import UNSAMPLED_PARENT, _original
from .harness import (
    Row,
    Table,
    cpu_microseconds_per_call,
    extensions_enabled,
    logger_formatting_only,
    progress,
)
from .worker_caller import WorkerCaller


def _hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("Hello, World. This HTTP triggered function executed successfully.")


def _traced(req: func.HttpRequest, context: Any) -> func.HttpResponse:
    with context.tracer.span("user"):
        pass
    return func.HttpResponse("ok")


def _untraced(req: func.HttpRequest, context: Any) -> func.HttpResponse:
    return func.HttpResponse("ok")


@contextlib.contextmanager
def _ours(extension: Any, **options: Any) -> Iterator[None]:
    with registered(extension):
        extension.reset()
        extension.configure(**options)
        try:
            yield
        finally:
            extension.reset()


@contextlib.contextmanager
def _anchor(factory: Callable[[], type]) -> Iterator[None]:
    with registered():
        factory()  # defining the class registers it in this registry
        yield


@dataclass
class Variant:
    label: str
    setup: Callable[[], ContextManager[Any]]
    function: Callable[..., Any]
    args: Dict[str, Any]
    context: Any


@dataclass
class Comparison:
    label: str
    ours: str
    anchor: str
    bare: str
    target: float


def _http_args(with_context: Optional[Any] = None) -> Dict[str, Any]:
    args: Dict[str, Any] = {
        "req": make_http_request(
            "GET",
            "http://localhost:7071/api/HttpTrigger?code=x&name=widget",
            headers={"User-Agent": "bench/1.0"},
        )
    }
    if with_context is not None:
        args["context"] = with_context
    return args


def _variants() -> List[Variant]:
    plain = make_context("HttpTrigger")
    traced = make_context("HttpTrigger", trace_parent=UNSAMPLED_PARENT)
    plain_args, traced_args = _http_args(), _http_args(traced)
    variants = [
        Variant("bare (plain function)", lambda: registered(), _hello, plain_args, plain),
        Variant(
            "bare (function with context)", lambda: registered(), _untraced, traced_args, traced
        ),
        Variant(
            "tutorial timer, append off",
            lambda: _anchor(anchors.tutorial_timer),
            _hello,
            plain_args,
            plain,
        ),
        Variant("timer, append off", lambda: _ours(TimerExtension), _hello, plain_args, plain),
        Variant(
            "tutorial timer, append on",
            lambda: _anchor(lambda: anchors.tutorial_timer(True)),
            _hello,
            plain_args,
            plain,
        ),
        Variant(
            "timer, append on",
            lambda: _ours(TimerExtension, append_to_http_response=True),
            _hello,
            plain_args,
            plain,
        ),
        Variant(
            "plain access-log line",
            lambda: _anchor(anchors.access_log_line),
            _hello,
            plain_args,
            plain,
        ),
        Variant(
            "request logging (text)",
            lambda: _ours(RequestLoggingExtension),
            _hello,
            plain_args,
            plain,
        ),
    ]
    for rate in (1.0, 0.0):
        variants.append(
            Variant(
                f"original OpenCensus, sampling {rate}",
                lambda r=rate: _original(r),
                _traced,
                traced_args,
                traced,
            )
        )
        variants.append(
            Variant(
                f"OpenCensus, sampling {rate}",
                lambda r=rate: _ours(OpenCensusExtension, exporter=NoopExporter(), sampling_rate=r),
                _traced,
                traced_args,
                traced,
            )
        )
    return variants


COMPARISONS = [
    Comparison(
        "timer vs tutorial timer, append off",
        "timer, append off",
        "tutorial timer, append off",
        "bare (plain function)",
        0.8,
    ),
    Comparison(
        "timer vs tutorial timer, append on",
        "timer, append on",
        "tutorial timer, append on",
        "bare (plain function)",
        0.8,
    ),
    Comparison(
        "OpenCensus vs original, sampling 1.0",
        "OpenCensus, sampling 1.0",
        "original OpenCensus, sampling 1.0",
        "bare (function with context)",
        1.0,
    ),
    Comparison(
        "OpenCensus vs original, sampling 0.0",
        "OpenCensus, sampling 0.0",
        "original OpenCensus, sampling 0.0",
        "bare (function with context)",
        0.5,
    ),
    Comparison(
        "request logging (text) vs a plain access-log line",
        "request logging (text)",
        "plain access-log line",
        "bare (plain function)",
        2.0,
    ),
]


def _measure(
    variants: List[Variant], number: int, repeats: int
) -> Dict[str, Dict[str, List[float]]]:
    """µs per invocation, ``{caller: {variant: [one per repeat]}}``, variants interleaved."""
    worker, dispatcher = WorkerCaller(), Dispatcher()
    callers: Dict[str, Callable[[Variant], Callable[[], Any]]] = {
        "worker": lambda v: lambda: worker.invoke(v.context, v.function, v.args),
        "dispatcher": lambda v: lambda: dispatcher.invoke(v.function, v.args, v.context),
    }
    samples: Dict[str, Dict[str, List[float]]] = {name: {} for name in callers}
    for repeat in range(repeats):
        progress(f"worker path: repeat {repeat + 1}/{repeats}")
        for variant in variants:
            for name, make_call in callers.items():
                with variant.setup():
                    value = cpu_microseconds_per_call(make_call(variant), number)
                samples[name].setdefault(variant.label, []).append(value)
    return samples


def _ratios(samples: Dict[str, List[float]], comparison: Comparison) -> List[float]:
    ratios = []
    for ours, anchor, bare in zip(
        samples[comparison.ours], samples[comparison.anchor], samples[comparison.bare]
    ):
        ratios.append((ours - bare) / max(anchor - bare, 1e-9))
    return ratios


def run(quick: bool = False) -> List[Table]:
    number, repeats = (1000, 2) if quick else (5000, 7)
    loggers = ("azure_functions_worker", TIMER_LOGGER, REQUEST_LOGGER, anchors.ACCESS_LOGGER)
    with contextlib.ExitStack() as stack:
        stack.enter_context(extensions_enabled())
        for name in loggers:
            stack.enter_context(logger_formatting_only(name, 20))
        samples = _measure(_variants(), number, repeats)
    targets = Table(
        "Targets: each extension against what users would run instead (worker call path)",
        baseline="none",
        description=(
            "Ratio of overheads, (ours - bare) / (anchor - bare), one ratio per repeat, "
            f"{repeats} repeats of {number} invocations per variant, variants interleaved, "
            "each timed in the process's CPU time (other load on the machine barely moves it); "
            "hooks called as the worker 4.x calls them. The note gives the target and "
            "whether the median holds it."
        ),
        chart_overhead=False,
    )
    for comparison in COMPARISONS:
        ratios = _ratios(samples["worker"], comparison)
        holds = statistics.median(ratios) <= comparison.target
        note = f"target <= {comparison.target:.1f}x: {'holds' if holds else 'missed'}"
        targets.rows.append(Row(comparison.label, ratios, unit="x", note=note))
    overheads = Table(
        "Overhead per invocation: worker call path and the framework's dispatcher",
        baseline="none",
        description=(
            "Median µs added over the bare function through the same caller, same run. "
            "The worker's path costs more per hook (flag read, registry and logger "
            "look-ups per hook); that is what users pay in Azure."
        ),
        chart_overhead=False,
    )
    bare_of = {c.ours: c.bare for c in COMPARISONS} | {c.anchor: c.bare for c in COMPARISONS}
    for label, bare in bare_of.items():
        for caller in ("worker", "dispatcher"):
            values = [
                ours - base for ours, base in zip(samples[caller][label], samples[caller][bare])
            ]
            overheads.rows.append(Row(f"{label} ({caller})", values, unit="us"))
    return [targets, overheads]
