"""``funcext start`` against what a ``func start`` user expects: the Host section, the flags
typed from habit, timer functions, and lines Azure keeps in its system log."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys

import httpx
from python_worker_extension_framework.testing import running_host
from python_worker_extension_framework.version import VERSION

from .conftest import ENABLED_SETTINGS, AppWriter

APP = """
import logging
import os

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello", methods=["GET", "POST"])
def hello(req: func.HttpRequest) -> str:
    return "hello"


@app.route(route="db")
def db(req: func.HttpRequest) -> str:
    return os.environ.get("ConnectionStrings:Db", "unset")


@app.route(route="fail")
def fail(req: func.HttpRequest) -> str:
    raise ValueError("always fails")


@app.timer_trigger(schedule="%TICK_SCHEDULE%", arg_name="timer", run_on_startup=True)
def tick(timer: func.TimerRequest) -> None:
    logging.info("tick ran, past_due=%s", timer.past_due)
"""

SECRET = "Server=db.test;Password=hunter2"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _settings(schedule: str = "0 0 0 1 1 *", **host: object) -> str:
    return json.dumps(
        {
            "IsEncrypted": False,
            "Values": {"PYTHON_ENABLE_WORKER_EXTENSIONS": "1", "TICK_SCHEDULE": schedule},
            "Host": host,
            "ConnectionStrings": {"Db": SECRET},
            "Unknown": True,
        }
    )


def _funcext(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "python_worker_extension_framework", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_host_section_port_cors_and_connection_strings(write_app: AppWriter) -> None:
    port = _free_port()
    app = write_app(
        {
            "function_app.py": APP,
            "local.settings.json": _settings(
                LocalHttpPort=port, CORS="http://localhost:3000", CORSCredentials=True
            ),
        }
    )
    with running_host(app, port=None) as host, httpx.Client() as client:
        assert host.base_url == f"http://127.0.0.1:{port}"
        preflight = client.options(
            host.url("api/hello"),
            headers={
                "Origin": "http://localhost:3000",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
        assert preflight.headers["access-control-allow-methods"] == "POST"
        assert preflight.headers["access-control-allow-headers"] == "content-type"
        assert preflight.headers["access-control-allow-credentials"] == "true"
        answer = client.get(host.url("api/hello"), headers={"Origin": "http://localhost:3000"})
        assert answer.text == "hello"
        assert answer.headers["access-control-allow-origin"] == "http://localhost:3000"
        assert answer.headers["access-control-allow-credentials"] == "true"
        foreign = client.get(host.url("api/hello"), headers={"Origin": "http://evil.test"})
        assert "access-control-allow-origin" not in foreign.headers
        assert client.get(host.url("api/db")).text == SECRET
        output = host.output
    assert "Connection strings exported as ConnectionStrings:<name>: Db" in output
    assert "hunter2" not in output
    assert "the top-level key 'Unknown' is not one Core Tools reads" in output


def test_flags_override_the_host_section_and_select_functions(write_app: AppWriter) -> None:
    app = write_app(
        {
            "function_app.py": APP,
            "local.settings.json": _settings(CORS="http://localhost:3000"),
        }
    )
    args = ["--cors", "http://other.test", "--cors-credentials", "--functions", "hello", "tick"]
    with running_host(app, args=args) as host, httpx.Client() as client:
        preflight = client.options(
            host.url("api/hello"),
            headers={"Origin": "http://other.test", "Access-Control-Request-Method": "GET"},
        )
        assert preflight.headers["access-control-allow-origin"] == "http://other.test"
        assert preflight.headers["access-control-allow-credentials"] == "true"
        replaced = client.options(
            host.url("api/hello"),
            headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"},
        )
        assert "access-control-allow-origin" not in replaced.headers
        assert client.get(host.url("api/db")).status_code == 404  # not chosen
        admin = client.options(
            host.url("admin/functions/tick"),
            headers={"Origin": "http://other.test", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in admin.headers  # no web page runs timers
        listed = host.output.split("Functions:", 1)[1].split("For non-HTTP", 1)[0]
    assert re.findall(r"^\[[^\]]+\]\s+(\w+):", listed, flags=re.M) == ["hello", "tick"]
    assert "tick: timerTrigger (schedule '0 0 0 1 1 *', next " in listed


def test_script_root_is_the_app_folder_and_unknown_functions_are_named(
    write_app: AppWriter,
) -> None:
    app = write_app({"function_app.py": APP, "local.settings.json": _settings()})
    done = _funcext("start", "--script-root", str(app), "--port", "0", "--functions", "helo")
    assert done.returncode == 1
    assert "--functions names 'helo', which the app does not define" in done.stdout
    assert "Its functions: hello, db, fail, tick." in done.stdout
    both = _funcext("start", str(app / "elsewhere"), "--script-root", str(app))
    assert both.returncode == 2
    assert "the app folder is given twice" in both.stderr


def test_version_lists_framework_and_extensions() -> None:
    done = _funcext("--version")
    assert done.returncode == 0, done.stderr
    assert f"funcext (python-worker-extension-framework) {VERSION}" in done.stdout
    assert re.search(r"python-worker-extension-timer \d+\.\d+", done.stdout)
    assert "Python 3." in done.stdout


def test_run_on_startup_runs_once_without_run_timers(write_app: AppWriter) -> None:
    app = write_app({"function_app.py": APP, "local.settings.json": _settings()})
    with running_host(app) as host, httpx.Client() as client:
        host.wait_for(r"Executed 'Functions\.tick' \(Succeeded")
        assert client.get(host.url("api/hello")).text == "hello"
        host.wait_for(r"Executed 'Functions\.hello'")
        output = host.output
    assert len(re.findall(r"Executing 'Functions\.tick' \(Reason='Timer fired at ", output)) == 1
    assert "tick ran, past_due=False" in output
    assert "do not run on their schedules without --run-timers" in output


def test_run_timers_fires_a_one_second_schedule(write_app: AppWriter) -> None:
    app = write_app(
        {"function_app.py": APP, "local.settings.json": _settings(schedule="* * * * * *")}
    )
    with running_host(app, args=["--run-timers", "--functions", "tick"]) as host:
        fired = host.wait_for(r"Executing 'Functions\.tick' \(Reason='Timer fired at", count=3)
        host.wait_for(r"Executed 'Functions\.tick' \(Succeeded", count=3)
        output = host.output
    stamps = [re.search(r"Timer fired at (\S+)\+00:00'", line) for line in fired]
    seconds = [stamp.group(1)[:19] for stamp in stamps if stamp is not None]
    # after the runOnStartup run, each fire is a later second of the schedule
    assert len(seconds) == 3 and seconds[1] < seconds[2]
    assert "Timer functions run on their schedules (--run-timers)" in output
    assert "tick ran, past_due=False" in output


HOOKS_APP = """
import logging

import azure.functions as func
from azure.functions import AppExtensionBase


class Chatty(AppExtensionBase):
    @classmethod
    def pre_invocation_app_level(cls, logger, context, func_args, *args, **kwargs):
        logger.info("chatty pre hook through the worker's logger")
        logging.getLogger("chatty_extension").info("chatty through its own logger")

    @classmethod
    def post_invocation_app_level(cls, logger, context, func_args, func_ret, *args, **kwargs):
        raise RuntimeError("post hook broke")


app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello")
def hello(req: func.HttpRequest) -> str:
    return "hello"


@app.route(route="fail")
def fail(req: func.HttpRequest) -> str:
    raise ValueError("always fails")
"""


def _hook_lines(write_app: AppWriter, verbose: bool) -> str:
    app = write_app({"function_app.py": HOOKS_APP, "local.settings.json": ENABLED_SETTINGS})
    with running_host(app, args=["--verbose"] if verbose else []) as host, httpx.Client() as c:
        assert c.get(host.url("api/hello")).text == "hello"
        host.wait_for(r"Executed 'Functions\.hello'")
        assert c.get(host.url("api/fail")).status_code == 500
        host.wait_for(r"Executed 'Functions\.fail' \(Failed")
        return host.output


def test_hook_logger_and_hook_errors_are_system_lines_under_verbose(write_app: AppWriter) -> None:
    output = _hook_lines(write_app, verbose=True)
    assert re.search(r"\] \[System\] chatty pre hook through the worker's logger", output)
    assert re.search(r"\] \[System\] post hook broke\nTraceback", output)
    assert re.search(r"\] chatty through its own logger", output)  # a user line, untagged
    chain = output.split("Hook chain of hello:", 1)[1].split("[", 1)[0]
    assert "hello" not in chain  # the name is printed once, not again inside the table


def test_system_lines_are_hidden_without_verbose(write_app: AppWriter) -> None:
    output = _hook_lines(write_app, verbose=False)
    assert "chatty pre hook" not in output
    assert "post hook broke" not in output
    assert output.count("An extension's hook failed; the error went to the system log") == 1
    assert "chatty through its own logger" in output
    assert "ValueError: always fails" in output
    assert "in Azure this stack trace also contains the Python worker's frames" in output
