"""Context ownership under concurrency: 64 threads running invocations at once, each with its
own incoming trace; every span belongs to its own invocation, and nothing is left current
on any thread afterwards. Also the event loop, with concurrent async invocations."""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List

import azure.functions as func
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.testing import (
    invoke,
    invoke_async,
    make_context,
    make_http_request,
)
from python_worker_extension_opentelemetry import OpenTelemetryExtension

from .conftest import finished

THREADS = 64
PER_THREAD = 8
tracer = trace.get_tracer("tests.isolation")


def traced(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    # The span remembers which invocation opened it.
    opened_by = {"opened.by": context.invocation_id}
    with (
        tracer.start_as_current_span("work", attributes=opened_by),
        tracer.start_as_current_span("nested"),
    ):
        pass
    return func.HttpResponse("ok")


@pytest.mark.parametrize("error_phase", [True, False], ids=["framework", "worker-identical"])
def test_64_threads_each_invocation_owns_its_spans(
    extension: type[OpenTelemetryExtension], memory: InMemorySpanExporter, error_phase: bool
) -> None:
    dispatcher = Dispatcher(
        error_phase=error_phase, python_version=(3, 12)
    )  # a worker that runs extensions
    barrier = threading.Barrier(THREADS)
    leftovers: List[str] = []
    trace_of: Dict[str, str] = {}
    lock = threading.Lock()

    def worker(index: int) -> None:
        barrier.wait()
        for round_ in range(PER_THREAD):
            context = make_context("Traced")
            invoke(traced, context=context, req=make_http_request(), dispatcher=dispatcher)
            with lock:
                trace_of[context.invocation_id] = context.trace_context.trace_parent.split("-")[1]
            current = trace.get_current_span().get_span_context()
            if current.is_valid:
                leftovers.append(f"thread {index} round {round_}")

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(worker, range(THREADS)))
    assert leftovers == []
    spans = finished(extension, memory)
    assert len(spans) == THREADS * PER_THREAD * 3
    invocation_by_id = {
        span.attributes["faas.invocation_id"]: span
        for span in spans
        if span.kind is SpanKind.SERVER
    }
    by_span_id = {span.context.span_id: span for span in spans}
    assert set(invocation_by_id) == set(trace_of)
    children = defaultdict(int)
    for span in spans:
        if span.name != "work":
            continue
        owner = span.attributes["opened.by"]
        invocation = invocation_by_id[owner]
        assert span.parent.span_id == invocation.context.span_id
        assert f"{span.context.trace_id:032x}" == trace_of[owner]
        nested = [
            s for s in spans if s.parent is not None and s.parent.span_id == span.context.span_id
        ]
        assert len(nested) == 1
        children[owner] += 1
    assert set(children.values()) == {1}
    assert len(by_span_id) == len(spans)


async def slow_traced(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    with tracer.start_as_current_span("work", attributes={"opened.by": context.invocation_id}):
        await asyncio.sleep(0.01)  # other invocations run on the loop meanwhile
    return func.HttpResponse("ok")


def test_concurrent_async_invocations_on_one_loop(
    extension: type[OpenTelemetryExtension], memory: InMemorySpanExporter
) -> None:
    async def main() -> List[str]:
        contexts = [make_context("Traced") for _ in range(50)]
        await asyncio.gather(
            *(invoke_async(slow_traced, context=c, req=make_http_request()) for c in contexts)
        )
        assert not trace.get_current_span().get_span_context().is_valid
        return [c.invocation_id for c in contexts]

    ids = asyncio.run(main())
    spans = finished(extension, memory)
    invocation_by_id = {
        s.attributes["faas.invocation_id"]: s for s in spans if s.kind is SpanKind.SERVER
    }
    assert set(invocation_by_id) == set(ids)
    for span in spans:
        if span.name == "work":
            owner = invocation_by_id[span.attributes["opened.by"]]
            assert span.parent.span_id == owner.context.span_id


def test_nothing_current_after_a_raising_invocation(
    extension: type[OpenTelemetryExtension], memory: InMemorySpanExporter
) -> None:
    def boom(req: func.HttpRequest) -> None:
        with tracer.start_as_current_span("before failing"):
            raise ValueError("no")

    record = invoke(
        boom, context=make_context("Boom"), req=make_http_request(), capture_exception=True
    )
    assert isinstance(record.exception, ValueError)
    assert not trace.get_current_span().get_span_context().is_valid
