"""The dashboard's ring, figures and page queues: bounded whatever the traffic."""

from __future__ import annotations

import asyncio

import pytest
from python_worker_extension_framework.host.dashboard.records import (
    FAILED,
    SUCCEEDED,
    InvocationRecord,
)
from python_worker_extension_framework.host.dashboard.store import (
    MAX_PENDING,
    RECENT_DURATIONS,
    InvocationStore,
)


def _record(
    n: int, function: str = "hello", outcome: str = SUCCEEDED, ms: float = 1.0
) -> InvocationRecord:
    record = InvocationRecord(
        id=f"id-{n}", function=function, trigger="httpTrigger", started_at=n, trace_id=f"{n:032x}"
    )
    record.outcome = outcome
    record.seconds = ms / 1000.0
    return record


def test_the_ring_keeps_the_newest_and_forgets_the_rest_everywhere() -> None:
    store = InvocationStore(capacity=3)
    for n in range(10):
        store.add(_record(n))
    assert [r.id for r in store.newest_first()] == ["id-9", "id-8", "id-7"]
    assert len(store) == 3
    assert store.get("id-6") is None and store.get("id-7") is not None
    assert store.by_trace(f"{6:032x}") is None and store.by_trace(f"{9:032x}").id == "id-9"
    assert store.function_stats("hello").count == 10  # counts cover the whole run


def test_counts_errors_and_percentiles_per_function() -> None:
    store = InvocationStore()
    for ms in range(1, 101):
        store.add(_record(ms, ms=float(ms)))
    store.add(_record(500, function="fail", outcome=FAILED, ms=3.0))
    hello, fail = store.function_stats("hello"), store.function_stats("fail")
    assert (hello.count, hello.errors, fail.count, fail.errors) == (100, 0, 1, 1)
    assert hello.percentile(0.50) == pytest.approx(50.0)
    assert hello.percentile(0.95) == pytest.approx(95.0)
    assert [s.name for s in store.stats()] == ["fail", "hello"]


def test_durations_are_kept_for_recent_calls_only() -> None:
    store = InvocationStore()
    for n in range(RECENT_DURATIONS + 50):
        store.add(_record(n, ms=1000.0 if n < 50 else 1.0))
    stats = store.function_stats("hello")
    assert len(stats.recent_ms) == RECENT_DURATIONS
    assert stats.percentile(0.95) == pytest.approx(1.0)  # the slow early calls are gone


def test_attempts_of_one_run_in_attempt_order() -> None:
    store = InvocationStore()
    for count in (0, 1, 2):
        record = _record(count, function="flaky")
        record.run_id, record.retry_count = "id-0", count
        store.add(record)
    store.add(_record(7, function="flaky"))
    assert [r.retry_count for r in store.attempts("id-0")] == [0, 1, 2]


def test_a_page_that_falls_behind_is_told_to_start_over() -> None:
    async def scenario() -> None:
        store = InvocationStore(capacity=10)
        page = store.subscribe()
        for n in range(5):
            store.add(_record(n))
        assert [r.id for r in page.take()] == [f"id-{n}" for n in range(5)]
        for n in range(MAX_PENDING + 10):
            store.add(_record(n))
        assert page.overflowed and len(page.pending) <= MAX_PENDING
        store.unsubscribe(page)
        store.add(_record(99))
        assert store.subscribers == 0

    asyncio.run(scenario())


def test_a_ring_needs_room_for_one() -> None:
    with pytest.raises(ValueError, match="at least 1 invocation, got 0"):
        InvocationStore(capacity=0)
