"""The new user's app, tested exactly as the framework readme's testing section shows.

The readme's own blocks (not the files under ``examples/``) are written into a temporary
folder with a host.json and local.settings.json, and ``pytest`` runs there in a new
process, as it would for the user. The same app is then served both by the in-process
``AppClient`` and by ``funcext start`` in a subprocess (what the e2e tests use), and the two
must answer and log alike.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Dict, List, Tuple

import httpx
import pytest
from python_worker_extension_framework.testing import AppClient, running_host

from .readme_examples import ROOT, python_blocks
from .run_pytest import run_pytest

EXTENSION_LOGGERS = ("python_worker_extension_timer", "python_worker_extension_request_logging")
REQUESTS: List[Tuple[str, str, Dict[str, object]]] = [
    ("GET", "/api/items/42?name=x", {}),
    ("GET", "/api/items/abc", {}),
    ("POST", "/api/orders", {"json": {"sku": "A-1"}}),
    ("POST", "/api/orders", {"json": {}}),
    ("DELETE", "/api/orders", {}),
]
_STAMP = re.compile(r"^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] ")
_VOLATILE = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<id>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<trace>"),
    (re.compile(r"\d+(\.\d+)?(e-?\d+)?"), "<n>"),
]
_EXTENSION_LINE = re.compile(r"^(Time taken to execute |(GET|POST|DELETE) /api/)")


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    """The readme's app and tests, with the settings files of the example folder."""
    blocks = {b.example_path: b.text for b in python_blocks(ROOT / "readme.md")}
    for name in ("function_app.py", "test_function_app.py"):
        (tmp_path / name).write_text(blocks[f"examples/testing/{name}"] + "\n")
    for name in ("host.json", "local.settings.json"):
        shutil.copy(ROOT / "examples" / "testing" / name, tmp_path / name)
    return tmp_path


def _normalised(line: str) -> str:
    for pattern, replacement in _VOLATILE:
        line = pattern.sub(replacement, line)
    return line


def _answers(client: httpx.Client) -> List[Tuple[int, str, Dict[str, str]]]:
    answers = []
    for method, url, options in REQUESTS:
        response = client.request(method, url, **options)  # type: ignore[arg-type]
        headers = {
            name: _normalised(value)
            for name, value in response.headers.items()
            if name not in ("date", "server")  # added by uvicorn's HTTP server, not the host
        }
        answers.append((response.status_code, response.text, headers))
    return answers


@pytest.mark.slow
def test_the_readme_tests_pass_on_the_new_users_app(app_dir: Path) -> None:
    result = run_pytest(app_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b6 passed\b", result.stdout), result.stdout


@pytest.mark.slow
def test_the_in_process_client_answers_and_logs_as_the_host_process(app_dir: Path) -> None:
    with AppClient(app_dir) as client:
        in_process = _answers(client)
        in_process_lines = [
            _normalised(line)
            for record in client.records
            if record.name.startswith(EXTENSION_LOGGERS)
            for line in record.getMessage().splitlines()
        ]
    with running_host(app_dir) as host, httpx.Client(base_url=host.base_url) as http:
        over_http = _answers(http)
        host.wait_for(r"Executed 'Functions\.place_order' \(Failed")
        host_lines = [
            _normalised(_STAMP.sub("", line))
            for line in host.lines
            if _EXTENSION_LINE.match(_STAMP.sub("", line))
        ]
    assert [status for status, _, _ in in_process] == [200, 404, 201, 500, 405]
    assert in_process[0][1] == '{"id": 42, "name": "x"}'
    assert in_process == over_http
    assert in_process_lines == host_lines
    assert len(host_lines) == 6  # a timer line and a request record for each invocation
