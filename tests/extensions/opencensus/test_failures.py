"""Failures: the function's exception is recorded through the framework's error phase; an
exporter that fails never fails an invocation (logged, counted, dropped); configuration
mistakes fail at ``configure()`` with a message that says what to set."""

from __future__ import annotations

import logging
import re
from typing import Any, Sequence

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest
from python_worker_extension_framework import (
    ExtensionConfigError,
    OptionTypeError,
    OptionValueError,
    UnknownOptionError,
)
from python_worker_extension_framework.testing import invoke, make_http_request
from python_worker_extension_opencensus import LOGGER_NAME, CapturingExporter, OpenCensusExtension


class InventoryError(Exception):
    pass


def failing(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    with context.tracer.span("lookup"):
        pass
    raise InventoryError("sku-42 is out of stock")


def test_exception_is_recorded_through_the_error_phase(capture: CapturingExporter) -> None:
    record = invoke(
        failing, capture_exception=True, function_name="Checkout", req=make_http_request("POST")
    )
    assert isinstance(record.exception, InventoryError)
    root = capture.named("Checkout")
    assert root.status.code != 0
    assert root.status.message == "sku-42 is out of stock"
    assert root.attributes["error.name"] == "InventoryError"
    assert root.attributes["error.message"] == "sku-42 is out of stock"
    assert "in failing" in root.attributes["stacktrace"]
    assert "InventoryError: sku-42 is out of stock" in root.attributes["stacktrace"]
    assert root.attributes["http.status_code"] == 500
    assert root.stack_trace is not None
    assert capture.named("lookup").parent_span_id == root.span_id


def test_exception_of_a_non_http_function_records_no_status_code(
    capture: CapturingExporter,
) -> None:
    def tick(timer: TimerRequest) -> None:
        raise KeyError("missing")

    record = invoke(tick, capture_exception=True, function_name="Tick", timer=TimerRequest())
    assert isinstance(record.exception, KeyError)
    root = capture.named("Tick")
    assert root.attributes["error.name"] == "KeyError"
    assert "http.status_code" not in root.attributes
    assert root.status.code != 0


class Broken:
    def __init__(self) -> None:
        self.calls = 0

    def export(self, span_datas: Sequence[Any]) -> None:
        self.calls += 1
        raise ConnectionError("collector unreachable")


def test_exporter_errors_are_logged_counted_and_dropped(
    extension: type[OpenCensusExtension],
) -> None:
    broken = Broken()
    extension.configure(exporter=broken)

    def main(req: func.HttpRequest, context: func.Context) -> str:
        with context.tracer.span("inner"):
            pass
        return "ok"

    first = invoke(main, function_name="Main", req=make_http_request())
    second = invoke(main, function_name="Main", req=make_http_request())
    assert first.result == second.result == "ok"
    assert broken.calls == 4  # the inner span, then the invocation span, twice
    assert extension.export_stats() == {"written": 0, "dropped": 4, "errors": 4}
    logged = [r for r in first.records + second.records if r.name == LOGGER_NAME]
    assert len(logged) == 1  # then at most once a minute
    assert logged[0].levelno == logging.WARNING
    message = logged[0].getMessage()
    assert "Broken" in message and "ConnectionError: collector unreachable" in message


def test_configure_without_connection_string_or_local_exporter_says_what_to_set(
    extension: type[OpenCensusExtension],
) -> None:
    with pytest.raises(
        ExtensionConfigError, match="APPLICATIONINSIGHTS_CONNECTION_STRING"
    ) as raised:
        extension.configure()
    message = str(raised.value)
    assert "APPLICATIONINSIGHTS_CONNECTION_STRING" in message
    assert 'configure(exporter="jsonl")' in message
    assert "PYTHON_WORKER_EXTENSION_OPENCENSUS_EXPORTER" in message


def test_azure_exporter_without_connection_string_says_what_to_set(
    extension: type[OpenCensusExtension],
) -> None:
    with pytest.raises(ExtensionConfigError, match="exporter='azure' needs a connection string"):
        extension.configure(exporter="azure")


def test_unknown_options_are_rejected_with_the_known_ones(
    extension: type[OpenCensusExtension],
) -> None:
    with pytest.raises(UnknownOptionError, match="'sampling_rat'") as raised:
        extension.configure(exporter="none", sampling_rat=0.5)
    message = str(raised.value)
    assert "'sampling_rat'" in message and "sampling_rate" in message
    assert "export_interval" in message  # AzureExporter's own options are known too


@pytest.mark.parametrize(
    ("options", "error", "text"),
    [
        ({"sampling_rate": 1.5}, OptionValueError, "from 0.0"),
        ({"sampling_rate": "all"}, OptionTypeError, "must be float"),
        ({"exporter": "zipkin"}, OptionValueError, "'jsonl'"),
        ({"exporter": object()}, OptionValueError, "export(span_datas)"),
        ({"queue_capacity": 0}, OptionValueError, "greater than 0"),
        ({"jsonl_path": " "}, OptionValueError, "non-empty"),
    ],
)
def test_bad_option_values_fail_at_configure(
    extension: type[OpenCensusExtension], options: Any, error: type[Exception], text: str
) -> None:
    with pytest.raises(error, match=re.escape(text)) as raised:
        extension.configure(**options)
    assert text in str(raised.value)
    assert "OpenCensusExtension" in str(raised.value)


def test_malformed_connection_string_names_the_setting(
    extension: type[OpenCensusExtension],
) -> None:
    with pytest.raises(ExtensionConfigError, match="APPLICATIONINSIGHTS_CONNECTION_STRING"):
        extension.configure(connection_string="InstrumentationKey=not-a-uuid")


def test_bad_app_setting_leaves_the_extension_inactive_and_functions_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHON_WORKER_EXTENSION_OPENCENSUS_SAMPLING_RATE", "lots")

    def main(req: func.HttpRequest, context: func.Context) -> str:
        with context.tracer.span("inner"):
            return "ok"

    record = invoke(main, function_name="Main", req=make_http_request())
    assert record.result == "ok"
    assert any("PYTHON_WORKER_EXTENSION_OPENCENSUS_SAMPLING_RATE" in m for m in record.messages())
