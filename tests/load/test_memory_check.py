"""The memory benchmark's in-process check (bench/bench_memory.py) sees a leak as a count.

The benchmark runs 100,000 invocations; here a few hundred suffice to show that its
checkpoints count what outlives an invocation. An extension that keeps per-invocation state
in a class-level dict and removes it in its post hook (which the worker never calls when
the function raises) leaks one context per raising invocation: the check must report it,
while the five real extensions alone leave nothing behind, raises included.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict

import azure.functions as func
import pytest

from bench import bench_memory
from bench.bench_memory import CYCLE, Soak, _in_process_growth, fail, fail_async, soak_in_process

WARM_UP = 100
INVOCATIONS = 600
EVERY = 200
TRACED = 200


class KeepsContextsUntilPost(func.AppExtensionBase):
    """Per-invocation state the wrong way: in a dict that only the post hook empties."""

    started: ClassVar[Dict[str, Any]] = {}

    @classmethod
    def pre_invocation_app_level(cls, logger: Any, context: Any, *args: Any) -> None:
        cls.started[context.invocation_id] = context

    @classmethod
    def post_invocation_app_level(cls, logger: Any, context: Any, *args: Any) -> None:
        cls.started.pop(context.invocation_id, None)


def _raising(start: int, end: int) -> int:
    return sum(1 for n in range(start, end) if CYCLE[n % len(CYCLE)] in (fail, fail_async))


def _notes(soak: Soak) -> str:
    return " ".join(row.note for row in _in_process_growth(soak))


@pytest.fixture(autouse=True)
def _probe_every_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """Weak references to every context, not every 97th: the run here is short."""
    monkeypatch.setattr(bench_memory, "PROBE_EVERY", 1)


def test_the_five_extensions_leave_no_invocation_behind() -> None:
    soak = soak_in_process(INVOCATIONS, EVERY, WARM_UP, TRACED)

    assert soak.invocations == WARM_UP + INVOCATIONS
    assert soak.raised == _raising(0, soak.invocations) > 0
    # Other tests in the same process may hold objects of these kinds: count growth only.
    first = soak.checkpoints[0]
    for point in soak.checkpoints:
        for kind in ("contexts", "OpenTelemetry spans", "OpenCensus spans"):
            assert point.alive[kind] <= first.alive[kind], (kind, point)
        assert point.probes_alive == 0, point
    assert soak.checkpoints[-1].traced_kib is not None
    assert "(flat)" in _notes(soak)


def test_a_context_kept_in_a_dict_until_the_post_hook_shows_as_a_count() -> None:
    KeepsContextsUntilPost.started.clear()
    try:
        soak = soak_in_process(INVOCATIONS, EVERY, WARM_UP, TRACED, extra=[KeepsContextsUntilPost])
        kept = len(KeepsContextsUntilPost.started)
    finally:
        KeepsContextsUntilPost.started.clear()

    assert kept == _raising(0, soak.invocations) > 0  # one per invocation that raised
    first, last = soak.checkpoints[0], soak.checkpoints[-1]
    growth = last.alive["contexts"] - first.alive["contexts"]
    assert growth == _raising(first.done, last.done) > 0
    assert last.probes_alive == kept  # the probes see the same contexts
    assert "GROWING" in _notes(soak)
