"""The dashboard's HTTP side on a real host: where it is, who may read it, what it keeps,
how it streams, and that each invocation gets exactly its own log lines, spans and hooks."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List

import httpx
import pytest
from python_worker_extension_framework.testing import RunningHost, running_host

from .conftest import ENABLED_SETTINGS, AppWriter

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "dashboard_app"
API = "/_funcext/api/invocations"

BROKEN_HOOK_APP = """
import logging
import asyncio
import azure.functions as func
from azure.functions import AppExtensionBase


class BrokenHook(AppExtensionBase):
    @classmethod
    def pre_invocation_app_level(cls, logger, context, func_args, *args, **kwargs):
        raise RuntimeError("hook bug")


app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="ok")
def ok(req: func.HttpRequest) -> str:
    logging.getLogger("app").info("ran ok")
    return "ok"


@app.route(route="slow")
async def slow(req: func.HttpRequest) -> str:
    await asyncio.sleep(5)
    return "late"
"""


@pytest.fixture(scope="module")
def sample() -> Iterator[RunningHost]:
    with running_host(SAMPLE) as host:
        yield host


@contextlib.contextmanager
def watching(host: RunningHost) -> Iterator[None]:
    """A page's event stream held open (as a browser tab would), so that invocations are
    recorded in detail; closed on exit."""
    opened = threading.Event()
    stop = threading.Event()

    def follow() -> None:
        with (
            httpx.Client(timeout=None) as client,
            client.stream("GET", host.url("/_funcext/api/stream")) as stream,
        ):
            for line in stream.iter_lines():
                if line.startswith("event: snapshot"):
                    opened.set()
                if stop.is_set():
                    return

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    assert opened.wait(15), "the event stream did not open"
    try:
        yield
    finally:
        stop.set()  # the reader leaves at its next line (a batch or a keep-alive)


def _invocations(host: RunningHost) -> Dict[str, Any]:
    data: Dict[str, Any] = httpx.get(host.url(API)).json()
    return data


def _detail(host: RunningHost, invocation_id: str) -> Dict[str, Any]:
    answer = httpx.get(host.url(f"{API}/{invocation_id}"))
    assert answer.status_code == 200, answer.text
    data: Dict[str, Any] = answer.json()
    return data


def test_start_prints_the_dashboard_url_and_serves_the_page(sample: RunningHost) -> None:
    assert f"Dashboard: {sample.base_url}/_funcext/" in sample.output
    page = httpx.get(sample.url("/_funcext/"))
    assert page.status_code == 200 and "<title>funcext dashboard</title>" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    script = httpx.get(sample.url("/_funcext/static/app.js"))
    assert script.status_code == 200 and "EventSource" in script.text
    style = httpx.get(sample.url("/_funcext/static/style.css"))
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    urls = re.findall(
        r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"'`)]*", page.text + script.text + style.text
    )
    assert urls == ["http://www.w3.org/2000/svg"]  # an XML namespace name, never fetched
    moved = httpx.get(sample.url("/_funcext"))
    assert moved.status_code == 308 and moved.headers["location"] == "/_funcext/"


@pytest.mark.parametrize(
    "headers",
    [
        {"host": "evil.example"},
        {"origin": "http://evil.example"},
        {"sec-fetch-site": "cross-site"},
    ],
)
def test_other_sites_and_names_are_refused(sample: RunningHost, headers: Dict[str, str]) -> None:
    for path in ("/_funcext/", API, "/_funcext/api/stream"):
        answer = httpx.get(sample.url(path), headers=headers)
        assert answer.status_code == 403, (path, answer.text)


def test_the_dashboard_is_read_only(sample: RunningHost) -> None:
    answer = httpx.post(sample.url(API), content=b"{}")
    assert answer.status_code == 405 and answer.headers["allow"] == "GET"


def test_concurrent_invocations_each_keep_their_own_log_lines_spans_and_hooks(
    sample: RunningHost,
) -> None:
    names = [f"Caller{n:02d}" for n in range(24)]

    async def call_all() -> List[int]:
        async with httpx.AsyncClient() as client:
            answers = await asyncio.gather(
                *(client.get(sample.url(f"/api/hello?name={name}")) for name in names)
            )
        return [answer.status_code for answer in answers]

    with watching(sample):
        assert asyncio.run(call_all()) == [200] * len(names)
    rows = {
        row["route"].split("name=")[1]: row
        for row in _invocations(sample)["invocations"]
        if row["function"] == "hello" and "name=Caller" in (row["route"] or "")
    }
    assert sorted(rows) == names
    for name, row in rows.items():
        detail = _detail(sample, row["id"])
        greetings = [
            line["message"] for line in detail["logs"] if line["logger"] == "dashboard_app"
        ]
        assert greetings == [f"Greeting {name}"]
        assert [s["name"] for s in detail["spans"]] == [
            "hello",
            "compose-greeting",
            "look-up-title",
        ]
        root = detail["spans"][0]
        assert root["attributes"]["faas.invocation_id"] == row["id"]
        hooks = [(h["extension"], h["hook"]) for h in detail["hooks"]]
        assert hooks.count(("TimerExtension", "pre_invocation_app_level")) == 1
        assert hooks.count(("AuditExtension", "post_invocation_app_level")) == 1
        assert detail["response"]["status"] == 200
        assert detail["response"]["body"] == f"Hello, {name}."


def test_the_stream_sends_a_snapshot_then_new_invocations(sample: RunningHost) -> None:
    events: List[Dict[str, Any]] = []
    with (
        httpx.Client(timeout=30) as client,
        client.stream("GET", sample.url("/_funcext/api/stream")) as stream,
    ):
        assert stream.headers["content-type"].startswith("text/event-stream")
        kind = ""
        for line in stream.iter_lines():
            if line.startswith("event: "):
                kind = line[len("event: ") :]
            elif line.startswith("data: "):
                events.append({"event": kind, "data": json.loads(line[len("data: ") :])})
                if kind == "snapshot":
                    httpx.get(sample.url("/api/hello?name=Streamed"))
                elif any(
                    "name=Streamed" in (row["route"] or "")
                    for row in events[-1]["data"]["invocations"]
                ):
                    break
    assert events[0]["event"] == "snapshot" and "functions" in events[0]["data"]
    assert events[-1]["event"] == "batch"
    assert [f["function"] for f in events[-1]["data"]["functions"]] == ["hello"]


def test_a_retried_run_lists_every_attempt_with_its_delay_and_failure(sample: RunningHost) -> None:
    assert httpx.post(sample.url("/admin/functions/flaky"), json={"input": ""}).status_code == 202
    sample.wait_for(r"Executed 'Functions\.flaky' \(Succeeded", timeout=30)
    runs = [row for row in _invocations(sample)["invocations"] if row["function"] == "flaky"]
    detail = _detail(sample, runs[0]["id"])
    attempts = detail["attempts"]
    assert [(a["attempt"], a["outcome"]) for a in attempts] == [
        (1, "failed"),
        (2, "failed"),
        (3, "succeeded"),
    ]
    assert [a["policy_delay_ms"] for a in attempts] == [None, 1000.0, 1000.0]
    assert attempts[0]["error"] == "ConnectionError: dependency unavailable (attempt 1)"
    assert all(a["waited_ms"] >= 900 for a in attempts[1:])
    assert len({a["id"] for a in attempts}) == 3


def test_the_ring_is_bounded_and_forgets_the_oldest(write_app: AppWriter) -> None:
    app = write_app({"function_app.py": BROKEN_HOOK_APP, "local.settings.json": ENABLED_SETTINGS})
    with running_host(app, args=["--dashboard-capacity", "5"]) as host:
        ids = []
        for _ in range(12):
            httpx.get(host.url("/api/ok"))
        host.wait_for(r"Executed 'Functions\.ok'", count=12)
        data = _invocations(host)
        ids = [row["id"] for row in data["invocations"]]
        assert len(ids) == 5 and data["capacity"] == 5
        assert [row["seq"] for row in data["invocations"]] == [12, 11, 10, 9, 8]
        assert data["functions"][0]["count"] == 12
        first = host.output.split("Executing 'Functions.ok' (Reason=")[1].split("Id=")[1][:36]
        assert first not in ids
        assert httpx.get(host.url(f"{API}/{first}")).status_code == 404


def test_a_raising_hook_is_shown_with_its_error_and_its_system_log_line(
    write_app: AppWriter,
) -> None:
    app = write_app({"function_app.py": BROKEN_HOOK_APP, "local.settings.json": ENABLED_SETTINGS})
    with running_host(app) as host, watching(host):
        assert httpx.get(host.url("/api/ok")).text == "ok"
        host.wait_for(r"Executed 'Functions\.ok'")
        (row,) = _invocations(host)["invocations"]
        detail = _detail(host, row["id"])
    hooks = [(h["extension"], h["hook"], h["error"]) for h in detail["hooks"]]
    assert hooks == [
        ("BrokenHook", "pre_invocation_app_level", "RuntimeError: hook bug"),
        ("BrokenHook", "post_invocation_app_level", None),  # the worker calls inherited no-ops
    ]
    system = [line for line in detail["logs"] if line["category"] == "system"]
    assert system and system[0]["logger"] == "azure_functions_worker.extension.BrokenHook"
    assert "RuntimeError: hook bug" in system[0]["message"]
    assert [line["message"] for line in detail["logs"] if line["category"] == "user"] == ["ran ok"]


def test_a_timed_out_invocation_says_so(write_app: AppWriter) -> None:
    app = write_app(
        {
            "function_app.py": BROKEN_HOOK_APP,
            "local.settings.json": ENABLED_SETTINGS,
            "host.json": '{"version": "2.0", "functionTimeout": "00:00:01"}',
        }
    )
    with running_host(app) as host:
        assert httpx.get(host.url("/api/slow"), timeout=30).status_code == 500
        (row,) = _invocations(host)["invocations"]
        detail = _detail(host, row["id"])
    assert (row["outcome"], row["status"], row["failed"]) == ("timeout", 500, True)
    assert detail["error"]["type"] == "FunctionTimeout"


def test_an_open_stream_does_not_hold_up_the_exit(write_app: AppWriter) -> None:
    app = write_app({"function_app.py": BROKEN_HOOK_APP, "local.settings.json": ENABLED_SETTINGS})
    with (
        running_host(app, args=["--shutdown-timeout", "30"]) as host,
        httpx.Client(timeout=60) as client,
        client.stream("GET", host.url("/_funcext/api/stream")) as stream,
    ):
        lines = stream.iter_lines()
        assert next(lines).startswith("retry:")
        assert host.stop() == 0
        rest = list(lines)  # the stream ends with the server
    assert "timeout graceful shutdown exceeded" not in host.output
    assert all(not line.startswith("event: batch") for line in rest)


def test_no_dashboard_turns_it_off(write_app: AppWriter) -> None:
    app = write_app({"function_app.py": BROKEN_HOOK_APP, "local.settings.json": ENABLED_SETTINGS})
    with running_host(app, args=["--no-dashboard"]) as host:
        assert httpx.get(host.url("/api/ok")).text == "ok"
        assert httpx.get(host.url("/_funcext/")).status_code == 404
        assert "Dashboard:" not in host.output


def test_a_capacity_below_one_is_refused_at_start(write_app: AppWriter) -> None:
    app = write_app({"function_app.py": BROKEN_HOOK_APP})
    done = subprocess.run(
        [
            *(sys.executable, "-m", "python_worker_extension_framework", "start", str(app)),
            *("--port", "0", "--dashboard-capacity", "0"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--dashboard-capacity must be 1 or more, got 0" in done.stderr


def test_with_no_page_open_only_the_outcome_is_recorded(write_app: AppWriter) -> None:
    app = write_app({"function_app.py": BROKEN_HOOK_APP, "local.settings.json": ENABLED_SETTINGS})
    with running_host(app) as host:
        httpx.get(host.url("/api/ok?before=1"))
        with watching(host):
            httpx.get(host.url("/api/ok?during=1"))
            host.wait_for(r"Executed 'Functions\.ok'", count=2)
        rows = {row["route"]: row for row in _invocations(host)["invocations"]}
        before = _detail(host, rows["/api/ok?before=1"]["id"])
        during = _detail(host, rows["/api/ok?during=1"]["id"])
    assert (before["status"], before["outcome"], before["detailed"]) == (200, "succeeded", False)
    assert "hooks" not in before and "logs" not in before and "request" not in before
    assert during["detailed"] is True
    assert [line["message"] for line in during["logs"] if line["category"] == "user"] == ["ran ok"]
    assert during["hooks"] and during["response"]["body"] == "ok"
