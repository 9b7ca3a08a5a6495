"""``on_retry`` before each retry; ``on_final_failure`` once, only when the final attempt fails.
Callback errors are logged with their traceback and never change the outcome."""

from __future__ import annotations

import logging
from typing import Any, Dict, Iterator, List, Tuple

import azure.functions as func
import pytest
from python_worker_extension_framework import Dispatcher, OptionValueError, UnknownOptionError
from python_worker_extension_framework.retry_policy import RetryPolicy
from python_worker_extension_framework.testing import invoke, make_context, run_under_policy
from python_worker_extension_retry_context import LOGGER_NAME, RetryContextExtension, RetryInfo

from .conftest import Calls, retry_logs


def failing_times(failures: int) -> Any:
    """A function that raises ``ValueError('boom <n>')`` on its first ``failures`` calls."""
    calls = iter(range(1, 1000))

    def ProcessOrder(timer: func.TimerRequest) -> str:
        n = next(calls)
        if n <= failures:
            raise ValueError(f"boom {n}")
        return f"done on call {n}"

    return ProcessOrder


def timer() -> func.TimerRequest:
    from azure.functions.timer import TimerRequest

    return TimerRequest(past_due=False)


@pytest.fixture
def final() -> Iterator[Calls]:
    calls = Calls()
    RetryContextExtension.configure(on_final_failure=calls)
    yield calls


def test_final_failure_fires_once_when_every_attempt_fails(final: Calls) -> None:
    run = run_under_policy(failing_times(99), RetryPolicy.fixed(2, 5), timer=timer())
    assert run.retry_counts == [0, 1, 2]
    assert run.exhausted
    assert len(final.calls) == 1
    info, context, exception = final.calls[0]
    assert isinstance(info, RetryInfo)
    assert (info.attempt, info.retry_count, info.is_final_attempt) == (3, 2, True)
    assert info.previous_failure is not None
    assert info.previous_failure.summary() == "ValueError: boom 2"
    assert context is run.attempts[-1].context
    assert exception is run.exception
    assert str(exception) == "boom 3"


def test_final_failure_does_not_fire_when_a_retry_succeeds(final: Calls) -> None:
    run = run_under_policy(failing_times(2), RetryPolicy.fixed(2, 5), timer=timer())
    assert run.succeeded
    assert run.result == "done on call 3"
    assert final.calls == []


def test_final_failure_does_not_fire_for_failures_that_will_be_retried(final: Calls) -> None:
    context = make_context("ProcessOrder", retry_count=1, max_retry_count=3)
    record = invoke(failing_times(1), capture_exception=True, context=context, timer=timer())
    assert isinstance(record.exception, ValueError)
    assert final.calls == []


def test_final_failure_never_fires_for_unlimited_retries(final: Calls) -> None:
    run = run_under_policy(failing_times(99), RetryPolicy.fixed(-1, 1), timer=timer(), local_cap=3)
    assert run.stopped_by_local_cap
    assert len(run.attempts) == 4
    assert final.calls == []


def test_final_failure_fires_for_a_single_attempt_without_retry_context(final: Calls) -> None:
    record = invoke(
        failing_times(1), capture_exception=True, function_name="ProcessOrder", timer=timer()
    )
    assert isinstance(record.exception, ValueError)
    (call,) = final.calls
    assert call[0] == RetryInfo(1, 0, 0)
    assert call[2] is record.exception


def test_final_failure_needs_the_error_phase(final: Calls) -> None:
    context = make_context("ProcessOrder", retry_count=2, max_retry_count=2)
    record = invoke(
        failing_times(1),
        capture_exception=True,
        context=context,
        dispatcher=Dispatcher(python_version=(3, 12)),
        timer=timer(),
    )
    assert isinstance(record.exception, ValueError)
    assert final.calls == []  # the worker runs no hook for a function that raises


def test_final_failure_fires_once_when_the_error_phase_runs_twice(final: Calls) -> None:
    context = make_context("ProcessOrder", retry_count=2, max_retry_count=2)
    error = ValueError("boom")
    dispatcher = Dispatcher(error_phase=True, python_version=(3, 12))
    dispatcher.run_error_hooks(context, {}, error)
    dispatcher.run_error_hooks(context, {}, ValueError("another"))
    assert len(final.calls) == 1


def test_on_retry_fires_before_each_retry_only() -> None:
    retries = Calls()
    seen: List[Tuple[int, int]] = []
    RetryContextExtension.configure(on_retry=retries)

    def ProcessOrder(timer: func.TimerRequest, context: func.Context) -> None:
        seen.append((len(retries.calls), context.retry_context.retry_count))
        raise RuntimeError("down")

    run = run_under_policy(ProcessOrder, RetryPolicy.exponential(3, 1, 10), timer=timer())
    assert [call[0].retry_count for call in retries.calls] == [1, 2, 3]
    assert [call[1] for call in retries.calls] == [a.context for a in run.attempts[1:]]
    # on_retry ran before the function, in the same attempt
    assert seen == [(0, 0), (1, 1), (2, 2), (3, 3)]


def test_a_failing_on_retry_is_logged_and_the_function_still_runs() -> None:
    def broken(info: RetryInfo, context: Any) -> None:
        raise LookupError("no alert channel")

    RetryContextExtension.configure(on_retry=broken)
    run = run_under_policy(failing_times(1), RetryPolicy.fixed(1, 0), timer=timer())
    assert run.succeeded and run.result == "done on call 2"
    errors = [r for r in retry_logs(run) if r.levelno == logging.ERROR]
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert "on_retry callback" in message and "broken" in message
    assert "'ProcessOrder' (attempt 2)" in message
    assert "LookupError: no alert channel" in message
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is LookupError


def test_a_failing_final_failure_callback_keeps_the_original_exception() -> None:
    def broken(info: RetryInfo, context: Any, exception: BaseException) -> None:
        raise RuntimeError("dead-letter queue unreachable")

    RetryContextExtension.configure(on_final_failure=broken)
    run = run_under_policy(failing_times(99), RetryPolicy.fixed(1, 0), timer=timer())
    assert isinstance(run.exception, ValueError) and str(run.exception) == "boom 2"
    errors = [r for r in retry_logs(run) if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "on_final_failure callback" in errors[0].getMessage()
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is RuntimeError
    assert errors[0].name == LOGGER_NAME


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"on_retry": "alert"}, r"'on_retry'.*must be a callable taking \(info, context\)"),
        ({"on_retry": lambda info: None}, r"'on_retry'.*must accept 2 positional arguments"),
        (
            {"on_final_failure": lambda info, context: None},
            r"'on_final_failure'.*must accept 3 positional arguments "
            r"\(info, context, exception\)",
        ),
    ],
)
def test_bad_callbacks_fail_at_configure(options: Dict[str, Any], match: str) -> None:
    with pytest.raises(OptionValueError, match=match):
        RetryContextExtension.configure(**options)


def test_async_callbacks_are_refused() -> None:
    async def alert(info: RetryInfo, context: Any) -> None:
        pass

    with pytest.raises(OptionValueError, match=r"'on_retry'.*async callback would never run"):
        RetryContextExtension.configure(on_retry=alert)


def test_unknown_option_is_named() -> None:
    with pytest.raises(UnknownOptionError, match=r"'on_failure'.*on_final_failure"):
        RetryContextExtension.configure(on_failure=print)


def test_callables_with_defaults_and_varargs_are_accepted() -> None:
    RetryContextExtension.configure(
        on_retry=lambda info, context, extra=None: None,
        on_final_failure=lambda *args, **kwargs: None,
    )
    assert RetryContextExtension.is_configured()
