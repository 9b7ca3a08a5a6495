"""Installed together, request logging and OpenCensus carry the attempt number that this
extension publishes on the context (``python_worker_extension_framework.toolkit.facts``), whatever
the order the extensions were imported in; none of them imports another."""

from __future__ import annotations

from typing import Any, Iterator, List

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest
from python_worker_extension_framework.retry_policy import RetryPolicy
from python_worker_extension_framework.testing import RetryOutcome, registered, run_under_policy
from python_worker_extension_retry_context import RetryContextExtension

request_logging = pytest.importorskip("python_worker_extension_request_logging")
opencensus = pytest.importorskip("python_worker_extension_opencensus")
RequestLoggingExtension = request_logging.RequestLoggingExtension
OpenCensusExtension = opencensus.OpenCensusExtension

ORDERS = {
    "retry-context first": (RetryContextExtension, RequestLoggingExtension, OpenCensusExtension),
    "retry-context last": (OpenCensusExtension, RequestLoggingExtension, RetryContextExtension),
}


@pytest.fixture(params=list(ORDERS), ids=list(ORDERS))
def together(request: pytest.FixtureRequest) -> Iterator[Any]:
    """All three extensions registered in the given order; yields the span exporter."""
    extensions = ORDERS[request.param]
    with registered(*extensions):
        for extension in extensions:
            extension.reset()
        exporter = opencensus.CapturingExporter()
        OpenCensusExtension.configure(exporter=exporter, sampling_rate=1.0)
        try:
            yield exporter
        finally:
            for extension in extensions:
                extension.reset()


def fails_twice() -> Any:
    calls: List[int] = []

    def ProcessOrder(timer: func.TimerRequest) -> None:
        calls.append(1)
        if len(calls) <= 2:
            raise ValueError(f"boom {len(calls)}")

    return ProcessOrder


def run_three_attempts() -> RetryOutcome:
    run = run_under_policy(
        fails_twice(), RetryPolicy.fixed(3, 1), timer=TimerRequest(past_due=False)
    )
    assert run.succeeded and run.retry_counts == [0, 1, 2]
    return run


def test_request_log_records_carry_the_attempt(together: Any) -> None:
    run = run_three_attempts()
    records = [
        getattr(r, request_logging.RECORD_ATTRIBUTE)
        for r in run.records
        if r.name == request_logging.LOGGER_NAME
    ]
    assert [record[request_logging.ATTEMPT_KEY] for record in records] == [1, 2, 3]
    assert [record["exception_type"] for record in records] == ["ValueError", "ValueError", None]


def test_invocation_spans_carry_the_attempt(together: Any) -> None:
    run_three_attempts()
    OpenCensusExtension.flush()
    spans = [span for span in together.spans if span.name == "ProcessOrder"]
    assert [span.attributes[opencensus.FAAS_RETRY_ATTEMPT] for span in spans] == [1, 2, 3]


def test_without_the_retry_extension_no_attempt_is_claimed() -> None:
    with registered(RequestLoggingExtension):
        RequestLoggingExtension.reset()
        run = run_under_policy(
            fails_twice(), RetryPolicy.fixed(3, 1), timer=TimerRequest(past_due=False)
        )
        RequestLoggingExtension.reset()
    records = [
        getattr(r, request_logging.RECORD_ATTRIBUTE)
        for r in run.records
        if r.name == request_logging.LOGGER_NAME
    ]
    assert len(records) == 3
    assert all(request_logging.ATTEMPT_KEY not in record for record in records)
