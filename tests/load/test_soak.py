"""100,000 invocations with all four extensions, 20% raising: memory stays flat.

After a warm-up (first-use caches, interned strings, the exporter's worker thread), the
run is measured three ways, each after a full collection: Python objects tracked by the
collector, memory blocks held by Python's allocator, and, over a traced window at the end
of the run, the bytes ``tracemalloc`` sees retained with where they were allocated.
Tracing every allocation of all 100,000 invocations would take minutes, so the window is
the last 4,000 (after 3,000 traced to let bounded caches settle); the whole-run counts
cover the rest. A leak of one small object per
invocation would show as 100,000 objects and blocks; the bounds allow one per hundred.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
import weakref
from typing import Any, List

import pytest
from opencensus.trace import execution_context
from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.testing import make_context, make_http_request
from python_worker_extension_opencensus import NoopExporter

from .conftest import ALL_FOUR, four_extensions, marked_function

INVOCATIONS = 100_000
TRACED_WINDOW = 4_000
SETTLE = 3_000
WARM_UP = 3_000
OBJECT_GROWTH_LIMIT = INVOCATIONS // 100
TRACED_BYTES_LIMIT = 16 * 1024  # a few bytes per traced invocation, for caches settling


# Requests are immutable and the extensions keep nothing on them, so a small set is reused
# (the test measures the extensions, not building requests); contexts are new each time.
REQUESTS = [
    make_http_request(
        "GET", f"http://127.0.0.1/api/soak?marker={n}" + ("&fail=1" if n % 5 == 0 else "")
    )
    for n in range(15)
]


def _run(dispatcher: Dispatcher, start: int, count: int, probes: List[Any]) -> int:
    failures = 0
    for number in range(start, start + count):
        request = REQUESTS[number % 15]  # every fifth raises: 20%
        context = make_context("soak", retry_count=number % 3, max_retry_count=2)
        try:
            dispatcher.invoke(marked_function, {"req": request, "context": context}, context)
        except ValueError:
            failures += 1
        if number % 10_000 == 0:
            probes.append(weakref.ref(context))
    return failures


def _settled() -> tuple:
    gc.collect()
    return len(gc.get_objects()), sys.getallocatedblocks()


@pytest.mark.slow
def test_memory_stays_flat_over_100k_invocations() -> None:
    dispatcher = Dispatcher(error_phase=True, python_version=(3, 12))
    probes: List[Any] = []
    untraced = INVOCATIONS - TRACED_WINDOW - SETTLE
    with four_extensions(NoopExporter(), keep_records=False) as installed:
        _run(dispatcher, 0, WARM_UP, [])
        objects_before, blocks_before = _settled()
        failures = _run(dispatcher, WARM_UP, untraced, probes)
        objects_after, blocks_after = _settled()
        tracemalloc.start()
        try:
            # Bounded caches (urllib's, traceback's) keep rotating entries; let their
            # current ones be traced too, so that churn does not look like growth.
            failures += _run(dispatcher, WARM_UP + untraced, SETTLE, probes)
            gc.collect()
            window_start = tracemalloc.take_snapshot()
            failures += _run(dispatcher, WARM_UP + untraced + SETTLE, TRACED_WINDOW, probes)
            gc.collect()
            window_end = tracemalloc.take_snapshot()
        finally:
            tracemalloc.stop()
        logs = installed.logs
        final_failures = installed.final_failures
        leftover_span = execution_context.get_current_span()
        state = {cls.__name__: dict(vars(cls)) for cls in ALL_FOUR}

    growth = window_end.compare_to(window_start, "lineno")
    traced = sum(stat.size_diff for stat in growth)
    top = "\n".join(str(stat) for stat in growth[:8])
    assert traced < TRACED_BYTES_LIMIT, f"{traced} bytes retained by the window:\n{top}"
    # Whole-run counts are taken before tracing starts (snapshots are objects too).
    assert objects_after - objects_before < OBJECT_GROWTH_LIMIT, (objects_before, objects_after)
    assert blocks_after - blocks_before < OBJECT_GROWTH_LIMIT, (blocks_before, blocks_after)

    assert failures == INVOCATIONS // 5
    # Every invocation was seen by every extension: one record each, failures included.
    total = WARM_UP + INVOCATIONS
    assert logs.count("python_worker_extension_request_logging") == total
    assert logs.count("python_worker_extension_timer") == total
    assert logs.count("azure_functions_worker") == 0  # no hook failed
    # Final attempts (retry count 2 of 2) that failed: every 15th invocation.
    assert final_failures == sum(1 for n in range(total) if n % 5 == 0 and n % 3 == 2)
    # No per-invocation state anywhere: contexts are collectable, no span is left current,
    # and no extension class grew a per-invocation collection.
    gc.collect()
    assert probes and all(probe() is None for probe in probes)
    assert leftover_span is None
    for name, attributes in state.items():
        sized = {k: len(v) for k, v in attributes.items() if isinstance(v, (dict, list, set))}
        assert all(size < 64 for size in sized.values()), (name, sized)
