"""The console lines the local host prints about retries."""

from __future__ import annotations

from typing import Optional

from .model import DEFAULT_LOCAL_CAP, RetryPolicy, format_timespan, plural
from .run import Attempt, RetryOutcome


def describe_local_cap(
    policy: Optional[RetryPolicy], local_cap: int = DEFAULT_LOCAL_CAP
) -> Optional[str]:
    """The console's note for a -1 policy, or None when the policy has a limit."""
    if policy is None or not policy.unlimited:
        return None
    return (
        f"maxRetryCount is -1 (Azure retries forever); the local host stops after "
        f"{plural(local_cap, 'retry')}"
    )


def describe_attempt(
    function_name: str, attempt: Attempt, policy: Optional[RetryPolicy]
) -> Optional[str]:
    """The console line after a failed attempt that will be retried, else None."""
    if attempt.succeeded or attempt.next_delay is None or policy is None:
        return None
    limit = "no limit" if policy.unlimited else str(policy.max_retry_count)
    return (
        f"Waiting {format_timespan(attempt.next_delay)} before retrying '{function_name}': "
        f"retry {attempt.retry_count + 1} of {limit} ({policy.strategy})"
    )


def describe_outcome(function_name: str, outcome: RetryOutcome) -> Optional[str]:
    """The console line at the end of a run with retries; None for one plain attempt."""
    if not outcome.attempts or (outcome.retries == 0 and not outcome.exhausted):
        return None
    if outcome.succeeded:
        return (
            f"'{function_name}' succeeded on attempt {len(outcome.attempts)} "
            f"after {plural(outcome.retries, 'retry')}"
        )
    failure = _failure_text(outcome.exception)
    if outcome.stopped_by_local_cap:
        return (
            f"Retries stopped for '{function_name}' at the local cap of "
            f"{plural(outcome.retries, 'retry')} (maxRetryCount -1); last failure: {failure}"
        )
    return (
        f"Retries exhausted for '{function_name}': function execution failed after "
        f"{plural(outcome.retries, 'retry')}; last failure: {failure}"
    )


def _failure_text(exception: Optional[BaseException]) -> str:
    if exception is None:
        return "unknown"
    message = str(exception)
    return f"{type(exception).__name__}: {message}" if message else type(exception).__name__
