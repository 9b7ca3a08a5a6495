"""64 threads invoking at once through the dispatcher, all four extensions installed:
every timer value, log record, span and retry fact belongs to its own invocation.

Each invocation carries a unique marker (in its query string, its invocation id and its
user span) and its own retry count; functions sleep a marker-dependent moment so that
invocations interleave on the GIL, and move the timer's clock (a per-thread stand-in) by that
moment, so each invocation's reported time is known exactly. Every output is then traced back
to its invocation.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import azure.functions as func
import pytest
from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.testing import make_context, make_http_request
from python_worker_extension_framework.toolkit.facts import retry_facts
from python_worker_extension_opencensus import CapturingExporter
from python_worker_extension_opencensus.attributes import (
    FAAS_INVOCATION_ID,
    FAAS_RETRY_ATTEMPT,
    HTTP_URL,
)
from python_worker_extension_timer import extension as timer_module

from ..clocks import PerfClock
from .conftest import four_extensions

THREADS = 64
PER_THREAD = 25
SUFFIX = re.compile(r"^marker=(?P<marker>[\w-]+) \(TimeElapsed: (?P<seconds>[0-9.e-]+) sec\)$")


TIMER_CLOCK = PerfClock()


def sleepy_function(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    marker = req.params["marker"]
    nap = float(req.params["nap"])
    with context.tracer.span("work") as span:  # type: ignore[attr-defined]
        span.add_attribute("marker", marker)
        time.sleep(nap)
        TIMER_CLOCK.advance(nap)
        if req.params.get("fail") == "1":
            raise ValueError(f"failure {marker}")
    return func.HttpResponse(f"marker={marker}")


@dataclass
class Call:
    marker: str
    invocation_id: str
    retry_count: int
    nap: float
    fail: bool
    response: Optional[func.HttpResponse] = None
    raised: Optional[BaseException] = None
    attempt_fact: Optional[int] = None


def _plan() -> List[List[Call]]:
    return [
        [
            Call(
                marker=f"t{t}-i{i}",
                invocation_id=str(uuid.uuid4()),
                retry_count=(t + i) % 3,
                nap=((t * 7 + i) % 4) * 0.0005,
                fail=(t + i) % 6 == 0,
            )
            for i in range(PER_THREAD)
        ]
        for t in range(THREADS)
    ]


def _worker(calls: List[Call], dispatcher: Dispatcher, start: threading.Barrier) -> None:
    start.wait()
    for call in calls:
        query = f"marker={call.marker}&nap={call.nap}" + ("&fail=1" if call.fail else "")
        request = make_http_request("GET", f"http://127.0.0.1/api/concurrent?{query}")
        context = make_context(
            "concurrent",
            invocation_id=call.invocation_id,
            retry_count=call.retry_count,
            max_retry_count=2,
        )
        try:
            call.response = dispatcher.invoke(
                sleepy_function, {"req": request, "context": context}, context
            )
        except ValueError as exc:
            call.raised = exc
        call.attempt_fact = getattr(retry_facts(context), "attempt", None)


def test_every_output_belongs_to_its_own_invocation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timer_module, "time", TIMER_CLOCK.as_time_module())
    plan = _plan()
    calls = {call.invocation_id: call for thread in plan for call in thread}
    exporter = CapturingExporter()
    dispatcher = Dispatcher(error_phase=True, python_version=(3, 12))
    start = threading.Barrier(THREADS)
    with four_extensions(exporter, keep_records=True) as installed:
        threads = [
            threading.Thread(target=_worker, args=(calls_of_thread, dispatcher, start))
            for calls_of_thread in plan
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        records = installed.logs.request_logs()
        timer_lines = installed.logs.count("python_worker_extension_timer")
        final_failures = installed.final_failures
        hook_errors = installed.logs.count("azure_functions_worker")
    total = THREADS * PER_THREAD
    assert len(calls) == total

    # Results and the timer: one suffix each, with the call's own marker and exactly the
    # call's own time, and the header agrees with the body.
    for call in calls.values():
        assert call.attempt_fact == call.retry_count + 1, call
        if call.fail:
            assert call.response is None and str(call.raised) == f"failure {call.marker}"
            continue
        assert call.response is not None, call
        body = call.response.get_body().decode()
        match = SUFFIX.match(body)
        assert match and match["marker"] == call.marker, body
        assert float(match["seconds"]) == pytest.approx(call.nap)
        assert call.response.headers["X-Time-Elapsed"] == match["seconds"]
    assert timer_lines == total
    assert hook_errors == 0

    # Request logs: exactly one per invocation, carrying that invocation's marker and attempt.
    by_id: Dict[str, Dict[str, Any]] = {}
    for record in records:
        assert record["invocation_id"] not in by_id
        by_id[record["invocation_id"]] = record
    assert set(by_id) == set(calls)
    for invocation_id, record in by_id.items():
        call = calls[invocation_id]
        assert f"marker={call.marker}&" in (record["query"] or ""), record
        assert record["attempt"] == call.retry_count + 1
        assert record["status_code"] == (500 if call.fail else 200)

    # Spans: one invocation span per call with its id and attempt, and one user span,
    # its child, in the same trace, holding the same marker.
    spans = exporter.spans
    roots = {s.attributes[FAAS_INVOCATION_ID]: s for s in spans if s.name == "concurrent"}
    children = {s.parent_span_id: s for s in spans if s.name == "work"}
    assert set(roots) == set(calls)
    assert len(children) == total
    for invocation_id, root in roots.items():
        call = calls[invocation_id]
        assert f"marker={call.marker}&" in root.attributes[HTTP_URL]
        assert root.attributes[FAAS_RETRY_ATTEMPT] == call.retry_count + 1
        child = children[root.span_id]
        assert child.attributes["marker"] == call.marker
        assert child.context.trace_id == root.context.trace_id

    # Retry facts: the final-failure callback ran once per failing final attempt.
    assert final_failures == sum(1 for c in calls.values() if c.fail and c.retry_count == 2)
