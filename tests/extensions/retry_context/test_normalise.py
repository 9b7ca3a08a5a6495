"""The retry state of every shape of retry context becomes the same ``RetryInfo``."""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

import azure.functions as func
import pytest
from python_worker_extension_framework import InvocationContext, RetryContext, RpcException
from python_worker_extension_framework.testing import invoke, make_context
from python_worker_extension_framework.toolkit.facts import RETRY_FACTS_ATTRIBUTE, retry_attempt
from python_worker_extension_retry_context import (
    FailureInfo,
    RetryContextExtension,
    RetryInfo,
    retry_info_from,
)

STACK = 'Traceback (most recent call last):\n  File "function_app.py", line 9\nValueError: boom\n'


class WorkerRpcException:
    """The real worker's ``RpcException``: message, stack trace, source, and no ``type``."""

    def __init__(self, message: str = "", stack_trace: str = "", source: str = "") -> None:
        self.message = message
        self.stack_trace = stack_trace
        self.source = source


class WorkerRetryContext:
    """The real worker's retry context: the previous failure is ``rpc_exception`` only."""

    def __init__(self, retry_count: int, max_retry_count: int, rpc_exception: Any) -> None:
        self.retry_count = retry_count
        self.max_retry_count = max_retry_count
        self.rpc_exception = rpc_exception


class SdkRpcException(func._abc.RpcException):
    def __init__(self, message: str, stack_trace: str = "", source: str = "") -> None:
        self._message, self._stack_trace, self._source = message, stack_trace, source

    @property
    def source(self) -> str:
        return self._source

    @property
    def stack_trace(self) -> str:
        return self._stack_trace

    @property
    def message(self) -> str:
        return self._message


class SdkRetryContext(func._abc.RetryContext):
    """An implementation of the SDK's abstract class: ``exception``, no ``rpc_exception``."""

    def __init__(self, retry_count: int, max_retry_count: int, exception: Any) -> None:
        self._retry_count, self._max, self._exception = retry_count, max_retry_count, exception

    @property
    def retry_count(self) -> int:
        return self._retry_count

    @property
    def max_retry_count(self) -> int:
        return self._max

    @property
    def exception(self) -> Any:
        return self._exception


def context_with(retry_context: Any, name: str = "ProcessOrder") -> InvocationContext:
    return InvocationContext(name, retry_context=retry_context)


def info_of(retry_context: Any) -> RetryInfo:
    """What a function sees, through the extension's pre hook."""
    seen: dict[str, Optional[RetryInfo]] = {}

    def main(context: func.Context) -> None:
        seen["info"] = getattr(context, RETRY_FACTS_ATTRIBUTE)

    invoke(main, context=context_with(retry_context)).raise_for_exception()
    info = seen["info"]
    assert isinstance(info, RetryInfo)
    return info


def test_worker_style_retry_context_is_normalised() -> None:
    rpc = RpcException(message="boom", stack_trace=STACK, source="Worker", type="ValueError")
    info = info_of(RetryContext(2, 3, rpc))
    assert (info.attempt, info.retry_count, info.max_retry_count) == (3, 2, 3)
    assert not info.is_first_attempt
    assert not info.is_final_attempt
    assert info.remaining_attempts == 1
    assert info.previous_failure == FailureInfo("ValueError", "boom", STACK)


def test_worker_rpc_exception_without_a_type_keeps_message_and_stack() -> None:
    info = info_of(WorkerRetryContext(1, 3, WorkerRpcException("boom", STACK, "Worker")))
    assert info.previous_failure == FailureInfo(None, "boom", STACK)
    assert info.previous_failure.summary() == "boom"


def test_sdk_style_retry_context_reads_exception() -> None:
    info = info_of(SdkRetryContext(1, 2, SdkRpcException("disk full", STACK)))
    assert (info.attempt, info.retry_count, info.max_retry_count) == (2, 1, 2)
    assert info.previous_failure == FailureInfo(None, "disk full", STACK)
    assert info.remaining_attempts == 1


def test_sdk_style_exception_may_be_a_python_exception() -> None:
    try:
        raise KeyError("sku-42")
    except KeyError as exc:
        error = exc
    info = info_of(SdkRetryContext(2, 2, error))
    failure = info.previous_failure
    assert failure is not None
    assert (failure.type, failure.message) == ("KeyError", "'sku-42'")
    assert failure.stack is not None and "raise KeyError" in failure.stack
    assert info.is_final_attempt


def test_empty_rpc_exception_of_a_first_try_is_no_failure() -> None:
    info = info_of(RetryContext(0, 3, RpcException()))
    assert info == RetryInfo(attempt=1, retry_count=0, max_retry_count=3, previous_failure=None)
    assert info.is_first_attempt and not info.is_final_attempt
    assert info.remaining_attempts == 3
    assert info.max_attempts == 4


def test_retry_with_an_empty_rpc_exception_has_no_previous_failure() -> None:
    assert info_of(WorkerRetryContext(1, 3, WorkerRpcException())).previous_failure is None


def test_no_retry_context_is_a_single_final_attempt() -> None:
    info = info_of(None)
    assert (info.attempt, info.retry_count, info.max_retry_count) == (1, 0, 0)
    assert info.is_first_attempt and info.is_final_attempt
    assert info.remaining_attempts == 0
    assert info.previous_failure is None


def test_unlimited_retries_are_never_final() -> None:
    info = info_of(RetryContext(40, -1, RpcException(message="still down", type="OSError")))
    assert info.attempt == 41
    assert info.max_retry_count is None and info.unlimited
    assert not info.is_final_attempt
    assert info.remaining_attempts is None and info.max_attempts is None


def test_last_allowed_retry_is_final() -> None:
    info = info_of(RetryContext(3, 3, RpcException(message="boom", type="ValueError")))
    assert info.is_final_attempt
    assert info.remaining_attempts == 0


def test_retry_info_is_read_only() -> None:
    info = info_of(RetryContext(1, 3, None))
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'attempt'"):
        info.attempt = 7  # type: ignore[misc]


def test_odd_shapes_never_raise() -> None:
    class Broken:
        @property
        def retry_count(self) -> int:
            raise NotImplementedError

        max_retry_count = "3"
        rpc_exception = object()

    assert retry_info_from(Broken()) == RetryInfo(1, 0, 3)
    assert retry_info_from({"retry_count": 2, "max_retry_count": 5, "exception": "boom"}) == (
        RetryInfo(3, 2, 5, FailureInfo(None, "boom"))
    )
    assert retry_info_from(object()) == RetryInfo(1, 0, 0)


def test_context_whose_retry_context_property_raises_counts_as_none() -> None:
    class NoRetry(InvocationContext):
        @property
        def retry_context(self) -> Any:
            raise NotImplementedError

    assert RetryContextExtension.current(NoRetry("f")) == RetryInfo(1, 0, 0)


def test_current_returns_the_published_facts() -> None:
    seen: dict[str, Any] = {}

    def main(context: func.Context) -> None:
        seen["current"] = RetryContextExtension.current(context)
        seen["attribute"] = context.retry_info  # type: ignore[attr-defined]
        seen["attempt"] = retry_attempt(context)

    context = make_context("ProcessOrder", retry_count=1, max_retry_count=2)
    invoke(main, context=context).raise_for_exception()
    assert seen["current"] is seen["attribute"]
    assert seen["attempt"] == 2


def test_current_computes_the_info_without_the_pre_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_ENABLE_WORKER_EXTENSIONS", "0")
    seen: dict[str, Any] = {}

    def main(context: func.Context) -> None:
        seen["published"] = getattr(context, RETRY_FACTS_ATTRIBUTE, None)
        seen["current"] = RetryContextExtension.current(context)

    context = make_context(
        "ProcessOrder", retry_count=2, max_retry_count=2, previous_error=ValueError("boom")
    )
    invoke(main, chain="worker", context=context).raise_for_exception()
    assert seen["published"] is None
    assert seen["current"].attempt == 3
    assert seen["current"].is_final_attempt
    assert seen["current"].previous_failure.summary() == "ValueError: boom"


def test_skipped_functions_get_no_published_facts() -> None:
    RetryContextExtension.configure(exclude=["health"])
    seen: dict[str, Any] = {}

    def main(context: func.Context) -> None:
        seen["published"] = getattr(context, RETRY_FACTS_ATTRIBUTE, None)

    invoke(main, context=make_context("health", retry_count=1, max_retry_count=2))
    assert seen["published"] is None


def test_as_dict_is_plain_values() -> None:
    info = RetryInfo(2, 1, None, FailureInfo("ValueError", "boom", None))
    assert info.as_dict() == {
        "attempt": 2,
        "retry_count": 1,
        "max_retry_count": None,
        "is_first_attempt": False,
        "is_final_attempt": False,
        "remaining_attempts": None,
        "previous_failure": {"type": "ValueError", "message": "boom", "stack": None},
    }
