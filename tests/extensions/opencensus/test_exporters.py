"""The local exporters (JSON lines to a file or the console) and the bounded flush."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any, Sequence

import azure.functions as func
import pytest
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_opencensus import LOGGER_NAME, OpenCensusExtension

from .conftest import INCOMING, INCOMING_TRACE_ID


def hello(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    with context.tracer.span("parent"):
        pass
    return func.HttpResponse("hello")


def test_jsonl_exporter_writes_one_json_object_per_span(
    extension: type[OpenCensusExtension], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEBSITE_SITE_NAME", "contoso-orders")
    path = tmp_path / "traces" / "spans.jsonl"
    extension.configure(exporter="jsonl", jsonl_path=str(path))
    context = make_context("Hello", trace_parent=INCOMING)
    invoke(hello, context=context, req=make_http_request()).raise_for_exception()
    extension.flush(5.0)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["name"] for line in lines] == ["parent", "Hello"]
    child, root = lines
    assert root["trace_id"] == child["trace_id"] == INCOMING_TRACE_ID
    assert child["parent_span_id"] == root["span_id"]
    assert root["kind"] == "server" and root["attributes"]["faas.name"] == "Hello"
    assert root["cloud_role"] == "contoso-orders"
    assert root["duration_ms"] >= 0
    assert extension.export_stats()["written"] == 2


def test_our_app_settings_win_over_the_platform_settings(
    extension: type[OpenCensusExtension], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WEBSITE_SITE_NAME", "contoso-orders")
    monkeypatch.setenv("PYTHON_WORKER_EXTENSION_OPENCENSUS_CLOUD_ROLE_NAME", "orders-api")
    monkeypatch.setenv(
        "PYTHON_WORKER_EXTENSION_OPENCENSUS_CONNECTION_STRING", "InstrumentationKey=x"
    )
    path = tmp_path / "spans.jsonl"
    extension.configure(exporter="jsonl", jsonl_path=str(path))
    assert extension.settings()["connection_string"] == "InstrumentationKey=x"
    invoke(hello, context=make_context("Hello"), req=make_http_request()).raise_for_exception()
    extension.flush(5.0)
    roles = {json.loads(line)["cloud_role"] for line in path.read_text().splitlines()}
    assert roles == {"orders-api"}


def test_jsonl_exporter_chosen_by_app_setting(
    extension: type[OpenCensusExtension], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "spans.jsonl"
    monkeypatch.setenv("PYTHON_WORKER_EXTENSION_OPENCENSUS_EXPORTER", "jsonl")
    monkeypatch.setenv("PYTHON_WORKER_EXTENSION_OPENCENSUS_JSONL_PATH", str(path))
    invoke(hello, function_name="Hello", req=make_http_request()).raise_for_exception()
    extension.flush(5.0)
    assert len(path.read_text().splitlines()) == 2


def test_console_exporter_prints_json_lines(
    extension: type[OpenCensusExtension], capsys: pytest.CaptureFixture[str]
) -> None:
    extension.configure(exporter="console")
    invoke(hello, function_name="Hello", req=make_http_request()).raise_for_exception()
    extension.flush(5.0)
    names = [json.loads(line)["name"] for line in capsys.readouterr().out.splitlines()]
    assert names == ["parent", "Hello"]


def test_unwritable_jsonl_path_drops_and_counts_without_failing_invocations(
    extension: type[OpenCensusExtension], tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    extension.configure(exporter="jsonl", jsonl_path=str(blocker / "spans.jsonl"))
    record = invoke(hello, function_name="Hello", req=make_http_request())
    assert record.result is not None and record.exception is None
    extension.flush(5.0)
    stats = extension.export_stats()
    assert stats["errors"] >= 1 and stats["dropped"] == 2 and stats["written"] == 0


class Slow:
    """An exporter of your own whose flush takes long."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def export(self, span_datas: Sequence[Any]) -> None:
        pass

    def flush(self, timeout: float) -> bool:
        return self.release.wait(timeout)


def test_flush_is_bounded_by_its_timeout_and_says_when_it_ran_out(
    extension: type[OpenCensusExtension], caplog: pytest.LogCaptureFixture
) -> None:
    slow = Slow()
    extension.configure(exporter=slow)
    with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
        extension.flush(0.2)  # returns although the exporter never finishes
    (message,) = [r.getMessage() for r in caplog.records if r.name == LOGGER_NAME]
    assert "Slow did not finish within 0.2 s" in message
    slow.release.set()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
        extension.flush(0.05)
    assert caplog.records == []


class Raising(Slow):
    def flush(self, timeout: float) -> bool:
        raise OSError("disk gone")


def test_flush_never_raises(
    extension: type[OpenCensusExtension], caplog: pytest.LogCaptureFixture
) -> None:
    extension.configure(exporter=Raising())
    with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
        extension.flush(0.5)  # the exporter's OSError does not come out
    assert [r.getMessage() for r in caplog.records if r.name == LOGGER_NAME] == [
        "Raising: flush failed: OSError: disk gone",
        "OpenCensusExtension.flush: Raising did not finish within 0.5 s; spans still queued "
        "may be lost if the process exits now.",
    ]


def test_flush_before_configure_does_nothing(
    extension: type[OpenCensusExtension], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        extension.flush(0.1)
    assert caplog.records == []
    assert not extension.is_configured()
    assert extension.export_stats() == {"written": 0, "dropped": 0, "errors": 0}
