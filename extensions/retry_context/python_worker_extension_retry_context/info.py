"""``RetryInfo``: the retry state of one invocation, read defensively from ``retry_context``.

The retry context comes in several shapes, and all of them must give the same answer:

- the real worker's object: ``retry_count``, ``max_retry_count`` and ``rpc_exception`` (an
  ``RpcException`` with ``message``, ``stack_trace``, ``source`` and, on newer hosts, ``type``).
  On a first try the worker still passes an ``RpcException``, with every field empty;
- the SDK's abstract ``azure.functions.RetryContext``, whose previous failure is ``exception``
  (an object shaped like ``RpcException``, or a Python exception in hand-made test doubles);
- none at all (older hosts, and contexts built by hand): a single attempt that is also the
  final one;
- ``max_retry_count`` -1: retries without limit, so no attempt is ever the final one.

Nothing here raises on an odd shape: a field that cannot be read counts as absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from python_worker_extension_framework.toolkit import RpcException

# The fields of a previous failure, in the spellings the worker and the SDK use.
_FAILURE_FIELDS = ("rpc_exception", "exception")


@dataclass(frozen=True)
class FailureInfo:
    """The failure of the previous attempt, as far as the host reported it.

    ``type`` is the exception's type name when the host sends one (None otherwise),
    ``message`` its message (may be empty), ``stack`` the stack trace text (None when none
    was sent).
    """

    type: Optional[str]
    message: str
    stack: Optional[str] = None

    def summary(self) -> str:
        """``ValueError: boom`` (first line of the message only), or what is known of it."""
        first_line = self.message.strip().splitlines()[0] if self.message.strip() else ""
        if self.type and first_line:
            return f"{self.type}: {first_line}"
        return self.type or first_line or "an unknown error"


@dataclass(frozen=True)
class RetryInfo:
    """Which attempt an invocation is, under its function's retry policy. Read-only.

    - ``attempt``: 1 for the first try, ``retry_count + 1`` after that;
    - ``retry_count``: 0 for the first try, then 1, 2, ... (as the host counts);
    - ``max_retry_count``: the policy's limit, None when it retries without limit (-1), 0
      when there is no policy or no retry context;
    - ``previous_failure``: why the previous attempt failed, None on a first try or when the
      host did not say.
    """

    attempt: int
    retry_count: int
    max_retry_count: Optional[int]
    previous_failure: Optional[FailureInfo] = None

    @property
    def unlimited(self) -> bool:
        """Whether the policy retries without limit (``maxRetryCount`` -1)."""
        return self.max_retry_count is None

    @property
    def is_first_attempt(self) -> bool:
        return self.retry_count == 0

    @property
    def is_retry(self) -> bool:
        return self.retry_count > 0

    @property
    def is_final_attempt(self) -> bool:
        """No retry follows if this attempt fails (never true without a limit)."""
        return self.max_retry_count is not None and self.retry_count >= self.max_retry_count

    @property
    def remaining_attempts(self) -> Optional[int]:
        """Attempts still allowed after this one; None without a limit."""
        if self.max_retry_count is None:
            return None
        return max(self.max_retry_count - self.retry_count, 0)

    @property
    def max_attempts(self) -> Optional[int]:
        """Executions the policy allows in all (``max_retry_count + 1``); None without a limit."""
        return None if self.max_retry_count is None else self.max_retry_count + 1

    def as_dict(self) -> dict[str, Any]:
        """Plain values for structured logs and JSON."""
        failure = self.previous_failure
        return {
            "attempt": self.attempt,
            "retry_count": self.retry_count,
            "max_retry_count": self.max_retry_count,
            "is_first_attempt": self.is_first_attempt,
            "is_final_attempt": self.is_final_attempt,
            "remaining_attempts": self.remaining_attempts,
            "previous_failure": None
            if failure is None
            else {"type": failure.type, "message": failure.message, "stack": failure.stack},
        }


SINGLE_ATTEMPT = RetryInfo(attempt=1, retry_count=0, max_retry_count=0)


def retry_info_from(retry_context: Any) -> RetryInfo:
    """Normalise a retry context of any shape (or None) into a ``RetryInfo``."""
    if retry_context is None:
        return SINGLE_ATTEMPT
    retry_count = _whole_number(_read(retry_context, "retry_count"))
    retry_count = retry_count if retry_count is not None and retry_count > 0 else 0
    max_count = _whole_number(_read(retry_context, "max_retry_count"))
    max_retry_count: Optional[int]
    if max_count is None:
        max_retry_count = 0
    elif max_count < 0:
        max_retry_count = None  # -1: retry forever (the host allows no other negative)
    else:
        max_retry_count = max_count
    failure = None
    if retry_count > 0:
        for name in _FAILURE_FIELDS:
            failure = failure_info_from(_read(retry_context, name))
            if failure is not None:
                break
    return RetryInfo(
        attempt=retry_count + 1,
        retry_count=retry_count,
        max_retry_count=max_retry_count,
        previous_failure=failure,
    )


def failure_info_from(value: Any) -> Optional[FailureInfo]:
    """A ``FailureInfo`` from an ``RpcException``-like object, a Python exception, a mapping
    or a string; None when there is nothing in it (the worker's empty ``RpcException``)."""
    if value is None:
        return None
    if isinstance(value, BaseException):
        rpc = RpcException.from_exception(value)  # what the host would have sent for it
        return FailureInfo(rpc.type, rpc.message, rpc.stack_trace)
    if isinstance(value, str):
        return FailureInfo(None, value) if value.strip() else None
    type_name = _text(_read(value, "type"))
    message = _text(_read(value, "message"))
    stack = _text(_read(value, "stack_trace")) or _text(_read(value, "stack"))
    if not (type_name or message or stack):
        return None
    return FailureInfo(type_name, message or "", stack)


def _read(source: Any, name: str) -> Any:
    """``source.name`` or ``source[name]``; None when absent or when reading it fails (an
    abstract property, a descriptor that raises)."""
    try:
        if isinstance(source, Mapping):
            return source.get(name)
        return getattr(source, name, None)
    except Exception:
        return None


def _whole_number(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _text(value: Any) -> Optional[str]:
    """A non-empty string, or None (the worker sends empty strings for absent fields)."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None
