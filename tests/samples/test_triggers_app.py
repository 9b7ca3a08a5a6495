"""samples/triggers_app through the harness: every trigger builder, on the app's own functions.

The functions are the app's decorated objects, so names, triggers and bindings come from the
decorators; the extensions are the ones the app configures at import.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterator, List

import pytest
from python_worker_extension_framework.core.gating import worker_runs_extensions
from python_worker_extension_framework.testing import (
    AppClient,
    InvocationRecord,
    invoke,
    make_blob,
    make_context,
    make_cosmos_documents,
    make_event_grid_event,
    make_event_hub_batch,
    make_event_hub_event,
    make_queue_message,
    make_retry_context,
    make_service_bus_message,
    make_timer_request,
    registered,
)
from python_worker_extension_request_logging import RequestLoggingExtension
from python_worker_extension_retry_context import RetryContextExtension

APP_DIR = Path(__file__).resolve().parents[2] / "samples" / "triggers_app"
REQUEST_LOG = "python_worker_extension_request_logging"


@pytest.fixture
def app() -> Iterator[ModuleType]:
    """The app imported afresh into a registry holding the extensions it imports."""
    with registered(RequestLoggingExtension, RetryContextExtension):
        spec = importlib.util.spec_from_file_location(
            "triggers_app_function_app", APP_DIR / "function_app.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module


def app_logs(record: InvocationRecord) -> List[str]:
    return record.messages("triggers_app")


def request_log(record: InvocationRecord) -> str:
    (line,) = record.messages(REQUEST_LOG)
    return line


def test_queue_message_reaches_the_function_and_its_output_binding(app: ModuleType) -> None:
    message = make_queue_message({"id": 7, "sku": "A-1", "quantity": 2})
    record = invoke(app.process_order, msg=message)
    assert record.func_args["receipt"].get() == "order 7: 2 x A-1"
    assert request_log(record).startswith("queue process_order success ")


def test_queue_message_delivered_too_often_fails_loudly(app: ModuleType) -> None:
    message = make_queue_message({"id": 7, "sku": "A-1", "quantity": 2}, dequeue_count=4)
    with pytest.raises(RuntimeError, match="order 7 keeps failing"):
        invoke(app.process_order, msg=message)
    record = invoke(app.process_order, msg=message, capture_exception=True)
    assert "exception_type=RuntimeError" in request_log(record)


def test_service_bus_message(app: ModuleType) -> None:
    message = make_service_bus_message(
        {"id": "p-1", "amount": "9.50"}, message_id="m-1", delivery_count=2
    )
    record = invoke(app.settle_payment, message=message)
    assert app_logs(record) == ["payment p-1 of 9.50 (message m-1, delivery 2)"]
    assert request_log(record).startswith("servicebus settle_payment success ")


def test_single_event_hub_event(app: ModuleType) -> None:
    event = make_event_hub_event({"value": 21.5}, partition_key="sensor-4")
    record = invoke(app.record_reading, event=event)
    assert app_logs(record) == ["reading 21.5 from sensor-4"]


def test_event_hub_batch(app: ModuleType) -> None:
    events = make_event_hub_batch([{"value": 1}, {"value": 2}, {"value": 3}])
    assert [event.sequence_number for event in events] == [0, 1, 2]
    record = invoke(app.record_readings, events=events)
    assert app_logs(record) == ["3 readings, total 6"]


def test_event_grid_event(app: ModuleType) -> None:
    event = make_event_grid_event(
        {"contentLength": 512}, subject="/blobServices/default/containers/uploads/blobs/a.csv"
    )
    record = invoke(app.on_blob_created, event=event)
    assert app_logs(record) == [
        "Microsoft.Storage.BlobCreated: /blobServices/default/containers/uploads/blobs/a.csv "
        "(512 bytes)"
    ]


def test_blob_input_stream(app: ModuleType) -> None:
    record = invoke(app.count_lines, blob=make_blob("a\nb\nc\n", name="uploads/a.csv"))
    assert app_logs(record) == ["uploads/a.csv has 3 lines"]


def test_cosmos_db_documents(app: ModuleType) -> None:
    documents = make_cosmos_documents({"id": "sku-1", "price": 10}, {"id": "sku-2", "price": 12})
    record = invoke(app.reprice, documents=documents)
    assert app_logs(record) == ["product sku-1 now costs 10", "product sku-2 now costs 12"]


def test_timer_first_attempt_and_final_retry(app: ModuleType) -> None:
    late = make_timer_request(past_due=True)
    first = make_context("nightly_report", retry_context=make_retry_context(0, 2))
    with pytest.raises(TimeoutError, match="warming up"):
        invoke(app.nightly_report, timer=late, context=first)
    final = make_context(
        "nightly_report",
        retry_context=make_retry_context(2, 2, previous_error=TimeoutError("warming up")),
    )
    record = invoke(app.nightly_report, timer=late, context=final)
    assert record.succeeded
    assert app_logs(record) == ["report (late: True, attempt 3)"]
    retry_log = record.messages("python_worker_extension_retry_context")
    assert retry_log and retry_log[0].startswith("Retry 2 of 2 for 'nightly_report'")


def test_a_missing_trigger_argument_names_the_builder(app: ModuleType) -> None:
    with pytest.raises(TypeError, match=r"the timerTrigger argument 'timer' is None"):
        invoke(app.nightly_report, timer=None)


def test_the_app_client_runs_non_http_functions_as_the_admin_endpoint_does(
    app_client: Callable[..., AppClient],
) -> None:
    client = app_client(APP_DIR)
    run = client.admin.run("count_lines", input="a\nb")
    assert run.succeeded
    assert "uploads/{name} has 2 lines" in client.messages("triggers_app")
    if worker_runs_extensions(sys.version_info[:2]):
        (record,) = client.messages(REQUEST_LOG)
        assert record.startswith("blob count_lines success ")
    else:  # like funcext start on 3.13+: a plain FunctionApp runs no extension
        assert client.messages(REQUEST_LOG) == []
    assert client.post("/admin/functions/count_lines", json={"input": "x"}).status_code == 202
    with pytest.raises(LookupError, match="no function named 'nope'; the app has: process_order"):
        client.admin.run("nope")


def test_the_app_client_runs_a_late_timer_with_its_retry_policy(
    app_client: Callable[..., AppClient],
) -> None:
    client = app_client(APP_DIR)
    run = client.admin.run("nightly_report", trigger=make_timer_request(past_due=True))
    assert run.succeeded
    assert run.delays == [5.0, 5.0]  # fixed_delay 00:00:05, two retries
    assert client.messages("triggers_app") == [
        "report (late: True, attempt 1)",
        "report (late: True, attempt 2)",
        "report (late: True, attempt 3)",
    ]
