"""Every invocation starts from a clean slate on its thread: nothing of an earlier
invocation's trace (tracer, current span, attributes) is visible to the next one on the
same pool thread, even when the earlier one raised under the real worker (no post hook)."""

from __future__ import annotations

import gc
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict

import azure.functions as func
import requests
from opencensus.trace import execution_context
from opencensus.trace.tracers.noop_tracer import NoopTracer
from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_opencensus import CapturingExporter, OpenCensusExtension

from .conftest import Recorder

# The worker these tests describe: on Python 3.13+ no worker runs extensions at all.
WORKER_WITH_EXTENSIONS = (3, 12)

TRACE_A = "0af7651916cd43dd8448eb211c80319c"
TRACE_B = "4bf92f3577b34da6a3ce929d0e0e4736"


def _thread_context() -> Dict[str, Any]:
    tracer, span, attrs = execution_context.get_opencensus_full_context()
    return {"tracer": tracer, "span": span, "attrs": dict(attrs)}


def test_no_trace_leaks_between_invocations_on_the_same_pool_thread(
    capture: CapturingExporter,
) -> None:
    seen: Dict[str, Any] = {}

    def first(req: func.HttpRequest, context: func.Context) -> None:
        context.tracer.start_span("left open")  # never ended
        execution_context.set_opencensus_attr("excludelist_hostnames", ["x"])
        raise RuntimeError("first fails")

    def second(req: func.HttpRequest, context: func.Context) -> str:
        seen["during"] = _thread_context()
        with context.tracer.span("child") as child:
            seen["child parent"] = child.parent_span.span_id
        return "ok"

    # the real worker: no post hook when the function raises
    worker = Dispatcher(python_version=WORKER_WITH_EXTENSIONS)
    context_a = make_context("First", trace_parent=f"00-{TRACE_A}-b7ad6b7169203331-01")
    context_b = make_context("Second", trace_parent=f"00-{TRACE_B}-00f067aa0ba902b7-01")
    with ThreadPoolExecutor(max_workers=1) as pool:
        a = pool.submit(
            invoke,
            first,
            capture_exception=True,
            context=context_a,
            dispatcher=worker,
            req=make_http_request(),
        ).result()
        assert isinstance(a.exception, RuntimeError)
        b = pool.submit(
            invoke, second, context=context_b, dispatcher=worker, req=make_http_request()
        ).result()
        b.raise_for_exception()
        after = pool.submit(_thread_context).result()

    root_b = capture.named("Second")
    during = seen["during"]
    assert during["tracer"].span_context.trace_id == TRACE_B
    assert during["span"].span_id == root_b.span_id
    assert during["attrs"] == {}
    assert seen["child parent"] == root_b.span_id
    assert {s.context.trace_id for s in capture.spans} == {TRACE_B}  # First is not ended yet
    assert isinstance(after["tracer"], NoopTracer)
    assert after["span"] is None and after["attrs"] == {}


def test_excluded_function_after_a_traced_one_sees_no_trace(
    extension: type[OpenCensusExtension], downstream: Recorder
) -> None:
    capture = CapturingExporter()
    extension.configure(exporter=capture, exclude=["Quiet"])
    seen: Dict[str, Any] = {}

    def traced(req: func.HttpRequest, context: func.Context) -> None:
        context.tracer.start_span("left open")
        raise RuntimeError("fails")

    def quiet(req: func.HttpRequest) -> str:
        seen["during"] = _thread_context()
        requests.get(downstream.url, timeout=5)
        return "ok"

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(
            invoke,
            traced,
            capture_exception=True,
            function_name="Traced",
            dispatcher=Dispatcher(python_version=WORKER_WITH_EXTENSIONS),
            req=make_http_request(),
        ).result()
        pool.submit(invoke, quiet, function_name="Quiet", req=make_http_request()).result()
    assert isinstance(seen["during"]["tracer"], NoopTracer)
    assert seen["during"]["span"] is None
    (received,) = downstream.requests
    assert "traceparent" not in received["headers"]


def test_concurrent_invocations_keep_their_own_traces(capture: CapturingExporter) -> None:
    def main(req: func.HttpRequest, context: func.Context) -> str:
        for index in range(20):
            with context.tracer.span(f"step {index}"):
                pass
        return "ok"

    contexts = [
        make_context("Main", trace_parent=f"00-{index + 1:032x}-{index + 1:016x}-01")
        for index in range(16)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        records = list(
            pool.map(lambda c: invoke(main, context=c, req=make_http_request()), contexts)
        )
    for record in records:
        record.raise_for_exception()
    roots = {s.context.trace_id: s for s in capture.spans if s.name == "Main"}
    assert len(roots) == 16
    for span in capture.spans:
        if span.name != "Main":
            assert span.parent_span_id == roots[span.context.trace_id].span_id


def test_failed_invocation_under_the_worker_is_ended_as_failed_when_released(
    capture: CapturingExporter,
) -> None:
    # The real worker runs no post hook for a function that raises: the span is ended
    # (as failed, without details) when the worker lets go of the invocation's context.
    def main(req: func.HttpRequest) -> str:
        raise ValueError("boom")

    context = make_context("Main")
    alive = weakref.ref(context)
    record = invoke(
        main,
        capture_exception=True,
        context=context,
        dispatcher=Dispatcher(python_version=WORKER_WITH_EXTENSIONS),
        req=make_http_request(),
    )
    assert isinstance(record.exception, ValueError)
    assert capture.spans == []
    del context, record
    gc.collect()
    assert alive() is None
    root = capture.named("Main")
    assert root.status.code != 0
    assert root.attributes["http.status_code"] == 500
    assert "no post hook" in root.status.message
