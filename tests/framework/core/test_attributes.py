"""Per-invocation state lives on the invocation's context and is gone when the invocation ends."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, List

import pytest
from python_worker_extension_framework import (
    Dispatcher,
    Invocation,
    WorkerExtension,
)
from python_worker_extension_framework.core._attributes import STATE as STATE_PREFIX
from python_worker_extension_framework.testing import invoke, make_context
from python_worker_extension_framework.toolkit import invocation_state as state

from ..recorders import make_recorder


def test_state_lives_on_the_context_and_is_gone_after_post_and_error(
    extensions_enabled: None,
) -> None:
    make_recorder([])
    worker = Dispatcher(error_phase=True, python_version=(3, 12))
    ok = invoke(lambda: "fine", capture_exception=True, dispatcher=worker)
    failed = invoke(lambda: 1 / 0, capture_exception=True, dispatcher=worker)
    assert isinstance(failed.exception, ZeroDivisionError)
    assert state.owners(ok.context) == {} and state.owners(failed.context) == {}
    assert not [name for name in vars(ok.context) if name.startswith(STATE_PREFIX)]


def test_state_without_error_phase_stays_only_on_the_dead_context(extensions_enabled: None) -> None:
    recorder = make_recorder([])
    context = make_context("f")
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        Dispatcher(python_version=(3, 12)).invoke(lambda: 1 / 0, {}, context)
    assert list(state.owners(context)) == [recorder._state_key]
    assert not any(
        isinstance(v, dict) and v for k, v in vars(recorder).items() if not k.startswith("__")
    )


def test_32_concurrent_invocations_each_see_their_own_state(extensions_enabled: None) -> None:
    calls: List[Any] = []
    lock = threading.Lock()

    class Pairing(WorkerExtension):
        @classmethod
        def _on_pre_invocation(cls, invocation: Invocation) -> None:
            invocation.data["id"] = invocation.invocation_id

        @classmethod
        def _on_post_invocation(cls, invocation: Invocation, result: Any) -> None:
            with lock:
                calls.append((invocation.data["id"], result))

    barrier = threading.Barrier(32)

    def main(context: Any) -> str:
        barrier.wait(timeout=10)
        return str(context.invocation_id)

    dispatcher = Dispatcher(python_version=(3, 12))

    def one(i: int) -> None:
        context = make_context("f", invocation_id=f"inv-{i}")
        dispatcher.invoke(main, {"context": context}, context)

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(one, range(32)))
    assert len(calls) == 32
    assert all(seen == returned for seen, returned in calls)
