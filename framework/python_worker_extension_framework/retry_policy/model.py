"""The retry policy model: what a policy says and the delays it asks for."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional

FIXED_DELAY = "fixedDelay"
EXPONENTIAL_BACKOFF = "exponentialBackoff"
UNLIMITED = -1
DEFAULT_LOCAL_CAP = 5

# Trigger binding types (lower-cased) whose functions the host retries by policy.
RETRIED_TRIGGER_TYPES = frozenset(
    {"timertrigger", "eventhubtrigger", "kafkatrigger", "cosmosdbtrigger"}
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
        retries = "retries forever" if self.unlimited else plural(self.max_retry_count, "retry")
        if self.strategy == FIXED_DELAY:
            return f"{FIXED_DELAY}, {retries}, {format_timespan(self.delay_interval)} apart"
        return (
            f"{EXPONENTIAL_BACKOFF}, {retries}, from {format_timespan(self.minimum_interval)} "
            f"up to {format_timespan(self.maximum_interval)}"
        )


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


def plural(count: int, word: str) -> str:
    if count == 1:
        return f"1 {word}"
    return f"{count} {word[:-1]}ies" if word.endswith("y") else f"{count} {word}s"
