"""Retry policies read from v1 ``function.json`` and v2 ``@app.retry``, and .NET ``TimeSpan``
text."""

from __future__ import annotations

import time
from typing import Any, Dict

import azure.functions as func
import pytest
from python_worker_extension_framework.retry_policy import (
    EXPONENTIAL_BACKOFF,
    FIXED_DELAY,
    RetryPolicy,
    RetryPolicyError,
    parse_timespan,
    parse_v2_interval,
    policy_for_function,
    policy_from_function_json,
    policy_from_v1_retry,
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


def test_v2_intervals_accept_and_read_exactly_what_time_strptime_does() -> None:
    """The worker reads v2 intervals with ``time.strptime(value, "%H:%M:%S")``; the host's
    own reading (no strptime locale tables at start) must agree on every case: one or two
    digits, hours up to 23, leap seconds 60 and 61, spaces, signs, other digits, leftovers."""
    pieces = ["", "0", "00", "7", "07", "007", "23", "24", "59", "60", "61", "62", " 1", "1 "]
    pieces += ["+1", "-1", "1.5", "\u0663", "\u0663\u0663", "x"]
    cases = {f"{h}:{m}:{s}" for h in pieces for m in pieces[:8] for s in pieces}
    cases |= {"01:02", "01:02:03:04", "1:2:3\n", "\t1:2:3", "01:02:03Z", "", ":::"}
    for value in sorted(cases):
        try:
            parsed = time.strptime(value, "%H:%M:%S")
        except ValueError:
            with pytest.raises(RetryPolicyError, match="is not 'HH:MM:SS'"):
                parse_v2_interval(value)
        else:
            expected = parsed.tm_hour * 3600 + parsed.tm_min * 60 + parsed.tm_sec
            assert parse_v2_interval(value) == expected, value
