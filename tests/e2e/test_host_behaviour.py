"""Host behaviour on small apps written per test: settings, load failures, timeouts, shutdown."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import List

import httpx
import pytest
from python_worker_extension_framework.testing import running_host

from .conftest import ENABLED_SETTINGS, AppWriter

HELLO_APP = """
import os
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello")
def hello(req: func.HttpRequest) -> str:
    return "hello " + os.environ.get("GREETING_TARGET", "?")


@app.route(route="root")
def root(req: func.HttpRequest) -> str:
    return os.environ["AzureWebJobsScriptRoot"]
"""


def _start_fails(app: Path, *args: str) -> str:
    """Run ``funcext start`` expecting it to exit; return its output."""
    done = subprocess.run(
        [sys.executable, "-m", "python_worker_extension_framework", "start", str(app), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    return done.stdout + done.stderr


def test_local_settings_values_become_environment_and_the_environment_wins(
    write_app: AppWriter,
) -> None:
    app = write_app(
        {
            "function_app.py": HELLO_APP,
            "local.settings.json": '{"Values": {"GREETING_TARGET": "from-settings",'
            ' "PYTHON_ENABLE_WORKER_EXTENSIONS": "1"}}',
        }
    )
    with running_host(app) as host, httpx.Client() as client:
        assert client.get(host.url("api/hello")).text == "hello from-settings"
        assert client.get(host.url("api/root")).text == str(app.resolve())
    with running_host(app, env={"GREETING_TARGET": "from-env"}) as host, httpx.Client() as client:
        assert client.get(host.url("api/hello")).text == "hello from-env"


def test_route_prefix_from_host_json(write_app: AppWriter) -> None:
    app = write_app(
        {
            "function_app.py": HELLO_APP,
            "host.json": '{"version": "2.0", "extensions": {"http": {"routePrefix": ""}}}',
            "local.settings.json": ENABLED_SETTINGS,
        }
    )
    with running_host(app) as host, httpx.Client() as client:
        assert client.get(host.url("hello")).status_code == 200
        assert client.get(host.url("api/hello")).status_code == 404


def test_import_error_names_file_and_line_and_nothing_is_served(write_app: AppWriter) -> None:
    app = write_app(
        {
            "function_app.py": "import os\n\nraise KeyError('missing config')\n",
            "local.settings.json": ENABLED_SETTINGS,
        }
    )
    output = _start_fails(app, "--port", "0")
    assert "The host did not start" in output
    assert f"{app / 'function_app.py'}, line 3: KeyError: 'missing config'" in output
    assert "Host started" not in output


def test_v1_syntax_error_names_file_and_line(write_app: AppWriter) -> None:
    app = write_app(
        {
            "Good/__init__.py": "def main(req):\n    return 'ok'\n",
            "Good/function.json": '{"bindings": [{"type": "httpTrigger", "direction": "in",'
            ' "name": "req"}, {"type": "http", "direction": "out", "name": "$return"}]}',
            "Bad/__init__.py": "def main(req):\n    return (\n",
            "Bad/function.json": '{"bindings": [{"type": "httpTrigger", "direction": "in",'
            ' "name": "req"}]}',
        }
    )
    output = _start_fails(app, "--port", "0")
    assert f"{app / 'Bad' / '__init__.py'}, line 2: SyntaxError" in output
    assert "Host started" not in output  # Good alone is not served half-loaded


def test_encrypted_settings_are_refused_with_the_fix(write_app: AppWriter) -> None:
    app = write_app(
        {
            "function_app.py": HELLO_APP,
            "local.settings.json": '{"IsEncrypted": true, "Values": {"A": "b"}}',
        }
    )
    output = _start_fails(app, "--port", "0")
    assert "IsEncrypted is true" in output
    assert "func settings decrypt" in output


def test_binding_beyond_loopback_needs_an_explicit_flag(write_app: AppWriter) -> None:
    app = write_app({"function_app.py": HELLO_APP})
    output = _start_fails(app, "--port", "0", "--host", "0.0.0.0")
    assert "--allow-remote" in output


def test_start_warnings_name_the_fix(write_app: AppWriter) -> None:
    app = write_app(
        {
            "function_app.py": "from python_worker_extension_timer import TimerExtension\n"
            + HELLO_APP,
            "local.settings.json": '{"Values": {}}',
        }
    )
    with running_host(app) as host:
        output = host.output
    assert "PYTHON_ENABLE_WORKER_EXTENSIONS is not set in local.settings.json" in output
    assert '"PYTHON_ENABLE_WORKER_EXTENSIONS": "1"' in output
    assert "TimerExtension is imported but TimerExtension.configure() is never called" in output


TIMEOUT_APP = """
import asyncio
import time
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="slow")
def slow(req: func.HttpRequest) -> str:
    time.sleep(3)
    return "late"


@app.route(route="slow_async")
async def slow_async(req: func.HttpRequest) -> str:
    await asyncio.sleep(30)
    return "late"


@app.route(route="fast")
def fast(req: func.HttpRequest) -> str:
    return "fast"
"""


@pytest.mark.slow
def test_function_timeout_answers_500_with_a_clear_line(write_app: AppWriter) -> None:
    app = write_app(
        {
            "function_app.py": TIMEOUT_APP,
            "host.json": '{"version": "2.0", "functionTimeout": "00:00:01"}',
            "local.settings.json": ENABLED_SETTINGS,
        }
    )
    with running_host(app) as host, httpx.Client(timeout=30) as client:
        assert client.get(host.url("api/slow")).status_code == 500
        host.wait_for(r"Timeout value of 00:00:01 exceeded by function 'Functions\.slow'")
        assert client.get(host.url("api/slow_async")).status_code == 500
        host.wait_for(r"Timeout value of 00:00:01 exceeded by function 'Functions\.slow_async'")
        assert client.get(host.url("api/fast")).text == "fast"


SHUTDOWN_APP = """
import os
import time
import azure.functions as func
from python_worker_extension_framework import WorkerExtension


class FlushProbe(WorkerExtension):
    @classmethod
    def flush(cls, timeout: float) -> None:
        with open(os.environ["FLUSH_MARKER"], "w") as marker:
            marker.write(f"flushed within {timeout}")


FlushProbe.configure()
app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="work")
def work(req: func.HttpRequest) -> str:
    time.sleep(1.5)
    return "finished"
"""


@pytest.mark.slow
def test_ctrl_c_lets_running_invocations_finish_then_flushes(
    write_app: AppWriter, tmp_path: Path
) -> None:
    marker = tmp_path / "flushed.txt"
    app = write_app({"function_app.py": SHUTDOWN_APP, "local.settings.json": ENABLED_SETTINGS})
    answers: List[httpx.Response] = []
    with running_host(app, env={"FLUSH_MARKER": str(marker)}) as host:
        request = threading.Thread(
            target=lambda: answers.append(httpx.get(host.url("api/work"), timeout=30))
        )
        request.start()
        host.wait_for(r"Executing 'Functions\.work'")
        exit_code = host.stop()
        request.join(30)
    assert exit_code == 0
    assert [a.status_code for a in answers] == [200]
    assert answers[0].text == "finished"
    # The exporters get what the 10 s exit budget has left after the running invocation.
    flushed_within = float(marker.read_text().removeprefix("flushed within "))
    assert 0 < flushed_within < 10.0
    assert "Host stopped" in host.output


@pytest.mark.parametrize("flag", ["--verbose"])
def test_verbose_shows_extensions_and_hook_chains(write_app: AppWriter, flag: str) -> None:
    app = write_app(
        {
            "function_app.py": "from python_worker_extension_timer import TimerExtension\n"
            "TimerExtension.configure()\n" + HELLO_APP,
            "local.settings.json": ENABLED_SETTINGS,
        }
    )
    with running_host(app, args=[flag]) as host:
        output = host.output
    assert "Registered app-level extensions: TimerExtension" in output
    assert "Hook chain of hello:" in output
