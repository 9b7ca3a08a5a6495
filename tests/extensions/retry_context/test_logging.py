"""Retries are logged on the extension's own (customer-visible) logger; first tries are not."""

from __future__ import annotations

import logging
from typing import List, Optional

import pytest
from python_worker_extension_framework import InvocationContext, RetryContext, RpcException
from python_worker_extension_framework.core.hooks import WORKER_LOGGER_PREFIX
from python_worker_extension_framework.testing import invoke, make_context
from python_worker_extension_retry_context import LOGGER_NAME, RetryContextExtension

from .conftest import retry_lines, retry_logs


def main() -> str:
    return "ok"


def run_attempt(
    retry_count: int, max_retry_count: int, error: Optional[Exception] = None
) -> List[str]:
    context = make_context(
        "ProcessOrder",
        retry_count=retry_count,
        max_retry_count=max_retry_count,
        previous_error=error,
    )
    record = invoke(main, context=context)
    assert record.result == "ok"
    return retry_lines(record)


def test_a_retry_logs_which_retry_and_why() -> None:
    context = make_context(
        "ProcessOrder", retry_count=2, max_retry_count=3, previous_error=ValueError("boom")
    )
    record = invoke(main, context=context)
    (log,) = retry_logs(record)
    assert log.getMessage() == "Retry 2 of 3 for 'ProcessOrder' after ValueError: boom"
    assert log.levelno == logging.INFO
    assert log.name == LOGGER_NAME
    assert not log.name.startswith(WORKER_LOGGER_PREFIX)


def test_first_attempts_log_nothing() -> None:
    assert run_attempt(0, 3) == []
    assert invoke(main, function_name="ProcessOrder").messages(LOGGER_NAME) == []


def test_first_attempts_are_logged_when_configured() -> None:
    RetryContextExtension.configure(log_first_attempt=True)
    assert run_attempt(0, 3) == ["Attempt 1 of 4 for 'ProcessOrder'"]
    assert run_attempt(1, 3, ValueError("boom")) == [
        "Retry 1 of 3 for 'ProcessOrder' after ValueError: boom"
    ]


def test_log_first_attempt_from_the_app_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_WORKER_EXTENSION_RETRY_CONTEXT_LOG_FIRST_ATTEMPT", "yes")
    assert run_attempt(0, 0) == ["Attempt 1 of 1 for 'ProcessOrder'"]


def test_unlimited_retries_say_so() -> None:
    assert run_attempt(7, -1, TimeoutError("upstream")) == [
        "Retry 7 of unlimited for 'ProcessOrder' after TimeoutError: upstream"
    ]


def test_retry_without_a_reported_failure_omits_the_reason() -> None:
    context = InvocationContext("ProcessOrder", retry_context=RetryContext(1, 2, RpcException()))
    assert invoke(main, context=context).messages(LOGGER_NAME) == [
        "Retry 1 of 2 for 'ProcessOrder'"
    ]


def test_only_the_first_line_of_a_long_message_is_logged() -> None:
    rpc = RpcException(message="Result: Failure\nException: boom\nStack: ...", type="")
    context = InvocationContext("ProcessOrder", retry_context=RetryContext(1, 2, rpc))
    assert invoke(main, context=context).messages(LOGGER_NAME) == [
        "Retry 1 of 2 for 'ProcessOrder' after Result: Failure"
    ]
