"""Memory over a long run: 100,000 invocations in process and 20,000 requests to the host.

In process, all five extensions are registered and configured as an app would configure
them (timer, request logging, retry context, OpenCensus and OpenTelemetry, both tracing at
sampling 1.0 into exporters that run and count what they are given, then drop it). Hooks
are called the way the worker 4.x calls them (``worker_caller.WorkerCaller``): sync
functions in a thread pool, ``async def`` ones on the event loop, eight invocations in
flight at a time. Every function is wrapped with ``with_extensions``, so a function that
raises goes through the error phase, as in an app built with ``ExtensionsFunctionApp``. Each
invocation has its own context with a new sampled ``traceparent`` and a retry count; one in
ten raises, one in ten answers 5xx, four in ten are ``async def``. Every checkpoint first
lets both tracers export what they queued and collects garbage, then reads the resident
set size (``/proc/self/statm``), the memory blocks Python's allocator holds and the objects
the collector tracks, and counts what must not outlive an invocation: contexts, HTTP
requests and spans alive, weak references to every 97th context still answering, and the
largest collection held on an extension class. ``tracemalloc`` traces the last 12,000
invocations only (tracing every allocation doubles or triples an invocation's cost): its
checkpoints give the bytes allocated in that window and still alive, outside this
benchmark's own code.

The host: ``funcext start samples/all_extensions_app`` in its own process (OpenCensus
exporter ``none``, dashboard on as by default), loaded by ``loadgen.py`` (it bounds a run by
a number of requests, which ``wrk`` cannot, and checks each URL's status: the failing
function's 500 answers are expected there, not counted as errors) with a mix of greetings
carrying a ``traceparent``, greetings with a secret query parameter, and a failing function.
The host's resident set size is read from ``/proc/<pid>/status`` after each slice of
requests, with the host idle.

Growth is measured from the first checkpoint after the warm-up to the last, per 10,000
invocations (or requests); for ``tracemalloc`` from its first checkpoint after a quarter
of its window (bounded caches and free lists whose old entries were allocated before
tracing started are refilled with traced ones meanwhile) to its last, and the RSS, blocks
and objects stop at the last checkpoint before tracing starts (its own tables take
resident memory). A leak of one object per invocation, the smallest there is, would add
10,000 blocks and at least 160 KiB per 10,000 invocations; so *flat* here means under a
tenth of that: fewer than 1,000 blocks and objects and 16 KiB traced per 10,000, and no
count of per-invocation objects growing. The resident size is the coarse, whole-process
figure (C libraries included): it grows in steps of Python's 1 MiB arenas and of the C
allocator's heaps while their fragmentation settles, so flat there means less than 512 KiB
per 10,000 (a few such steps over the run), which a leak of a dict entry or a weak
reference per invocation (100 bytes or more) would still exceed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gc
import inspect
import os
import random
import sys
import tempfile
import time
import tracemalloc
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import azure.functions as func
from opencensus.trace import execution_context
from opencensus.trace.span import Span as OpenCensusSpan
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from python_worker_extension_framework import InvocationContext, with_extensions
from python_worker_extension_framework.testing import make_context, make_http_request, registered
from python_worker_extension_opencensus import NoopExporter, OpenCensusExtension
from python_worker_extension_opentelemetry import NoopSpanExporter, OpenTelemetryExtension
from python_worker_extension_request_logging import LOGGER_NAME as REQUEST_LOGGER
from python_worker_extension_request_logging import RequestLoggingExtension
from python_worker_extension_retry_context import LOGGER_NAME as RETRY_LOGGER
from python_worker_extension_retry_context import RetryContextExtension
from python_worker_extension_timer import LOGGER_NAME as TIMER_LOGGER
from python_worker_extension_timer import TimerExtension

from .bench_host import ALL_APP, ALL_ENV, _free_port, _stop, host_command, launch
from .bench_opentelemetry import _NoopMetricExporter
from .harness import FormatAndDrop, Row, Table, extensions_enabled, logger_formatting_only, progress
from .loadgen import LoadResult, run_load
from .worker_caller import WorkerCaller

FIVE = (
    TimerExtension,
    RequestLoggingExtension,
    RetryContextExtension,
    OpenCensusExtension,
    OpenTelemetryExtension,
)
EXTENSION_LOGGERS = (
    TIMER_LOGGER,
    REQUEST_LOGGER,
    RETRY_LOGGER,
    "python_worker_extension_opencensus",
    "python_worker_extension_opentelemetry",
)
HOOK_ERRORS_LOGGER = "azure_functions_worker"  # where the worker logs a hook that raised
PER_10K = 10_000
IN_FLIGHT = 8
PROBE_EVERY = 97  # a prime: every kind of invocation in the cycle gets sampled
TRACED_STEPS = 4  # checkpoints within the traced window; the first lets caches settle
# Flat: see the module docstring for why these bounds.
TRACED_LIMIT_KIB = 16.0
RSS_LIMIT_KIB = 512.0
COUNT_LIMIT = 1_000.0
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") / 1024


class CountingSpanExporter(NoopSpanExporter):  # type: ignore[misc]
    """OpenTelemetry spans exported, counted, then dropped."""

    def __init__(self) -> None:
        self.spans = 0

    def export(self, spans: Sequence[ReadableSpan]) -> Any:
        self.spans += len(spans)
        return super().export(spans)


class CountingExporter(NoopExporter):  # type: ignore[misc]
    """OpenCensus span data exported, counted, then dropped."""

    def __init__(self) -> None:
        super().__init__()
        self.spans = 0

    def export(self, span_datas: Sequence[Any]) -> None:
        self.spans += len(span_datas)


# -- the functions: every one wrapped, so a raise goes through the error phase --------------

_user_tracer: Dict[str, Any] = {}


def _greeting(req: func.HttpRequest, context: Any) -> func.HttpResponse:
    # One OpenTelemetry user span, and inside it one OpenCensus user span.
    otel = _user_tracer["tracer"]
    with otel.start_as_current_span("compose"), context.tracer.span("compose-greeting"):
        name = req.params.get("name") or "stranger"
    return func.HttpResponse(f"Hello, {name}.")


def greet(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return _greeting(req, context)


async def greet_async(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    await asyncio.sleep(0)  # lets the other invocations in flight interleave on the loop
    return _greeting(req, context)


def unavailable(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("try later", status_code=503)


async def broken_async(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(0)
    return func.HttpResponse("broken", status_code=500)


def fail(req: func.HttpRequest, context: Any) -> func.HttpResponse:
    with context.tracer.span("doomed"):
        raise ValueError("this function always fails")


async def fail_async(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(0)
    raise RuntimeError("this async function always fails")


# One cycle of twenty invocations: 16 answer 200, 2 answer 5xx, 2 raise; 8 are async.
CYCLE: Tuple[Callable[..., Any], ...] = (
    greet,
    greet_async,
    greet,
    unavailable,
    greet,
    greet_async,
    fail,
    greet,
    greet_async,
    greet,
    greet,
    greet_async,
    greet,
    broken_async,
    greet,
    greet_async,
    fail_async,
    greet,
    greet_async,
    greet_async,
)
REQUESTS = [
    make_http_request("GET", "http://127.0.0.1:7071/api/greet?name=Ann"),
    make_http_request("GET", "http://127.0.0.1:7071/api/greet?name=Bo&code=secret-key"),
    make_http_request(
        "POST", "http://127.0.0.1:7071/api/greet", headers={"User-Agent": "bench/1.0"}
    ),
]


@dataclass
class Checkpoint:
    done: int
    traced_kib: Optional[float]  # None where tracemalloc was not tracing
    rss_kib: float
    blocks: int  # memory blocks Python's allocator holds (sys.getallocatedblocks)
    objects: int
    alive: Dict[str, int]
    probes_alive: int
    largest_class_collection: int


@dataclass
class Soak:
    """What the in-process soak saw: checkpoints and the counts that prove it really ran."""

    warm_up: int = 0
    checkpoints: List[Checkpoint] = field(default_factory=list)
    invocations: int = 0
    raised: int = 0
    statuses: Dict[int, int] = field(default_factory=dict)
    final_failures: int = 0
    logs: Dict[str, int] = field(default_factory=dict)
    hook_errors: int = 0
    otel_spans: int = 0
    opencensus_spans: int = 0
    seconds: float = 0.0


def _rss_kib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_KIB


def _alive_by_kind() -> Tuple[int, Dict[str, int]]:
    """Objects the collector tracks, and how many of each per-invocation kind are alive.

    Types are matched by their MRO, not ``isinstance``: several of these kinds are abstract
    base classes, whose ``isinstance`` caches every type it is asked about, so counting with
    it would itself grow the memory it measures."""
    kinds = {
        "contexts": InvocationContext,
        "HTTP requests": func.HttpRequest,
        "OpenTelemetry spans": ReadableSpan,
        "OpenCensus spans": OpenCensusSpan,
    }
    objects = gc.get_objects()
    by_type = collections.Counter(type(o) for o in objects)
    alive = {
        name: sum(n for kind_of, n in by_type.items() if kind in kind_of.__mro__)
        for name, kind in kinds.items()
    }
    return len(objects), alive


def _traced_kib() -> float:
    """KiB that ``tracemalloc`` sees allocated since it started and still alive, leaving out
    what this benchmark allocates itself (its checkpoint records)."""
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, __file__), tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    return sum(stat.size for stat in snapshot.statistics("filename")) / 1024


def _largest_class_collection() -> int:
    """The size of the largest dict, list or set held on an extension class (or its bases):
    per-invocation state kept there instead of on the context would make it grow."""
    sizes = [
        len(value)
        for extension in FIVE
        for klass in extension.__mro__
        for value in vars(klass).values()
        if isinstance(value, (dict, list, set)) and klass is not object  # the ones that grow
    ]
    return max(sizes, default=0)


class InProcess:
    """The five extensions registered, invocations run through the worker's call path."""

    def __init__(self, soak: Soak) -> None:
        self.soak = soak
        self.caller = WorkerCaller()
        self.functions = [with_extensions(function) for function in CYCLE]
        self.is_async = [inspect.iscoroutinefunction(function) for function in CYCLE]
        self.pool = ThreadPoolExecutor(min(32, (os.cpu_count() or 1) + 4))
        self.probes: List[Any] = []

    async def invoke(self, number: int) -> None:
        slot = number % len(CYCLE)
        function = self.functions[slot]
        context = make_context(
            function.__name__, retry_count=number % 3, max_retry_count=2
        )  # a new sampled traceparent each time
        func_args = {"req": REQUESTS[number % len(REQUESTS)], "context": context}
        if number % PROBE_EVERY == 0:
            self.probes.append(weakref.ref(context))
        try:
            if self.is_async[slot]:
                result = await self.caller.invoke_async(context, function, func_args)
            else:
                loop = asyncio.get_running_loop()
                call = self.caller.invoke
                result = await loop.run_in_executor(self.pool, call, context, function, func_args)
        except (ValueError, RuntimeError):
            self.soak.raised += 1
            return
        self.soak.statuses[result.status_code] = self.soak.statuses.get(result.status_code, 0) + 1

    async def run(self, start: int, count: int) -> None:
        for first in range(start, start + count, IN_FLIGHT):
            last = min(first + IN_FLIGHT, start + count)
            await asyncio.gather(*(self.invoke(n) for n in range(first, last)))
        self.soak.invocations += count

    def step(self, loop: asyncio.AbstractEventLoop, count: int) -> None:
        """``count`` more invocations, then a checkpoint."""
        loop.run_until_complete(self.run(self.soak.invocations, count))
        point = self.checkpoint()
        traced = "" if point.traced_kib is None else f", traced {point.traced_kib:.0f} KiB"
        done = point.done - self.soak.warm_up
        progress(
            f"memory: {done:,} invocations, RSS {point.rss_kib / 1024:.1f} MiB, "
            f"{point.blocks:,} blocks{traced}, contexts alive {point.alive['contexts']}"
        )

    def checkpoint(self) -> Checkpoint:
        OpenCensusExtension.flush(10.0)
        OpenTelemetryExtension.flush(10.0)
        self._settle()
        objects, alive = _alive_by_kind()
        point = Checkpoint(
            done=self.soak.invocations,
            traced_kib=_traced_kib() if tracemalloc.is_tracing() else None,
            rss_kib=_rss_kib(),
            blocks=sys.getallocatedblocks(),
            objects=objects,
            alive=alive,
            probes_alive=self._probes_alive(),
            largest_class_collection=_largest_class_collection(),
        )
        self.soak.checkpoints.append(point)
        return point

    def _settle(self) -> None:
        """Collect until the sampled contexts are gone, for at most a second.

        A pool thread drops its last work item (and with it that invocation's arguments)
        just after the loop has been told the result, so the newest context can outlive
        ``run`` by a moment; a leaked context never goes, and is counted after the wait."""
        for _ in range(100):
            gc.collect()
            if self._probes_alive() == 0:
                return
            time.sleep(0.01)

    def _probes_alive(self) -> int:
        """Sampled contexts still reachable; the dead probes are dropped (so that the probe
        list itself grows only if contexts leak)."""
        self.probes = [probe for probe in self.probes if probe() is not None]
        return len(self.probes)


@contextlib.contextmanager
def _five_extensions(
    soak: Soak, extra: Sequence[type]
) -> Iterator[Tuple[CountingSpanExporter, CountingExporter]]:
    otel, opencensus = CountingSpanExporter(), CountingExporter()

    def count_final_failure(info: Any, context: Any, exception: BaseException) -> None:
        soak.final_failures += 1

    execution_context.clean()
    with registered(*FIVE, *extra):
        for extension in FIVE:
            extension.reset()
        TimerExtension.configure(append_to_http_response=True, add_server_timing_header=True)
        RequestLoggingExtension.configure(format="json")
        RetryContextExtension.configure(on_final_failure=count_final_failure)
        OpenCensusExtension.configure(exporter=opencensus, sampling_rate=1.0)
        OpenTelemetryExtension.configure(
            exporter=otel,
            metric_exporter=_NoopMetricExporter(),
            sampling_ratio=1.0,
            instrumentations="none",
        )
        _user_tracer["tracer"] = trace.get_tracer("bench.memory")
        try:
            yield otel, opencensus
        finally:
            OpenCensusExtension.flush(10.0)
            OpenTelemetryExtension.flush(10.0)
            for extension in FIVE:
                extension.reset()
            _user_tracer.clear()
            execution_context.clean()


def soak_in_process(
    invocations: int,
    checkpoint_every: int,
    warm_up: int,
    traced: int,
    extra: Sequence[type] = (),
) -> Soak:
    """``warm_up`` invocations, then ``invocations`` with a checkpoint every
    ``checkpoint_every``; ``tracemalloc`` traces the last ``traced`` of them. ``extra``
    extensions are registered after the five (a test registers a leaking one)."""
    soak = Soak(warm_up=warm_up)
    loggers = [(name, 20) for name in EXTENSION_LOGGERS] + [(HOOK_ERRORS_LOGGER, 40)]
    counter = FormatAndDrop()
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        stack.enter_context(extensions_enabled())
        for name, level in loggers:
            stack.enter_context(logger_formatting_only(name, level, counter))
        otel, opencensus = stack.enter_context(_five_extensions(soak, extra))
        runner = InProcess(soak)
        stack.callback(runner.pool.shutdown)
        loop = asyncio.new_event_loop()
        stack.callback(loop.close)
        progress(f"memory: in process, warm-up of {warm_up} invocations")
        loop.run_until_complete(runner.run(0, warm_up))
        runner.checkpoint()
        untraced_end = warm_up + invocations - traced
        while soak.invocations < untraced_end:
            runner.step(loop, min(checkpoint_every, untraced_end - soak.invocations))
        tracemalloc.start()
        stack.callback(tracemalloc.stop)
        runner.checkpoint()
        while soak.invocations < warm_up + invocations:
            runner.step(loop, traced // TRACED_STEPS)
        soak.otel_spans, soak.opencensus_spans = otel.spans, opencensus.spans
    soak.seconds = time.perf_counter() - started
    soak.logs = {k: v for k, v in counter.counts.items() if not k.startswith(HOOK_ERRORS_LOGGER)}
    soak.hook_errors = sum(v for k, v in counter.counts.items() if k.startswith(HOOK_ERRORS_LOGGER))
    _check_in_process(soak)
    return soak


def _check_in_process(soak: Soak) -> None:
    """The soak measured what it says only if every invocation was seen by every extension."""
    total = soak.invocations
    expected_raises = sum(1 for n in range(total) if CYCLE[n % len(CYCLE)] in (fail, fail_async))
    problems = []
    if soak.raised != expected_raises:
        problems.append(f"{soak.raised} invocations raised, expected {expected_raises}")
    if soak.hook_errors:
        problems.append(f"{soak.hook_errors} hook errors logged")
    for name in (TIMER_LOGGER, REQUEST_LOGGER):
        if soak.logs.get(name, 0) != total:
            problems.append(f"{name} logged {soak.logs.get(name, 0)} lines for {total} invocations")
    if soak.otel_spans < total or soak.opencensus_spans < total:
        problems.append(
            f"spans exported: OpenTelemetry {soak.otel_spans}, OpenCensus "
            f"{soak.opencensus_spans}, for {total} invocations"
        )
    if not soak.final_failures:
        problems.append("the retry context reported no final failure")
    if problems:
        raise RuntimeError("memory soak did not run as designed: " + "; ".join(problems))


# -- the host -------------------------------------------------------------------------------


@dataclass
class HostSoak:
    checkpoints: List[Tuple[int, float]] = field(default_factory=list)  # (requests, RSS KiB)
    statuses: Dict[str, Dict[int, int]] = field(default_factory=dict)
    seconds: float = 0.0


def _host_rss_kib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return float(line.split()[1])
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def _traceparent(rng: random.Random) -> str:
    return f"00-{rng.getrandbits(128):032x}-{rng.getrandbits(64):016x}-01"


def _slice(base: str, requests: int, rng: random.Random, soak: HostSoak) -> None:
    """``requests`` requests: 7 in 10 greetings with a traceparent, 2 with a secret query
    parameter, 1 to the failing function (500 expected)."""
    mix = (
        ("greeting, traceparent", f"{base}/api/hello?name=Ann", 7, 200),
        ("greeting, secret query", f"{base}/api/hello?name=Bo&code=secret-key", 2, 200),
        ("failing function", f"{base}/api/fail", 1, 500),
    )
    for label, url, share, expected in mix:
        headers = {"traceparent": _traceparent(rng)} if "traceparent" in label else None
        result: LoadResult = run_load(
            url, requests=requests * share // 10, connections=8, headers=headers
        )
        seen = soak.statuses.setdefault(label, {})
        for status, count in result.statuses.items():
            seen[status] = seen.get(status, 0) + count
        if set(result.statuses) != {expected} or result.errors:
            raise RuntimeError(
                f"host soak, {label}: answers {result.statuses} (expected only {expected}), "
                f"{result.errors} connection errors"
            )


def soak_host(requests: int, checkpoint_every: int, warm_up: int) -> HostSoak:
    soak = HostSoak()
    rng = random.Random(18)
    port = _free_port()
    env = dict(ALL_ENV, PYTHON_WORKER_EXTENSION_OPENTELEMETRY_EXPORTER="none")
    started = time.perf_counter()
    with tempfile.TemporaryFile() as console:
        process = launch(
            "host for the memory soak",
            host_command(ALL_APP, port),
            ALL_APP,
            port,
            env,
            stderr=console,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            progress(f"memory: host, warm-up of {warm_up} requests")
            _slice(base, warm_up, rng, soak)
            soak.statuses.clear()
            done = 0
            soak.checkpoints.append((done, _settled_rss(process.pid)))
            while done < requests:
                _slice(base, checkpoint_every, rng, soak)
                done += checkpoint_every
                soak.checkpoints.append((done, _settled_rss(process.pid)))
                progress(
                    f"memory: host, {done} requests, RSS {soak.checkpoints[-1][1] / 1024:.1f} MiB"
                )
            if process.poll() is not None:
                raise RuntimeError(f"the host exited with code {process.returncode}")
        finally:
            _stop([process])
    soak.seconds = time.perf_counter() - started
    return soak


def _settled_rss(pid: int) -> float:
    """The host's RSS once idle: spans and log lines still queued are handled by then."""
    time.sleep(0.3)
    return _host_rss_kib(pid)


# -- tables ---------------------------------------------------------------------------------


def _per_10k(first: Tuple[int, float], last: Tuple[int, float]) -> float:
    """Growth from ``first`` to ``last`` (each ``(done, value)``), per 10,000 done."""
    return (last[1] - first[1]) / max(last[0] - first[0], 1) * PER_10K


def _verdict(value: float, limit: float, unit: str) -> str:
    return f"flat if < {limit:,.0f} {unit} per 10k: {'holds' if value < limit else 'MISSED'}"


def _described(title: str, paragraph: int, more: str) -> Table:
    """A table of single figures (no baseline row), described by a paragraph of this
    module's docstring and ``more``."""
    text = " ".join(__doc__.split("\n\n")[paragraph].split())
    return Table(title, baseline="none", chart_overhead=False, description=f"{text} {more}")


def _checkpoint_table(soak: Soak, warm_up: int) -> Table:
    table = _described(
        f"Memory: {soak.invocations - warm_up:,} invocations in process, all five extensions",
        1,
        f"Warm-up: {warm_up:,} invocations. Value: resident set size; note: memory blocks "
        "Python's allocator holds, objects the collector tracks, KiB traced (in the "
        "tracemalloc window only), objects of each kind alive, sampled contexts still "
        "reachable, largest collection on an extension class.",
    )
    first_traced = next((p.traced_kib for p in soak.checkpoints if p.traced_kib is not None), None)
    for point in soak.checkpoints:
        alive = ", ".join(f"{name} {count}" for name, count in point.alive.items())
        label = f"{point.done - warm_up:,} invocations" if point.done > warm_up else "warm-up"
        if point.traced_kib is not None and point.traced_kib == first_traced:
            label += ", tracemalloc starts"
        traced = "" if point.traced_kib is None else f"traced {point.traced_kib:,.0f} KiB; "
        table.rows.append(
            Row(
                label,
                [point.rss_kib / 1024],
                unit="MiB",
                note=f"{point.blocks:,} blocks; {point.objects:,} objects; {traced}alive: "
                f"{alive}; sampled contexts alive {point.probes_alive}; largest class "
                f"collection {point.largest_class_collection}",
            )
        )
    return table


def _in_process_growth(soak: Soak) -> List[Row]:
    untraced = [p for p in soak.checkpoints if p.traced_kib is None]
    traced = [p for p in soak.checkpoints if p.traced_kib is not None][1:]  # after settling
    first, last = untraced[0], untraced[-1]
    rss = _per_10k((first.done, first.rss_kib), (last.done, last.rss_kib))
    blocks = _per_10k((first.done, first.blocks), (last.done, last.blocks))
    objects = _per_10k((first.done, first.objects), (last.done, last.objects))
    kinds = {name: last.alive[name] - first.alive[name] for name in last.alive}
    final = soak.checkpoints[-1]
    counts_flat = all(n <= 0 for n in kinds.values()) and final.probes_alive == 0
    traced_growth = _per_10k(
        (traced[0].done, traced[0].traced_kib or 0.0),
        (traced[-1].done, traced[-1].traced_kib or 0.0),
    )
    span = f"{first.done - soak.warm_up:,} to {last.done - soak.warm_up:,} after the warm-up"
    return [
        Row(
            "in process: RSS (KiB)",
            [rss],
            unit="per 10k",
            note=f"invocations {span}; " + _verdict(rss, RSS_LIMIT_KIB, "KiB"),
        ),
        Row(
            "in process: allocator blocks (count)",
            [blocks],
            unit="per 10k",
            note=f"invocations {span}; " + _verdict(blocks, COUNT_LIMIT, "blocks"),
        ),
        Row(
            "in process: objects tracked by gc (count)",
            [objects],
            unit="per 10k",
            note=_verdict(objects, COUNT_LIMIT, "objects")
            + "; alive at the end vs after warm-up: "
            + ", ".join(f"{k} {v:+d}" for k, v in kinds.items())
            + f"; sampled contexts still reachable at the end: {final.probes_alive} "
            f"({'flat' if counts_flat else 'GROWING'})",
        ),
        Row(
            "in process: tracemalloc, bytes alive (KiB)",
            [traced_growth],
            unit="per 10k",
            note=f"invocations {traced[0].done - soak.warm_up:,} to "
            f"{traced[-1].done - soak.warm_up:,}, traced; "
            + _verdict(traced_growth, TRACED_LIMIT_KIB, "KiB"),
        ),
    ]


def _host_table(host: HostSoak, warm_up: int) -> Table:
    table = _described(
        f"Memory: {host.checkpoints[-1][0]:,} requests to the local host "
        "(samples/all_extensions_app)",
        2,
        f"Warm-up: {warm_up:,} requests. Value: the host's resident set size.",
    )
    for done, kib in host.checkpoints:
        table.rows.append(Row(f"{done:,} requests", [kib / 1024], unit="MiB"))
    return table


def _summary(soak: Soak, host: HostSoak) -> Table:
    statuses = ", ".join(f"{s} x{n:,}" for s, n in sorted(soak.statuses.items()))
    logs = ", ".join(f"{k.rsplit('_', 1)[-1]} {v:,}" for k, v in sorted(soak.logs.items()))
    table = Table(
        "Memory: growth per 10,000 invocations (in process) and per 10,000 host requests",
        baseline="none",
        chart_overhead=False,
        description=(
            f"From the first checkpoint after the warm-up to the last (RSS, blocks and "
            f"objects: to the last before tracemalloc starts, whose own tables add to the "
            f"RSS; tracemalloc: over its window, after its first step). In process: "
            f"{soak.invocations:,} invocations in {soak.seconds:.0f} s (warm-up included), "
            f"{soak.raised:,} raised, answers {statuses}; spans exported: OpenTelemetry "
            f"{soak.otel_spans:,}, OpenCensus {soak.opencensus_spans:,}; log lines: {logs}; "
            f"final failures reported {soak.final_failures:,}; hook errors {soak.hook_errors}. "
            "The thresholds are explained in the module docstring: a leak of one object per "
            "invocation would exceed each of them ten times over."
        ),
    )
    table.rows += _in_process_growth(soak)
    growth = _per_10k(host.checkpoints[0], host.checkpoints[-1])
    answers = "; ".join(
        f"{label}: " + ", ".join(f"{s} x{n:,}" for s, n in statuses_of.items())
        for label, statuses_of in host.statuses.items()
    )
    table.rows.append(
        Row(
            "host: RSS (KiB)",
            [growth],
            unit="per 10k",
            note=_verdict(growth, RSS_LIMIT_KIB, "KiB") + f" ({answers}; {host.seconds:.0f} s)",
        )
    )
    return table


def run(quick: bool = False) -> List[Table]:
    if quick:
        invocations, every, warm_up, traced = 20_000, 4_000, 2_000, 4_000
        requests, request_every, request_warm_up = 4_000, 1_000, 1_000
    else:
        invocations, every, warm_up, traced = 100_000, 10_000, 5_000, 12_000
        requests, request_every, request_warm_up = 20_000, 2_000, 2_000
    soak = soak_in_process(invocations, every, warm_up, traced)
    host = soak_host(requests, request_every, request_warm_up)
    summary = _summary(soak, host)
    if quick:
        summary.description += (
            " Quick run: its spans are too short for these thresholds (warm-up effects weigh "
            "more); judge flatness on the full run."
        )
    return [_checkpoint_table(soak, warm_up), _host_table(host, request_warm_up), summary]
