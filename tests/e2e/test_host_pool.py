"""The host's thread pool for sync functions, through a real host on 127.0.0.1: how many
calls overlap, what a raising or timed-out call answers, stopping with calls running or
queued, and that each call runs inside its own invocation on a reused thread."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

import httpx
import pytest
from python_worker_extension_framework.testing import RunningHost, running_host

from .conftest import ENABLED_SETTINGS, AppWriter
from .test_dashboard_api import _detail, _invocations, watching

# Sync ``hold`` calls wait until the async ``release`` (which runs on the loop, so it is
# answered even with every pool thread held) lets them go; ``state`` reports what ran where.
GATE_APP = """
import json
import socket
import threading
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
lock = threading.Lock()
released = threading.Event()
state = {"running": 0, "most": 0, "started": [], "threads": []}


@app.route(route="hold")
def hold(req: func.HttpRequest) -> str:
    name = req.params["name"]
    with lock:
        state["running"] += 1
        state["most"] = max(state["most"], state["running"])
        state["started"].append(name)
        state["threads"].append(threading.current_thread().name)
    released.wait(30)
    with lock:
        state["running"] -= 1
    return name


@app.route(route="state")
async def report(req: func.HttpRequest) -> str:
    with lock:
        return json.dumps(state)


@app.route(route="release")
async def release(req: func.HttpRequest) -> str:
    released.set()
    return "released"
"""


def _state(host: RunningHost) -> Dict[str, Any]:
    data: Dict[str, Any] = json.loads(httpx.get(host.url("api/state")).text)
    return data


def _wait_until_running(host: RunningHost, count: int) -> Dict[str, Any]:
    """Poll the app's own report until ``count`` calls are inside ``hold``."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        state = _state(host)
        if state["running"] >= count:
            return state
        time.sleep(0.05)
    raise AssertionError(f"{count} calls never ran at once; last state {state}")


class Callers:
    """Concurrent ``GET api/hold?name=...`` calls, each from its own thread."""

    def __init__(self, host: RunningHost, names: List[str]) -> None:
        self.answers: Dict[str, httpx.Response] = {}
        self._threads = [
            threading.Thread(target=self._call, args=(host, name), daemon=True) for name in names
        ]
        for thread in self._threads:
            thread.start()

    def _call(self, host: RunningHost, name: str) -> None:
        self.answers[name] = httpx.get(host.url(f"api/hold?name={name}"), timeout=30)

    def join(self) -> Dict[str, httpx.Response]:
        for thread in self._threads:
            thread.join(30)
        return self.answers


def test_sync_calls_overlap_up_to_the_pool_size_and_the_rest_wait_their_turn(
    write_app: AppWriter,
) -> None:
    app = write_app({"function_app.py": GATE_APP, "local.settings.json": ENABLED_SETTINGS})
    env = {"PYTHON_THREADPOOL_THREAD_COUNT": "2"}
    with running_host(app, env=env) as host:
        callers = Callers(host, ["a", "b", "c"])
        host.wait_for(r"Executing 'Functions\.hold'", count=3)
        held = _wait_until_running(host, 2)
        assert len(held["started"]) == 2  # the third is queued behind the two held threads
        assert httpx.get(host.url("api/release")).text == "released"
        answers = callers.join()
        final = _state(host)
    assert {name: answer.text for name, answer in answers.items()} == {
        "a": "a",
        "b": "b",
        "c": "c",
    }
    assert final["most"] == 2 and final["running"] == 0
    assert sorted(final["started"][:2]) == sorted(held["started"])
    assert sorted(set(final["threads"])) == ["funcext-invocation_0", "funcext-invocation_1"]


DISABLED_SETTINGS = '{"IsEncrypted": false, "Values": {}}'
RAISING_APP = """
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def look_up(key: str) -> str:
    raise KeyError(f"no order {key}")


@app.route(route="fail")
def fail(req: func.HttpRequest) -> str:
    return look_up("o-17")


@app.route(route="stop")
def stop(req: func.HttpRequest) -> str:
    return next(iter([]))


@app.route(route="fine")
def fine(req: func.HttpRequest) -> str:
    return "fine"
"""


def test_a_raising_sync_function_answers_500_with_its_own_traceback_in_the_console(
    write_app: AppWriter,
) -> None:
    # Extensions off: the function is called directly, no hook chain around it.
    app = write_app({"function_app.py": RAISING_APP, "local.settings.json": DISABLED_SETTINGS})
    with running_host(app, env={"PYTHON_THREADPOOL_THREAD_COUNT": "1"}) as host:
        with httpx.Client(timeout=30) as client:
            assert client.get(host.url("api/fail")).status_code == 500
            lines = host.wait_for(r"KeyError: 'no order o-17'")
            # StopIteration cannot be set on an asyncio future; it still answers at once.
            assert client.get(host.url("api/stop")).status_code == 500
            host.wait_for(r"Exception while executing function: Functions\.stop")
            assert client.get(host.url("api/fine")).text == "fine"  # the one thread lives on
        output = host.output
    assert lines
    failure = output[output.index("Exception while executing function: Functions.fail") :]
    failure = failure[: failure.index("KeyError: 'no order o-17'")]
    assert 'in fail\n    return look_up("o-17")' in failure
    assert "in look_up\n    raise KeyError" in failure
    assert "_pool.py" not in failure and "_dispatch.py" not in failure
    assert "StopIteration" in output[output.index("Functions.stop") :]
    assert "Exception in callback" not in output


TIMEOUT_APP = (
    GATE_APP
    + """

@app.route(route="after")
def after(req: func.HttpRequest) -> str:
    return "after"
"""
)


@pytest.mark.slow
def test_a_timed_out_sync_call_frees_its_thread_when_it_returns(write_app: AppWriter) -> None:
    app = write_app(
        {
            "function_app.py": TIMEOUT_APP,
            "host.json": '{"version": "2.0", "functionTimeout": "00:00:01"}',
            "local.settings.json": ENABLED_SETTINGS,
        }
    )
    with running_host(app, env={"PYTHON_THREADPOOL_THREAD_COUNT": "1"}) as host:
        with httpx.Client(timeout=30) as client:
            assert client.get(host.url("api/hold?name=late")).status_code == 500
            host.wait_for(r"Timeout value of 00:00:01 exceeded by function 'Functions\.hold'")
            assert _state(host)["running"] == 1  # a sync call cannot be stopped in its thread
            assert client.get(host.url("api/release")).text == "released"
            # The only thread comes back once the timed-out call returns, and serves again.
            assert client.get(host.url("api/after")).text == "after"
        output = host.output
    assert "Exception in callback" not in output and "InvalidStateError" not in output


# ``hold`` waits for a marker file instead: once the host is stopping it takes no requests.
SHUTDOWN_APP = """
import os
import time
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hold")
def hold(req: func.HttpRequest) -> str:
    for _ in range(600):
        if os.path.exists(os.environ["RELEASE_MARKER"]):
            break
        time.sleep(0.05)
    return req.params["name"]
"""


def _wait_until_refusing(host: RunningHost) -> None:
    """Poll until the host's port refuses connections: it has begun to stop."""
    port = int(host.base_url.rsplit(":", 1)[1])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return
        time.sleep(0.05)
    raise AssertionError("the host kept accepting connections after Ctrl-C")


def test_ctrl_c_waits_for_running_and_queued_sync_calls(
    write_app: AppWriter, tmp_path: Path
) -> None:
    marker = tmp_path / "release"
    app = write_app({"function_app.py": SHUTDOWN_APP, "local.settings.json": ENABLED_SETTINGS})
    env = {"PYTHON_THREADPOOL_THREAD_COUNT": "1", "RELEASE_MARKER": str(marker)}
    with running_host(app, env=env) as host:
        callers = Callers(host, ["first", "second"])
        host.wait_for(r"Executing 'Functions\.hold'", count=2)  # one runs, one is queued
        exit_code: List[int] = []
        stopping = threading.Thread(target=lambda: exit_code.append(host.stop()), daemon=True)
        stopping.start()
        _wait_until_refusing(host)  # the host is stopping, both calls still in flight
        marker.write_text("go")
        stopping.join(30)
        answers = callers.join()
    assert exit_code == [0]
    assert {name: answer.text for name, answer in answers.items()} == {
        "first": "first",
        "second": "second",
    }
    assert "Host stopped" in host.output
    assert "abandoned" not in host.output


SCOPE_APP = """
import logging
import threading
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
log = logging.getLogger("scope_app")


@app.route(route="note")
def note(req: func.HttpRequest) -> str:
    name = req.params["name"]
    log.info("note from %s on %s", name, threading.current_thread().name)
    return name
"""


def test_each_sync_call_on_a_reused_thread_runs_inside_its_own_invocation(
    write_app: AppWriter,
) -> None:
    app = write_app({"function_app.py": SCOPE_APP, "local.settings.json": ENABLED_SETTINGS})
    names = [f"n{n}" for n in range(6)]

    async def call_all(host: RunningHost) -> List[str]:
        async with httpx.AsyncClient(timeout=30) as client:
            answers = await asyncio.gather(
                *(client.get(host.url(f"api/note?name={name}")) for name in names)
            )
        return [answer.text for answer in answers]

    with running_host(app, env={"PYTHON_THREADPOOL_THREAD_COUNT": "1"}) as host:
        with watching(host):
            assert asyncio.run(call_all(host)) == names
        rows = [row for row in _invocations(host)["invocations"] if row["function"] == "note"]
        notes = {
            row["id"]: [
                line["message"]
                for line in _detail(host, row["id"])["logs"]
                if line["logger"] == "scope_app"
            ]
            for row in rows
        }
    assert len(notes) == len(names)
    assert sorted(line for lines in notes.values() for line in lines) == [
        f"note from {name} on funcext-invocation_0" for name in names
    ]
    assert all(len(lines) == 1 for lines in notes.values())
