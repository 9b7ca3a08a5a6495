"""Function retry policies, read as Azure reads them and run locally as the host runs them.

Where the facts come from:

- **Declaring a policy.** v1: ``"retry"`` in ``function.json`` (``strategy`` ``fixedDelay`` or
  ``exponentialBackoff``, ``maxRetryCount``, ``delayInterval`` or ``minimumInterval`` and
  ``maximumInterval`` as .NET ``TimeSpan`` strings such as ``"00:00:05"``), which the host reads
  itself. v2: ``@app.retry(strategy="fixed_delay" | "exponential_backoff", ...)`` adds an
  ``azure.functions.decorators.retry_policy.RetryPolicy`` *setting* named ``retry_policy`` to
  the ``Function``; the Python worker reads it with ``get_settings_dict("retry_policy")``,
  converts the intervals with ``time.strptime(value, "%H:%M:%S")`` (whole seconds) and sends
  them to the host, reading the intervals of any strategy but ``"fixed_delay"`` as exponential
  backoff's. The strategy name itself goes into a protobuf enum that knows only
  ``fixed_delay`` and ``exponential_backoff``, so anything else fails at indexing; this module
  refuses it up front, with a message that says so.
- **Which triggers.** Function-level retries apply to timer, Event Hubs, Kafka and Cosmos DB
  triggers; HTTP triggers are never retried.
- **The loop** (WebJobs SDK ``FunctionExecutorExtensions.TryExecuteAsync``): the first try
  runs with ``retry_count`` 0 and ``max_retry_count`` from the policy; after a failure, unless
  ``retry_count`` already equals ``maxRetryCount``, the host sets ``retry_count`` to the next
  number and the previous failure on the retry context, waits, and runs the function again.
  So a policy allows ``maxRetryCount + 1`` executions; ``-1`` retries forever.
- **The delays.** Fixed delay waits ``delayInterval`` before every retry. Exponential backoff
  (WebJobs ``RandomizedExponentialBackoffStrategy`` with the minimum as its step) waits
  ``minimum`` before retry 1 and ``minimum + minimum * 2 ** (n - 2)`` before retry ``n >= 2``,
  never more than ``maximum``: for a 1 s minimum, 1, 2, 3, 5, 9, 17 ... seconds. Azure scales
  each increment by a random factor between 0.8 and 1.2; the local runner uses the nominal
  value (factor 1.0) so that runs are repeatable.

Locally, ``maxRetryCount`` -1 is honoured up to a cap (``local_cap`` retries), which the
outcome reports so that the console can say so.
"""

from __future__ import annotations

import inspect
import math
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Awaitable, Callable, List, Mapping, Optional, Union

from .context import RetryContext, RpcException

FIXED_DELAY = "fixedDelay"
EXPONENTIAL_BACKOFF = "exponentialBackoff"
UNLIMITED = -1
DEFAULT_LOCAL_CAP = 5

# Trigger binding types (lower-cased) whose functions the host retries by policy.
RETRIED_TRIGGER_TYPES = frozenset(
    {"timertrigger", "eventhubtrigger", "kafkatrigger", "cosmosdbtrigger"}
)

# The v2 setting as azure-functions stores it, and the worker's only fixed-delay spelling.
V2_SETTING_NAME = "retry_policy"
_V2_STRATEGIES = {"fixed_delay": FIXED_DELAY, "exponential_backoff": EXPONENTIAL_BACKOFF}
_V1_STRATEGIES = {"fixeddelay": FIXED_DELAY, "exponentialbackoff": EXPONENTIAL_BACKOFF}

# .NET TimeSpan.Parse, invariant culture: "d" (days) or "[d.]hh:mm[:ss[.fffffff]]".
_TIMESPAN = re.compile(
    r"\s*(?:(?P<whole_days>\d+)|(?:(?P<days>\d+)\.)?(?P<hours>\d{1,2}):(?P<minutes>\d{1,2})"
    r"(?::(?P<seconds>\d{1,2})(?:\.(?P<fraction>\d{1,7}))?)?)\s*"
)
_BACKOFF_EXPONENT_LIMIT = 64  # 2**64 minimum intervals is beyond any maximum
_TICKS_PER_SECOND = 10_000_000


class RetryPolicyError(ValueError):
    """A retry policy Azure would refuse; the message names the function, field and fix."""


def is_retried_trigger(trigger_type: Optional[str]) -> bool:
    """Whether the host applies function retry policies to this trigger type (not HTTP)."""
    return bool(trigger_type) and str(trigger_type).lower() in RETRIED_TRIGGER_TYPES


@dataclass(frozen=True)
class RetryPolicy:
    """A function's retry policy; intervals in seconds, ``max_retry_count`` -1 for no limit."""

    strategy: str
    max_retry_count: int
    delay_interval: float = 0.0
    minimum_interval: float = 0.0
    maximum_interval: float = 0.0

    def __post_init__(self) -> None:
        if self.strategy not in (FIXED_DELAY, EXPONENTIAL_BACKOFF):
            raise RetryPolicyError(
                f"strategy must be {FIXED_DELAY!r} or {EXPONENTIAL_BACKOFF!r}, "
                f"got {self.strategy!r}"
            )
        count = self.max_retry_count
        if isinstance(count, bool) or not isinstance(count, int) or count < UNLIMITED:
            raise RetryPolicyError(
                f"maxRetryCount must be -1 (retry forever) or a whole number 0 or more, "
                f"got {count!r}"
            )
        for name in ("delay_interval", "minimum_interval", "maximum_interval"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value < 0
            ):
                raise RetryPolicyError(
                    f"{name} must be a finite number of seconds, 0 or more, got {value!r}"
                )
        if self.minimum_interval > self.maximum_interval:
            raise RetryPolicyError(
                f"minimumInterval ({format_timespan(self.minimum_interval)}) must not be greater "
                f"than maximumInterval ({format_timespan(self.maximum_interval)})"
            )

    @classmethod
    def fixed(cls, max_retry_count: int, delay_seconds: float) -> RetryPolicy:
        """``fixedDelay``: wait ``delay_seconds`` before every retry."""
        return cls(FIXED_DELAY, max_retry_count, delay_interval=float(delay_seconds))

    @classmethod
    def exponential(
        cls, max_retry_count: int, minimum_seconds: float, maximum_seconds: float
    ) -> RetryPolicy:
        """``exponentialBackoff`` between ``minimum_seconds`` and ``maximum_seconds``."""
        return cls(
            EXPONENTIAL_BACKOFF,
            max_retry_count,
            minimum_interval=float(minimum_seconds),
            maximum_interval=float(maximum_seconds),
        )

    @property
    def unlimited(self) -> bool:
        """Whether the policy retries forever (``maxRetryCount`` -1)."""
        return self.max_retry_count == UNLIMITED

    def retry_limit(self, local_cap: int = DEFAULT_LOCAL_CAP) -> int:
        """How many retries a local run allows: ``maxRetryCount``, or ``local_cap`` if -1."""
        return local_cap if self.unlimited else self.max_retry_count

    def delay_before(self, retry: int) -> float:
        """Seconds the host waits before retry number ``retry`` (1 for the first retry)."""
        if retry < 1:
            raise ValueError(f"retry numbers start at 1, got {retry}")
        if self.strategy == FIXED_DELAY:
            return self.delay_interval
        if retry == 1:
            return self.minimum_interval
        exponent = retry - 2
        if exponent >= _BACKOFF_EXPONENT_LIMIT:
            return self.maximum_interval
        step = self.minimum_interval * 2.0**exponent
        return min(self.minimum_interval + step, self.maximum_interval)

    def delays(self, retries: int) -> List[float]:
        """The waits before retries 1 to ``retries``, in seconds."""
        return [self.delay_before(n) for n in range(1, retries + 1)]

    def describe(self) -> str:
        """One line for a console, e.g. ``fixedDelay, 3 retries, 00:00:01 apart``."""
        retries = "retries forever" if self.unlimited else _plural(self.max_retry_count, "retry")
        if self.strategy == FIXED_DELAY:
            return f"{FIXED_DELAY}, {retries}, {format_timespan(self.delay_interval)} apart"
        return (
            f"{EXPONENTIAL_BACKOFF}, {retries}, from {format_timespan(self.minimum_interval)} "
            f"up to {format_timespan(self.maximum_interval)}"
        )


# -- reading policies -------------------------------------------------------------------------


def parse_timespan(value: Any, *, field_name: str = "interval", function_name: str = "") -> float:
    """Seconds in a .NET ``TimeSpan`` string as ``function.json`` gives it (``"00:00:05"``,
    ``"00:00:00.250"``, ``"1.00:00:00"``; a bare number is *days*, as in .NET)."""
    where = _where(function_name, field_name)
    if not isinstance(value, str):
        raise RetryPolicyError(
            f"{where} must be a TimeSpan string such as '00:00:05', got {value!r}"
        )
    match = _TIMESPAN.fullmatch(value)
    if match is None:
        raise RetryPolicyError(
            f"{where} {value!r} is not a TimeSpan; write hh:mm:ss, e.g. '00:00:05' for five "
            "seconds or '00:00:00.500' for half a second"
        )
    if match["whole_days"] is not None:
        return float(timedelta(days=int(match["whole_days"])).total_seconds())
    hours, minutes = int(match["hours"]), int(match["minutes"])
    seconds = int(match["seconds"] or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise RetryPolicyError(
            f"{where} {value!r} is out of range: hours 0-23, minutes and seconds 0-59 "
            "(write days as 'd.hh:mm:ss')"
        )
    fraction = float(f"0.{match['fraction']}") if match["fraction"] else 0.0
    days = int(match["days"] or 0)
    return days * 86400.0 + hours * 3600.0 + minutes * 60.0 + seconds + fraction


def parse_v2_interval(
    value: Any, *, field_name: str = "interval", function_name: str = ""
) -> float:
    """Seconds in a v2 ``@app.retry`` interval, read as the Python worker reads it:
    ``time.strptime(value, "%H:%M:%S")``, so whole seconds and hours 0-23 only."""
    where = _where(function_name, field_name)
    if not isinstance(value, str):
        raise RetryPolicyError(f"{where} must be a string 'HH:MM:SS', got {value!r}")
    try:
        parsed = time.strptime(value, "%H:%M:%S")
    except ValueError:
        raise RetryPolicyError(
            f"{where} {value!r} is not 'HH:MM:SS'; the Python worker reads v2 retry intervals "
            "with time.strptime(value, '%H:%M:%S'), so use whole seconds, e.g. '00:00:05'"
        ) from None
    return float(parsed.tm_hour * 3600 + parsed.tm_min * 60 + parsed.tm_sec)


def policy_from_function_json(
    function_json: Mapping[str, Any], function_name: str = ""
) -> Optional[RetryPolicy]:
    """The policy in a v1 ``function.json`` (its ``"retry"`` object), or None without one."""
    retry = function_json.get("retry")
    if retry is None:
        return None
    if not isinstance(retry, Mapping):
        raise RetryPolicyError(f"{_where(function_name, 'retry')} must be a JSON object")
    return policy_from_v1_retry(retry, function_name)


def policy_from_v1_retry(retry: Mapping[str, Any], function_name: str = "") -> RetryPolicy:
    """A policy from the ``"retry"`` object of ``function.json`` (names matched case-insensitively,
    as the host's JSON reader does)."""
    fields = {str(key).lower(): value for key, value in retry.items()}
    raw_strategy = fields.get("strategy")
    # The host parses the enum name case-insensitively; the v2 spellings are not names.
    strategy = _V1_STRATEGIES.get(raw_strategy.lower()) if isinstance(raw_strategy, str) else None
    if strategy is None:
        raise RetryPolicyError(
            f"{_where(function_name, 'retry.strategy')} must be 'fixedDelay' or "
            f"'exponentialBackoff', got {raw_strategy!r}"
        )
    max_retry_count = _count(fields.get("maxretrycount"), function_name, "retry.maxRetryCount")
    if strategy == FIXED_DELAY:
        delay = _required(fields, "delayinterval", function_name, "retry.delayInterval", strategy)
        return _build(
            function_name,
            strategy,
            max_retry_count,
            delay_interval=parse_timespan(
                delay, field_name="retry.delayInterval", function_name=function_name
            ),
        )
    low = _required(fields, "minimuminterval", function_name, "retry.minimumInterval", strategy)
    high = _required(fields, "maximuminterval", function_name, "retry.maximumInterval", strategy)
    return _build(
        function_name,
        strategy,
        max_retry_count,
        minimum_interval=parse_timespan(
            low, field_name="retry.minimumInterval", function_name=function_name
        ),
        maximum_interval=parse_timespan(
            high, field_name="retry.maximumInterval", function_name=function_name
        ),
    )


def policy_from_v2_settings(settings: Mapping[str, Any], function_name: str = "") -> RetryPolicy:
    """A policy from the v2 ``retry_policy`` settings dict (``get_settings_dict``)."""
    raw_strategy = settings.get("strategy")
    strategy = _V2_STRATEGIES.get(raw_strategy) if isinstance(raw_strategy, str) else None
    if strategy is None:
        raise RetryPolicyError(
            f"{_where(function_name, '@app.retry(strategy=...)')} must be 'fixed_delay' or "
            f"'exponential_backoff', got {raw_strategy!r} (the v1 spellings 'fixedDelay' and "
            "'exponentialBackoff' belong in function.json only)"
        )
    max_retry_count = _count(
        settings.get("max_retry_count"), function_name, "@app.retry(max_retry_count=...)"
    )

    def interval(key: str) -> float:
        label = f"@app.retry({key}=...)"
        value = settings.get(key)
        if value is None:
            raise RetryPolicyError(
                f"{_where(function_name, label)} is required for strategy={raw_strategy!r}"
            )
        return parse_v2_interval(value, field_name=label, function_name=function_name)

    if strategy == FIXED_DELAY:
        return _build(
            function_name,
            strategy,
            max_retry_count,
            label="@app.retry",
            delay_interval=interval("delay_interval"),
        )
    return _build(
        function_name,
        strategy,
        max_retry_count,
        label="@app.retry",
        minimum_interval=interval("minimum_interval"),
        maximum_interval=interval("maximum_interval"),
    )


def policy_for_function(function: Any) -> Optional[RetryPolicy]:
    """The policy of a v2 ``azure.functions`` ``Function`` (from ``app.get_functions()``),
    read from its ``retry_policy`` setting as the worker reads it; None without one."""
    name = _v2_name(function)
    get_settings_dict = getattr(function, "get_settings_dict", None)
    settings: Optional[Mapping[str, Any]] = None
    if callable(get_settings_dict):
        settings = get_settings_dict(V2_SETTING_NAME)
    if settings is None:
        setting = getattr(function, "get_setting", lambda _name: None)(V2_SETTING_NAME)
        if setting is None:
            return None
        settings = {
            key: getattr(setting, key, None)
            for key in (
                "strategy",
                "max_retry_count",
                "delay_interval",
                "minimum_interval",
                "maximum_interval",
            )
        }
    return policy_from_v2_settings(settings, name)


def _v2_name(function: Any) -> str:
    getter = getattr(function, "get_function_name", None)
    try:
        return str(getter()) if callable(getter) else str(getattr(function, "__name__", ""))
    except Exception:
        return ""


def _where(function_name: str, field_name: str) -> str:
    return f"{function_name}: {field_name}" if function_name else field_name


def _required(
    fields: Mapping[str, Any], key: str, function_name: str, label: str, strategy: str
) -> Any:
    if fields.get(key) is None:
        raise RetryPolicyError(f"{_where(function_name, label)} is required for {strategy}")
    return fields[key]


def _count(value: Any, function_name: str, label: str) -> int:
    where = _where(function_name, label)
    if value is None:
        raise RetryPolicyError(f"{where} is required (-1 retries forever)")
    if isinstance(value, (bool, float)):
        raise RetryPolicyError(f"{where} must be a whole number, got {value!r}")
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise RetryPolicyError(f"{where} must be a whole number, got {value!r}") from None
    if count < UNLIMITED:
        raise RetryPolicyError(f"{where} must be -1 (retry forever) or 0 or more, got {count}")
    return count


def _build(
    function_name: str,
    strategy: str,
    max_retry_count: int,
    *,
    label: str = "retry",
    **intervals: float,
) -> RetryPolicy:
    try:
        return RetryPolicy(strategy, max_retry_count, **intervals)
    except RetryPolicyError as exc:
        raise RetryPolicyError(f"{_where(function_name, label)}: {exc}") from None


# -- running under a policy -------------------------------------------------------------------


@dataclass
class Attempt:
    """One execution under a policy: the retry context it got, and how it ended."""

    number: int  # 1-based
    retry_context: RetryContext
    waited: float = 0.0  # seconds slept before this attempt
    result: Any = None
    exception: Optional[BaseException] = None
    next_delay: Optional[float] = None  # seconds until the next attempt; None: no next attempt

    @property
    def retry_count(self) -> int:
        return self.retry_context.retry_count

    @property
    def succeeded(self) -> bool:
        return self.exception is None


@dataclass
class RetryOutcome:
    """Every attempt of one run under a policy, and why it stopped."""

    policy: Optional[RetryPolicy]
    attempts: List[Attempt] = field(default_factory=list)
    local_cap: Optional[int] = None  # the cap applied to a -1 policy; None when none applied

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


# -- console lines ----------------------------------------------------------------------------


def format_timespan(seconds: float) -> str:
    """``hh:mm:ss`` with a fraction when there is one, as the host prints a ``TimeSpan``."""
    # Whole ticks (100 ns, a TimeSpan's resolution) first, so that rounding never leaves
    # a fraction of "1.0" behind.
    whole, ticks = divmod(round(seconds * _TICKS_PER_SECOND), _TICKS_PER_SECOND)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    if ticks:
        text += f".{ticks:07d}".rstrip("0")
    return f"{days}.{text}" if days else text


def describe_local_cap(
    policy: Optional[RetryPolicy], local_cap: int = DEFAULT_LOCAL_CAP
) -> Optional[str]:
    """The console's note for a -1 policy, or None when the policy has a limit."""
    if policy is None or not policy.unlimited:
        return None
    return (
        f"maxRetryCount is -1 (Azure retries forever); the local host stops after "
        f"{_plural(local_cap, 'retry')}"
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
            f"after {_plural(outcome.retries, 'retry')}"
        )
    failure = _failure_text(outcome.exception)
    if outcome.stopped_by_local_cap:
        return (
            f"Retries stopped for '{function_name}' at the local cap of "
            f"{_plural(outcome.retries, 'retry')} (maxRetryCount -1); last failure: {failure}"
        )
    return (
        f"Retries exhausted for '{function_name}': function execution failed after "
        f"{_plural(outcome.retries, 'retry')}; last failure: {failure}"
    )


def _failure_text(exception: Optional[BaseException]) -> str:
    if exception is None:
        return "unknown"
    message = str(exception)
    return f"{type(exception).__name__}: {message}" if message else type(exception).__name__


def _plural(count: int, word: str) -> str:
    if count == 1:
        return f"1 {word}"
    return f"{count} {word[:-1]}ies" if word.endswith("y") else f"{count} {word}s"
