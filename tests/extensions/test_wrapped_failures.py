"""Every extension records a failed invocation once the function is wrapped, on every platform.

The three configurations that matter in production (see the framework readme's behaviour
matrix): the Python 3.9-3.12 worker with extensions enabled (it runs pre and post hooks but
no post hook when the function raises; the wrapper adds the error phase), the same worker
with the setting off (it runs nothing; the wrapper runs the whole chain), and the 3.13+
worker (no extensions at all; the wrapper runs the whole chain). In each, a raising HTTP
function wrapped with ``with_extensions`` must leave each extension's record of the failure,
exactly once, and the exception must reach the worker unchanged.
"""

from __future__ import annotations

import gc
import json
import logging
import re
from typing import Any, Callable, Iterator, List

import azure.functions as func
import pytest
from python_worker_extension_framework.core.gating import SETTING
from python_worker_extension_framework.testing import (
    make_context,
    make_http_request,
    registered,
)
from python_worker_extension_framework.wrapper import with_extensions
from python_worker_extension_opencensus import CapturingExporter, OpenCensusExtension
from python_worker_extension_request_logging import LOGGER_NAME as REQUEST_LOGGER
from python_worker_extension_request_logging import RequestLoggingExtension
from python_worker_extension_retry_context import LOGGER_NAME as RETRY_CONTEXT_LOGGER
from python_worker_extension_retry_context import RetryContextExtension
from python_worker_extension_timer import LOGGER_NAME as TIMER_LOGGER
from python_worker_extension_timer import TimerExtension

from ..framework.worker_like import PY312_OFF, PY312_ON, PY313, WorkerLike

CONFIGURATIONS = (PY312_ON, PY312_OFF, PY313)
FUNCTION = "Checkout"


class Captured(logging.Handler):
    """Every record that reaches the root logger during the test."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self, logger_name: str) -> List[str]:
        return [r.getMessage() for r in self.records if r.name.startswith(logger_name)]


@pytest.fixture
def captured() -> Iterator[Captured]:
    handler = Captured()
    root = logging.getLogger()
    saved_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_level)


@pytest.fixture(params=CONFIGURATIONS, ids=[c.name for c in CONFIGURATIONS])
def worker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> WorkerLike:
    configuration: WorkerLike = request.param
    if configuration.setting is not None:
        monkeypatch.setenv(SETTING, configuration.setting)
    return configuration


def failing_function() -> Callable[..., Any]:
    @with_extensions
    def main(req: func.HttpRequest) -> func.HttpResponse:
        raise KeyError("sku-42")

    return main


def raise_through(worker: WorkerLike, function: Callable[..., Any]) -> KeyError:
    request = make_http_request("POST", f"http://localhost:7071/api/{FUNCTION}", body=b"{}")
    with pytest.raises(KeyError, match="sku-42") as raised:
        worker.invoke(function, function_name=FUNCTION, req=request)
    return raised.value


def test_timer_times_a_failed_invocation_once(worker: WorkerLike, captured: Captured) -> None:
    with registered(TimerExtension):
        TimerExtension.reset()
        TimerExtension.configure(append_to_http_response=True)
        exception = raise_through(worker, failing_function())
    assert exception.args == ("sku-42",)
    lines = captured.messages(TIMER_LOGGER)
    assert len(lines) == 1, lines
    assert re.fullmatch(
        rf"Time taken to execute {FUNCTION} is [0-9.e-]+ sec \(raised KeyError\)", lines[0]
    )


def test_request_logging_logs_a_failed_invocation_once(
    worker: WorkerLike, captured: Captured
) -> None:
    with registered(RequestLoggingExtension):
        RequestLoggingExtension.reset()
        try:
            RequestLoggingExtension.configure(format="json")
            exception = raise_through(worker, failing_function())
        finally:
            RequestLoggingExtension.reset()
    assert exception.args == ("sku-42",)
    records = [r for r in captured.records if r.name == REQUEST_LOGGER]
    assert len(records) == 1, [r.getMessage() for r in records]
    [record] = records
    assert record.levelno == logging.ERROR
    logged = json.loads(record.getMessage())
    assert (logged["function"], logged["outcome"], logged["status_code"]) == (
        FUNCTION,
        "exception",
        500,
    )
    assert logged["exception_type"] == "KeyError"
    assert logged["method"] == "POST" and logged["path"] == f"/api/{FUNCTION}"
    assert "sku-42" not in record.getMessage()  # the message is never logged


def test_retry_context_reports_the_final_failure_once(
    worker: WorkerLike, captured: Captured
) -> None:
    reported: List[Any] = []

    def on_final_failure(info: Any, context: Any, exception: BaseException) -> None:
        reported.append((info, context, exception))

    # The last retry the policy allows: retry 2 of 2, after the previous attempt's failure.
    context = make_context(
        FUNCTION, retry_count=2, max_retry_count=2, previous_error=KeyError("sku-41")
    )
    request = make_http_request("POST", f"http://localhost:7071/api/{FUNCTION}", body=b"{}")
    with registered(RetryContextExtension):
        RetryContextExtension.reset()
        try:
            RetryContextExtension.configure(on_final_failure=on_final_failure)
            with pytest.raises(KeyError, match="sku-42") as raised:
                worker.invoke(failing_function(), context, function_name=FUNCTION, req=request)
        finally:
            RetryContextExtension.reset()
    assert raised.value.args == ("sku-42",)
    assert len(reported) == 1, reported
    info, reported_context, reported_exception = reported[0]
    assert reported_exception is raised.value
    assert reported_context is context
    assert (info.attempt, info.retry_count, info.is_final_attempt) == (3, 2, True)
    assert captured.messages(RETRY_CONTEXT_LOGGER) == [
        f"Retry 2 of 2 for '{FUNCTION}' after KeyError: 'sku-41'"
    ]


def test_opencensus_exports_the_failed_invocation_span_once(worker: WorkerLike) -> None:
    capture = CapturingExporter()
    with registered(OpenCensusExtension):
        OpenCensusExtension.reset()
        OpenCensusExtension.configure(exporter=capture)
        exception = raise_through(worker, failing_function())
        gc.collect()  # the span's worker-mode safety net must not end it a second time
        OpenCensusExtension.reset()
    assert exception.args == ("sku-42",)
    spans = [span for span in capture.spans if span.name == FUNCTION]
    assert len(spans) == 1, capture.names()
    (span,) = spans
    assert span.status.code != 0
    assert span.attributes["error.name"] == "KeyError"
    assert span.attributes["http.status_code"] == 500
    assert span.attributes["faas.name"] == FUNCTION
