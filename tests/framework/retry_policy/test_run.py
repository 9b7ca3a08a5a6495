"""The retry loop, run as the host runs it (delays asserted with a fake clock, never by waiting)."""

from __future__ import annotations

import asyncio
from typing import List

import azure.functions as func
import pytest
from python_worker_extension_framework import RetryContext, RpcException
from python_worker_extension_framework.retry_policy import (
    Attempt,
    RetryPolicy,
    run_with_policy,
)
from python_worker_extension_framework.testing import FakeClock, run_under_policy

# -- delays ------------------------------------------------------------------------------------


def always_fails() -> None:
    raise ValueError("boom")


# -- the run -----------------------------------------------------------------------------------


def test_retry_contexts_are_filled_as_the_host_fills_them() -> None:
    contexts: List[RetryContext] = []
    sleeps: List[float] = []

    async def invoke_once(retry_context: RetryContext) -> str:
        contexts.append(retry_context)
        if retry_context.retry_count < 2:
            raise KeyError(f"missing {retry_context.retry_count}")
        return "ok"

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    outcome = asyncio.run(run_with_policy(invoke_once, RetryPolicy.fixed(3, 2), sleep=sleep))
    assert outcome.succeeded and outcome.result == "ok"
    assert [(c.retry_count, c.max_retry_count) for c in contexts] == [(0, 3), (1, 3), (2, 3)]
    first = contexts[0].rpc_exception
    assert isinstance(first, RpcException)
    assert (first.message, first.stack_trace, first.type) == ("", "", "")
    second = contexts[2].rpc_exception
    assert second is not None
    assert (second.type, second.message) == ("KeyError", "'missing 1'")
    assert "KeyError" in second.stack_trace
    assert contexts[2].exception is second  # the SDK's name for the same field
    assert sleeps == [2.0, 2.0]
    assert outcome.delays == [2.0, 2.0]


def test_no_policy_runs_once() -> None:
    run = run_under_policy(always_fails, None)
    assert len(run.attempts) == 1
    assert not run.exhausted
    assert run.delays == []
    assert run.console == []
    assert run.attempts[0].context.retry_context.max_retry_count == 0


def test_max_retry_count_zero_runs_once_and_is_exhausted() -> None:
    run = run_under_policy(always_fails, RetryPolicy.fixed(0, 1))
    assert len(run.attempts) == 1
    assert run.exhausted
    assert isinstance(run.exception, ValueError)
    with pytest.raises(ValueError, match="boom"):
        run.raise_for_exception()


def test_unlimited_policy_stops_at_the_local_cap_and_says_so() -> None:
    run = run_under_policy(always_fails, RetryPolicy.fixed(-1, 1))
    assert run.retry_counts == [0, 1, 2, 3, 4, 5]
    assert run.stopped_by_local_cap
    assert all(a.context.retry_context.max_retry_count == -1 for a in run.attempts)
    assert run.console[0] == (
        "maxRetryCount is -1 (Azure retries forever); the local host stops after 5 retries"
    )
    assert run.console[-1] == (
        "Retries stopped for 'always_fails' at the local cap of 5 retries (maxRetryCount -1); "
        "last failure: ValueError: boom"
    )


def test_local_cap_is_configurable() -> None:
    run = run_under_policy(always_fails, RetryPolicy.exponential(-1, 1, 2), local_cap=2)
    assert run.retry_counts == [0, 1, 2]
    assert run.delays == [1.0, 2.0]


def test_negative_local_cap_is_refused() -> None:
    with pytest.raises(ValueError, match="local_cap must be 0 or more"):
        run_under_policy(always_fails, RetryPolicy.fixed(-1, 1), local_cap=-1)


def test_on_attempt_sees_the_next_delay() -> None:
    attempts: List[Attempt] = []

    async def invoke_once(retry_context: RetryContext) -> None:
        raise OSError("down")

    async def main() -> None:
        clock = FakeClock()
        await run_with_policy(
            invoke_once,
            RetryPolicy.exponential(2, 3, 100),
            sleep=clock.sleep,
            on_attempt=attempts.append,
        )

    asyncio.run(main())
    assert [(a.number, a.waited, a.next_delay) for a in attempts] == [
        (1, 0.0, 3.0),
        (2, 3.0, 6.0),
        (3, 6.0, None),
    ]


def test_async_functions_run_under_a_policy() -> None:
    calls: List[int] = []

    async def ProcessOrder(item: str) -> str:
        calls.append(1)
        if len(calls) == 1:
            raise ValueError(item)
        return item.upper()

    run = run_under_policy(ProcessOrder, RetryPolicy.fixed(1, 3), item="sku")
    assert run.succeeded and run.result == "SKU"
    assert run.delays == [3.0]


def test_each_attempt_gets_a_new_invocation() -> None:
    def ProcessOrder(context: func.Context) -> None:
        raise ValueError("boom")

    run = run_under_policy(ProcessOrder, RetryPolicy.fixed(2, 1))
    ids = {a.context.invocation_id for a in run.attempts}
    assert len(ids) == 3
    assert all(a.context.function_name == "ProcessOrder" for a in run.attempts)


def test_a_plain_function_needs_an_explicit_policy() -> None:
    with pytest.raises(TypeError, match="pass a RetryPolicy"):
        run_under_policy(always_fails)
