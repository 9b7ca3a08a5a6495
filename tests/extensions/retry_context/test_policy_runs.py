"""A v2 app's ``@app.retry`` policy, run by the test harness with a fake clock: each attempt
sees the retry state the host would give it, and the extension logs and reports it."""

from __future__ import annotations

from typing import Any, List

import azure.functions as func
from azure.functions.timer import TimerRequest
from python_worker_extension_framework.testing import run_under_policy
from python_worker_extension_retry_context import LOGGER_NAME, RetryContextExtension, RetryInfo

from .conftest import Calls


def make_app(failures: int, seen: List[RetryInfo]) -> Any:
    app = func.FunctionApp()

    @app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer")
    @app.retry(
        strategy="exponential_backoff",
        max_retry_count="4",
        minimum_interval="00:00:02",
        maximum_interval="00:00:10",
    )
    def ProcessOrder(timer: func.TimerRequest, context: func.Context) -> None:
        info = RetryContextExtension.current(context)
        seen.append(info)
        if info.attempt <= failures:
            raise ConnectionError(f"broker unavailable (attempt {info.attempt})")

    return app, ProcessOrder


def test_function_sees_each_attempt_and_succeeds_on_the_third() -> None:
    seen: List[RetryInfo] = []
    app, _ = make_app(2, seen)
    (function,) = app.get_functions()
    run = run_under_policy(function, timer=TimerRequest(past_due=False))
    assert run.succeeded
    assert run.delays == [2.0, 4.0]
    assert [(i.attempt, i.retry_count, i.max_retry_count) for i in seen] == [
        (1, 0, 4),
        (2, 1, 4),
        (3, 2, 4),
    ]
    assert [i.remaining_attempts for i in seen] == [4, 3, 2]
    assert seen[2].previous_failure is not None
    assert seen[2].previous_failure.summary() == ("ConnectionError: broker unavailable (attempt 2)")
    assert run.messages(LOGGER_NAME) == [
        "Retry 1 of 4 for 'ProcessOrder' after ConnectionError: broker unavailable (attempt 1)",
        "Retry 2 of 4 for 'ProcessOrder' after ConnectionError: broker unavailable (attempt 2)",
    ]
    assert run.console[-1] == "'ProcessOrder' succeeded on attempt 3 after 2 retries"


def test_always_failing_function_exhausts_the_policy_and_reports_once() -> None:
    final = Calls()
    RetryContextExtension.configure(on_final_failure=final)
    seen: List[RetryInfo] = []
    _, builder = make_app(99, seen)
    run = run_under_policy(builder, timer=TimerRequest(past_due=False))
    assert run.exhausted
    assert run.delays == [2.0, 4.0, 6.0, 10.0]
    assert [i.is_final_attempt for i in seen] == [False, False, False, False, True]
    assert len(final.calls) == 1 and final.calls[0][0].attempt == 5
    assert run.console[-1].startswith("Retries exhausted for 'ProcessOrder'")
    assert run.console[-1].endswith(
        "after 4 retries; last failure: ConnectionError: broker unavailable (attempt 5)"
    )
