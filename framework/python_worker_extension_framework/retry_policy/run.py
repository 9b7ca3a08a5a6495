"""The retry loop: run a function again after each failure, as the host does."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, List, Optional, Union

from ..core import InvocationRecord
from ..core.context import RetryContext, RpcException
from .model import DEFAULT_LOCAL_CAP, RetryPolicy


@dataclass
class Attempt:
    """One execution under a policy: the retry context it got, and how it ended."""

    number: int  # 1-based
    retry_context: RetryContext
    waited: float = 0.0  # seconds slept before this attempt
    result: Any = None
    exception: Optional[BaseException] = None
    next_delay: Optional[float] = None  # seconds until the next attempt; None: no next attempt
    # The invocation's own record, where the runner kept one (the test harness does).
    record: Optional[InvocationRecord] = None

    @property
    def retry_count(self) -> int:
        return self.retry_context.retry_count

    @property
    def context(self) -> Any:
        """The attempt's invocation context, when its record was kept."""
        return self.record.context if self.record is not None else None

    @property
    def succeeded(self) -> bool:
        return self.exception is None


@dataclass
class RetryOutcome:
    """Every attempt of one run under a policy, and why it stopped: the one result type for
    a run with retries, from the host's admin endpoint, the app client and the harness."""

    policy: Optional[RetryPolicy]
    attempts: List[Attempt] = field(default_factory=list)
    local_cap: Optional[int] = None  # the cap applied to a -1 policy; None when none applied
    function_name: str = ""
    # The lines the local host prints about the run (waits, the local cap, the summary).
    console: List[str] = field(default_factory=list)

    @property
    def retry_counts(self) -> List[int]:
        """``retry_context.retry_count`` of each attempt: ``[0, 1, 2, ...]``."""
        return [attempt.retry_count for attempt in self.attempts]

    @property
    def waited(self) -> float:
        """Seconds waited in all, before every retry."""
        return sum(self.delays)

    @property
    def records(self) -> List[Any]:
        """The log records of every attempt whose record was kept, in order."""
        return [r for attempt in self.attempts if attempt.record for r in attempt.record.records]

    def messages(self, logger_prefix: str = "") -> List[str]:
        """Formatted messages of all attempts, optionally of one logger tree."""
        return [r.getMessage() for r in self.records if r.name.startswith(logger_prefix)]

    def __repr__(self) -> str:
        how = "succeeded" if self.succeeded else f"failed with {self.exception!r}"
        name = self.function_name or "?"
        return f"<RetryOutcome {name}: {how} after {len(self.attempts)} attempt(s)>"

    @property
    def last(self) -> Attempt:
        return self.attempts[-1]

    @property
    def succeeded(self) -> bool:
        return bool(self.attempts) and self.last.succeeded

    @property
    def result(self) -> Any:
        return self.last.result if self.attempts else None

    @property
    def exception(self) -> Optional[BaseException]:
        return self.last.exception if self.attempts else None

    @property
    def delays(self) -> List[float]:
        """Seconds waited before each retry, in order."""
        return [attempt.waited for attempt in self.attempts[1:]]

    @property
    def retries(self) -> int:
        return max(len(self.attempts) - 1, 0)

    @property
    def exhausted(self) -> bool:
        """The last attempt failed and the policy (or the local cap) allowed no further retry."""
        return self.policy is not None and bool(self.attempts) and not self.succeeded

    @property
    def stopped_by_local_cap(self) -> bool:
        """Retries of a -1 policy stopped at the local cap (Azure would have gone on)."""
        return self.exhausted and self.local_cap is not None

    def raise_for_exception(self) -> Any:
        if self.exception is not None:
            raise self.exception
        return self.result


InvokeOnce = Callable[[RetryContext], Awaitable[Any]]
Sleep = Callable[[float], Awaitable[Any]]
OnAttempt = Callable[[Attempt], Union[Awaitable[None], None]]


def initial_retry_context(policy: Optional[RetryPolicy]) -> RetryContext:
    """The retry context of a first try, as the worker builds it from the host's message:
    ``retry_count`` 0, the policy's ``max_retry_count`` (0 without a policy) and an empty
    previous failure (the worker passes the protobuf default, not None)."""
    return RetryContext(0, policy.max_retry_count if policy else 0, RpcException())


async def run_with_policy(
    invoke_once: InvokeOnce,
    policy: Optional[RetryPolicy],
    *,
    sleep: Optional[Sleep] = None,
    on_attempt: Optional[OnAttempt] = None,
    local_cap: int = DEFAULT_LOCAL_CAP,
) -> RetryOutcome:
    """Run ``invoke_once(retry_context)`` and retry it on failure as the host would.

    ``invoke_once`` builds the invocation's context with the given retry context, runs the
    function (through the dispatcher) and returns its result or raises its exception. After a
    failure, while retries are left, the next retry context gets ``retry_count`` + 1, the same
    ``max_retry_count`` and the failure as ``rpc_exception``; ``sleep(seconds)`` (default
    ``asyncio.sleep``) waits the policy's delay first. ``on_attempt(attempt)`` runs after each
    attempt, with ``attempt.next_delay`` set when another attempt follows. With no policy the
    function runs once. A -1 policy stops after ``local_cap`` retries
    (``outcome.stopped_by_local_cap``). Never raises the function's exception: read
    ``outcome.exception`` or call ``outcome.raise_for_exception()``.
    """
    if local_cap < 0:
        raise ValueError(f"local_cap must be 0 or more, got {local_cap}")
    if sleep is None:
        import asyncio

        sleep = asyncio.sleep
    outcome = RetryOutcome(policy, local_cap=local_cap if policy and policy.unlimited else None)
    limit = policy.retry_limit(local_cap) if policy is not None else 0
    retry_context = initial_retry_context(policy)
    waited = 0.0
    while True:
        attempt = Attempt(len(outcome.attempts) + 1, retry_context, waited)
        try:
            attempt.result = await invoke_once(retry_context)
        except Exception as exc:
            attempt.exception = exc
        outcome.attempts.append(attempt)
        retry = attempt.retry_count + 1
        if attempt.exception is not None and policy is not None and retry <= limit:
            attempt.next_delay = policy.delay_before(retry)
        if on_attempt is not None:
            maybe = on_attempt(attempt)
            if inspect.isawaitable(maybe):
                await maybe
        if attempt.exception is None or attempt.next_delay is None:
            return outcome
        waited = attempt.next_delay
        await sleep(waited)
        retry_context = RetryContext(
            retry,
            retry_context.max_retry_count,
            RpcException.from_exception(attempt.exception),
        )
