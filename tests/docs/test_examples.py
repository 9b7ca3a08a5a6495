"""The readmes' example apps and tests (``examples/``), run as their readmes say."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Callable

import pytest
from python_worker_extension_framework.core.gating import worker_runs_extensions
from python_worker_extension_framework.testing import AppClient

from .readme_examples import ROOT
from .run_pytest import run_pytest

EXAMPLES = ROOT / "examples"
LoadApp = Callable[..., AppClient]
WORKER_RUNS_EXTENSIONS = worker_runs_extensions(sys.version_info[:2])


@pytest.mark.slow
@pytest.mark.parametrize("folder", ["framework", "retry_context"])
def test_the_example_tests_pass_under_pytest_in_their_folder(folder: str) -> None:
    result = run_pytest(EXAMPLES / folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b1 passed\b", result.stdout), result.stdout


def test_timer_example_app_appends_the_time_and_adds_server_timing(app_client: LoadApp) -> None:
    client = app_client(EXAMPLES / "timer")
    response = client.get("/api/hello", params={"name": "Ann"})
    assert response.status_code == 200
    if not WORKER_RUNS_EXTENSIONS:  # a plain FunctionApp: like Azure, no extension runs
        assert response.text == "Hello, Ann." and "Server-Timing" not in response.headers
        assert client.messages("python_worker_extension_timer") == []
        return
    assert re.fullmatch(r"Hello, Ann\. \(TimeElapsed: [0-9.e-]+ sec\)", response.text)
    assert re.fullmatch(r"function;dur=[0-9.]+", response.headers["Server-Timing"])
    (line,) = client.messages("python_worker_extension_timer")
    assert line.startswith("Time taken to execute hello is ")


def test_request_logging_example_app_logs_one_record_per_request(app_client: LoadApp) -> None:
    client = app_client(EXAMPLES / "request_logging")
    assert client.get("/api/items/5").text == "item 5"
    (line,) = client.messages("python_worker_extension_request_logging")
    assert line.startswith("GET /api/items/5 200 ")
    assert "function=get_item" in line


def test_retry_context_example_app_runs_through_the_admin_endpoint(app_client: LoadApp) -> None:
    client = app_client(EXAMPLES / "retry_context")
    run = client.admin.run("ProcessOrder")
    assert run.succeeded and run.delays == []
    assert "Executed 'Functions.ProcessOrder' (Succeeded" in "\n".join(client.lines)


def test_opentelemetry_example_app_records_the_invocation_and_the_users_span(
    app_client: LoadApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spans_file = tmp_path / "spans.jsonl"
    monkeypatch.setenv("PYTHON_WORKER_EXTENSION_OPENTELEMETRY_JSONL_PATH", str(spans_file))
    client = app_client(EXAMPLES / "opentelemetry")
    # The app's own copy of the extension (the client imports the app's packages afresh).
    extension = sys.modules["python_worker_extension_opentelemetry"].OpenTelemetryExtension
    try:
        assert client.get("/api/orders/7").text == "order 7"
        client.close()  # stops the host as Ctrl-C does: the extension flushes
    finally:
        extension.reset()  # its tracer provider and instrumentations off for later tests
    spans = {s["name"]: s for s in map(json.loads, spans_file.read_text().splitlines())}
    user = spans["load order"]
    invocation = spans["GET /api/orders/{id}"]
    assert user["parent_span_id"] == invocation["span_id"]
    assert invocation["attributes"]["faas.name"] == "get_order"
