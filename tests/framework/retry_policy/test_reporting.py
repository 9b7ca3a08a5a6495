"""The console lines of a run under a retry policy."""

from __future__ import annotations

from typing import List

from python_worker_extension_framework import RetryContext, RpcException
from python_worker_extension_framework.retry_policy import (
    Attempt,
    RetryPolicy,
    describe_attempt,
    describe_local_cap,
    describe_outcome,
)
from python_worker_extension_framework.testing import run_under_policy

# -- delays ------------------------------------------------------------------------------------


def always_fails() -> None:
    raise ValueError("boom")


def test_console_lines_of_a_run_that_recovers() -> None:
    calls: List[int] = []

    def ProcessOrder() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ValueError("boom")
        return "ok"

    run = run_under_policy(ProcessOrder, RetryPolicy.fixed(4, 0.5))
    assert run.console == [
        "Waiting 00:00:00.5 before retrying 'ProcessOrder': retry 1 of 4 (fixedDelay)",
        "Waiting 00:00:00.5 before retrying 'ProcessOrder': retry 2 of 4 (fixedDelay)",
        "'ProcessOrder' succeeded on attempt 3 after 2 retries",
    ]


def test_describe_helpers_return_none_when_there_is_nothing_to_say() -> None:
    assert describe_local_cap(None) is None
    assert describe_local_cap(RetryPolicy.fixed(3, 1)) is None
    attempt = Attempt(1, RetryContext(0, 3, RpcException()))
    assert describe_attempt("f", attempt, RetryPolicy.fixed(3, 1)) is None


def test_describe_outcome_of_exhausted_retries() -> None:
    run = run_under_policy(always_fails, RetryPolicy.fixed(2, 1))
    assert describe_outcome("always_fails", run) == (
        "Retries exhausted for 'always_fails': function execution failed after 2 retries; "
        "last failure: ValueError: boom"
    )
