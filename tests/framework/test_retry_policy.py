"""Retry policies: read from v1 ``function.json`` and v2 ``@app.retry``, and run as the host
runs them (delays asserted with a fake clock, never by waiting)."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

import azure.functions as func
import pytest
from python_worker_extension_framework import RetryContext, RpcException
from python_worker_extension_framework.retry_policy import (
    EXPONENTIAL_BACKOFF,
    FIXED_DELAY,
    Attempt,
    RetryPolicy,
    RetryPolicyError,
    describe_attempt,
    describe_local_cap,
    describe_outcome,
    format_timespan,
    is_retried_trigger,
    parse_timespan,
    parse_v2_interval,
    policy_for_function,
    policy_from_function_json,
    policy_from_v1_retry,
    run_with_policy,
)
from python_worker_extension_framework.testing import FakeClock, run_under_policy

# -- delays ------------------------------------------------------------------------------------


def always_fails() -> None:
    raise ValueError("boom")


def test_fixed_delay_waits_the_same_before_every_retry() -> None:
    run = run_under_policy(always_fails, RetryPolicy.fixed(3, 5))
    assert run.delays == [5.0, 5.0, 5.0]
    assert run.retry_counts == [0, 1, 2, 3]
    assert run.clock.time() == 15.0


def test_exponential_backoff_doubles_its_increment_up_to_the_maximum() -> None:
    run = run_under_policy(always_fails, RetryPolicy.exponential(6, 1, 10))
    assert run.delays == [1.0, 2.0, 3.0, 5.0, 9.0, 10.0]
    assert RetryPolicy.exponential(8, 1, 10).delays(8) == [1, 2, 3, 5, 9, 10, 10, 10]


def test_exponential_backoff_with_equal_bounds_is_fixed() -> None:
    assert RetryPolicy.exponential(3, 4, 4).delays(3) == [4.0, 4.0, 4.0]


def test_very_late_retries_stay_at_the_maximum() -> None:
    assert RetryPolicy.exponential(-1, 1, 30).delay_before(500) == 30.0


def test_delay_before_retry_zero_is_an_error() -> None:
    with pytest.raises(ValueError, match="retry numbers start at 1"):
        RetryPolicy.fixed(1, 1).delay_before(0)


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


def test_describe_helpers_return_none_when_there_is_nothing_to_say() -> None:
    assert describe_local_cap(None) is None
    assert describe_local_cap(RetryPolicy.fixed(3, 1)) is None
    attempt = Attempt(1, RetryContext(0, 3, RpcException()))
    assert describe_attempt("f", attempt, RetryPolicy.fixed(3, 1)) is None


def test_describe_outcome_of_exhausted_retries() -> None:
    run = run_under_policy(always_fails, RetryPolicy.fixed(2, 1))
    assert describe_outcome("always_fails", run.outcome) == (
        "Retries exhausted for 'always_fails': function execution failed after 2 retries; "
        "last failure: ValueError: boom"
    )


# -- v1: function.json -------------------------------------------------------------------------


def test_v1_fixed_delay() -> None:
    function_json = {
        "bindings": [{"type": "timerTrigger", "name": "timer", "direction": "in"}],
        "retry": {"strategy": "fixedDelay", "maxRetryCount": 4, "delayInterval": "00:00:10"},
    }
    policy = policy_from_function_json(function_json, "Nightly")
    assert policy == RetryPolicy(FIXED_DELAY, 4, delay_interval=10.0)
    assert policy is not None and policy.describe() == "fixedDelay, 4 retries, 00:00:10 apart"


def test_v1_exponential_backoff_with_any_key_case() -> None:
    retry = {
        "Strategy": "ExponentialBackoff",
        "MAXRETRYCOUNT": -1,
        "minimumInterval": "00:00:04",
        "maximumInterval": "00:15:00",
    }
    policy = policy_from_v1_retry(retry, "Drain")
    assert policy == RetryPolicy(EXPONENTIAL_BACKOFF, -1, 0, 4.0, 900.0)
    assert policy.unlimited
    assert policy.describe() == "exponentialBackoff, retries forever, from 00:00:04 up to 00:15:00"


def test_v1_without_retry_has_no_policy() -> None:
    assert policy_from_function_json({"bindings": []}) is None


@pytest.mark.parametrize(
    ("retry", "match"),
    [
        (
            {"strategy": "fixed_delay", "maxRetryCount": 1, "delayInterval": "00:00:01"},
            r"^Nightly: retry\.strategy must be 'fixedDelay' or 'exponentialBackoff', "
            r"got 'fixed_delay'$",
        ),
        (
            {"strategy": "fixedDelay", "delayInterval": "00:00:01"},
            r"^Nightly: retry\.maxRetryCount is required",
        ),
        (
            {"strategy": "fixedDelay", "maxRetryCount": -2, "delayInterval": "00:00:01"},
            r"^Nightly: retry\.maxRetryCount must be -1 \(retry forever\) or 0 or more, got -2$",
        ),
        (
            {"strategy": "fixedDelay", "maxRetryCount": 2.5, "delayInterval": "00:00:01"},
            r"^Nightly: retry\.maxRetryCount must be a whole number, got 2\.5$",
        ),
        (
            {"strategy": "fixedDelay", "maxRetryCount": 1},
            r"^Nightly: retry\.delayInterval is required for fixedDelay$",
        ),
        (
            {"strategy": "fixedDelay", "maxRetryCount": 1, "delayInterval": "10s"},
            r"^Nightly: retry\.delayInterval '10s' is not a TimeSpan; write hh:mm:ss",
        ),
        (
            {"strategy": "fixedDelay", "maxRetryCount": 1, "delayInterval": 10},
            r"^Nightly: retry\.delayInterval must be a TimeSpan string",
        ),
        (
            {"strategy": "exponentialBackoff", "maxRetryCount": 1, "minimumInterval": "00:00:01"},
            r"^Nightly: retry\.maximumInterval is required for exponentialBackoff$",
        ),
        (
            {
                "strategy": "exponentialBackoff",
                "maxRetryCount": 1,
                "minimumInterval": "00:01:00",
                "maximumInterval": "00:00:30",
            },
            r"^Nightly: retry: minimumInterval \(00:01:00\) must not be greater than "
            r"maximumInterval \(00:00:30\)$",
        ),
    ],
)
def test_invalid_v1_policies_name_function_and_field(retry: Dict[str, Any], match: str) -> None:
    with pytest.raises(RetryPolicyError, match=match):
        policy_from_function_json({"retry": retry}, "Nightly")


def test_v1_retry_must_be_an_object() -> None:
    with pytest.raises(RetryPolicyError, match=r"^Nightly: retry must be a JSON object$"):
        policy_from_function_json({"retry": "fixedDelay"}, "Nightly")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("00:00:05", 5.0),
        ("00:01:30", 90.0),
        ("01:00", 3600.0),
        ("00:00:00.250", 0.25),
        ("1.02:00:00", 93600.0),
        ("2", 172800.0),
        (" 00:00:07 ", 7.0),
    ],
)
def test_timespans_parse_as_dotnet_does(text: str, seconds: float) -> None:
    assert parse_timespan(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["24:00:00", "00:60:00", "00:00:60"])
def test_out_of_range_timespans_are_refused(text: str) -> None:
    with pytest.raises(RetryPolicyError, match="out of range"):
        parse_timespan(text, field_name="retry.delayInterval", function_name="f")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(5, "00:00:05"), (0.25, "00:00:00.25"), (93600, "1.02:00:00"), (0.99999999999, "00:00:01")],
)
def test_format_timespan(seconds: float, text: str) -> None:
    assert format_timespan(seconds) == text


# -- v2: @app.retry ----------------------------------------------------------------------------


def v2_function(**retry: Any) -> Any:
    app = func.FunctionApp()

    @app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer")
    @app.retry(**retry)
    def nightly(timer: func.TimerRequest) -> None:
        pass

    (function,) = app.get_functions()
    return function


def test_v2_fixed_delay() -> None:
    function = v2_function(strategy="fixed_delay", max_retry_count="3", delay_interval="00:00:10")
    assert policy_for_function(function) == RetryPolicy.fixed(3, 10)


def test_v2_exponential_backoff() -> None:
    function = v2_function(
        strategy="exponential_backoff",
        max_retry_count="-1",
        minimum_interval="00:00:01",
        maximum_interval="00:01:00",
    )
    assert policy_for_function(function) == RetryPolicy.exponential(-1, 1, 60)


def test_v2_max_retry_count_may_be_an_int() -> None:
    function = v2_function(strategy="fixed_delay", max_retry_count=2, delay_interval="00:00:01")
    policy = policy_for_function(function)
    assert policy is not None and policy.max_retry_count == 2


def test_v2_without_retry_has_no_policy() -> None:
    app = func.FunctionApp()

    @app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer")
    def nightly(timer: func.TimerRequest) -> None:
        pass

    (function,) = app.get_functions()
    assert policy_for_function(function) is None


@pytest.mark.parametrize(
    ("retry", "match"),
    [
        (
            {"strategy": "fixedDelay", "max_retry_count": "3", "delay_interval": "00:00:10"},
            r"^nightly: @app\.retry\(strategy=\.\.\.\) must be 'fixed_delay' or "
            r"'exponential_backoff', got 'fixedDelay' \(the v1 spellings",
        ),
        (
            {"strategy": "fixed_delay", "max_retry_count": "three", "delay_interval": "00:00:10"},
            r"^nightly: @app\.retry\(max_retry_count=\.\.\.\) must be a whole number, got 'three'$",
        ),
        (
            {"strategy": "fixed_delay", "max_retry_count": "3"},
            r"^nightly: @app\.retry\(delay_interval=\.\.\.\) is required for "
            r"strategy='fixed_delay'$",
        ),
        (
            {"strategy": "fixed_delay", "max_retry_count": "3", "delay_interval": "00:00:00.500"},
            r"^nightly: @app\.retry\(delay_interval=\.\.\.\) '00:00:00\.500' is not 'HH:MM:SS'",
        ),
        (
            {
                "strategy": "exponential_backoff",
                "max_retry_count": "3",
                "minimum_interval": "00:00:10",
                "maximum_interval": "00:00:05",
            },
            r"^nightly: @app\.retry: minimumInterval \(00:00:10\) must not be greater",
        ),
    ],
)
def test_invalid_v2_policies_name_function_and_field(retry: Dict[str, Any], match: str) -> None:
    with pytest.raises(RetryPolicyError, match=match):
        policy_for_function(v2_function(**retry))


def test_v2_intervals_are_whole_seconds_as_the_worker_reads_them() -> None:
    assert parse_v2_interval("01:02:03") == 3723.0
    with pytest.raises(RetryPolicyError, match="must be a string 'HH:MM:SS'"):
        parse_v2_interval(5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"strategy": "linear", "max_retry_count": 1}, "strategy must be"),
        ({"strategy": FIXED_DELAY, "max_retry_count": True}, "maxRetryCount must be"),
        ({"strategy": FIXED_DELAY, "max_retry_count": 1, "delay_interval": -1.0}, "finite"),
        ({"strategy": FIXED_DELAY, "max_retry_count": 1, "delay_interval": float("inf")}, "finite"),
    ],
)
def test_policies_built_in_code_are_checked(kwargs: Dict[str, Any], match: str) -> None:
    with pytest.raises(RetryPolicyError, match=match):
        RetryPolicy(**kwargs)


@pytest.mark.parametrize(
    ("trigger", "retried"),
    [
        ("timerTrigger", True),
        ("eventHubTrigger", True),
        ("kafkaTrigger", True),
        ("cosmosDBTrigger", True),
        ("httpTrigger", False),
        ("queueTrigger", False),
        (None, False),
    ],
)
def test_which_triggers_are_retried(trigger: Optional[str], retried: bool) -> None:
    assert is_retried_trigger(trigger) is retried
