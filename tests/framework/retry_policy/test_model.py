"""The retry policy model: the delays of fixed delay and exponential backoff, checked
policies, retried triggers."""

from __future__ import annotations

from typing import Any, Dict, Optional

import pytest
from python_worker_extension_framework.retry_policy import (
    FIXED_DELAY,
    RetryPolicy,
    RetryPolicyError,
    format_timespan,
    is_retried_trigger,
)
from python_worker_extension_framework.testing import run_under_policy

# -- delays ------------------------------------------------------------------------------------


def always_fails() -> None:
    raise ValueError("boom")


def test_fixed_delay_waits_the_same_before_every_retry() -> None:
    run = run_under_policy(always_fails, RetryPolicy.fixed(3, 5))
    assert run.delays == [5.0, 5.0, 5.0]
    assert run.retry_counts == [0, 1, 2, 3]
    assert run.waited == 15.0


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


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(5, "00:00:05"), (0.25, "00:00:00.25"), (93600, "1.02:00:00"), (0.99999999999, "00:00:01")],
)
def test_format_timespan(seconds: float, text: str) -> None:
    assert format_timespan(seconds) == text


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
