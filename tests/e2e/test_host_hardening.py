"""The local host against hostile or broken input: foreign Host and Origin, bodies that
never arrive, deep JSON, slow clients, misconfiguration, a black-hole exporter, Ctrl-C
during start-up. Each test drives the real host in a subprocess over 127.0.0.1."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import httpx
import pytest
from python_worker_extension_framework.testing import RunningHost, running_host

from .conftest import ENABLED_SETTINGS, AppWriter

APP = """
import logging
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="echo", methods=["POST"])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    logging.info("echo received %d bytes", len(req.get_body()))
    return func.HttpResponse(req.get_body())


@app.route(route="hello", methods=["GET"])
def hello(req: func.HttpRequest) -> str:
    return "hello"


@app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer", run_on_startup=False)
def tick(timer: func.TimerRequest) -> None:
    logging.info("tick ran")
"""


def _write(folder: Path, files: Dict[str, str]) -> Path:
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    app = _write(
        tmp_path_factory.mktemp("hardening") / "app",
        {"function_app.py": APP, "local.settings.json": ENABLED_SETTINGS},
    )
    args = ["--header-timeout", "1", "--body-timeout", "1"]
    with running_host(app, args=args) as running:
        yield running


def _port(host: RunningHost) -> int:
    return int(host.base_url.rsplit(":", 1)[1])


def _raw(host: RunningHost, data: bytes, timeout: float = 15.0) -> bytes:
    """Send ``data``, close our side, and return everything the host answers."""
    with socket.create_connection(("127.0.0.1", _port(host)), timeout=timeout) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def _count(host: RunningHost, text: str) -> int:
    return sum(text in line for line in host.lines)


def _settled_count(host: RunningHost, text: str, quiet: float = 0.3, limit: float = 10.0) -> int:
    """``_count`` once the host's output has caught up with the requests already answered:
    its lines reach the test through a pipe and a reader thread, a little after the answer."""
    deadline = time.monotonic() + limit
    count, since = _count(host, text), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet:
        time.sleep(0.05)
        now = _count(host, text)
        if now != count:
            count, since = now, time.monotonic()
    return count


def _run_tick(host: RunningHost, headers: Optional[Dict[str, str]] = None) -> httpx.Response:
    return httpx.post(
        host.url("admin/functions/tick"), content=b"{}", headers=headers or {}, timeout=15
    )


def _tick_runs_to_completion(host: RunningHost) -> int:
    """Run ``tick`` properly and wait for it: every earlier request has been handled."""
    done = _count(host, "Executed 'Functions.tick'")
    assert _run_tick(host).status_code == 202
    host.wait_for(r"Executed 'Functions\.tick'", count=done + 1)
    return _count(host, "Executing 'Functions.tick'")


def test_a_web_page_cannot_run_functions_through_a_foreign_host_or_origin(
    host: RunningHost,
) -> None:
    before = _count(host, "Executing 'Functions.tick'")
    page = {
        "host": "attacker.example:7071",
        "origin": "http://attacker.example:7071",
        "content-type": "text/plain",
    }
    answer = _run_tick(host, page)
    assert answer.status_code == 403
    assert "--allow-host attacker.example" in answer.text
    rebound = httpx.get(host.url("api/hello"), headers={"host": "attacker.example"})
    assert rebound.status_code == 403
    cross_origin = _run_tick(
        host, {"origin": "http://attacker.example", "content-type": "text/plain"}
    )
    assert cross_origin.status_code == 403
    assert "Cross-origin request refused" in cross_origin.text
    assert _run_tick(host, {"sec-fetch-site": "cross-site"}).status_code == 403
    assert _tick_runs_to_completion(host) == before + 1  # only the proper call ran
    assert _count(host, "Refused a request") >= 1


def test_loopback_names_and_the_hosts_own_origin_are_served(host: RunningHost) -> None:
    port = _port(host)
    for name in (f"localhost:{port}", f"127.0.0.1:{port}", f"app.localhost:{port}"):
        assert httpx.get(host.url("api/hello"), headers={"host": name}).text == "hello"
    same_origin = _run_tick(host, {"origin": host.base_url, "sec-fetch-site": "same-origin"})
    assert same_origin.status_code == 202


def test_allow_host_lets_a_named_host_in(write_app: AppWriter) -> None:
    app = write_app({"function_app.py": APP, "local.settings.json": ENABLED_SETTINGS})
    with running_host(app, args=["--allow-host", "devbox.test"]) as running:
        ok = httpx.get(running.url("api/hello"), headers={"host": "devbox.test:7071"})
        other = httpx.get(running.url("api/hello"), headers={"host": "other.test"})
    assert (ok.status_code, ok.text) == (200, "hello")
    assert other.status_code == 403


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /api/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\ntwelve bytes",
        b"POST /api/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n400\r\nonly a little",
        b"POST /admin/functions/tick HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50\r\n\r\n"
        b'{"input": 1}',  # valid JSON so far: only the missing bytes say it is partial
    ],
    ids=["content-length-not-filled", "chunked-body-breaks-off", "admin-body-breaks-off"],
)
def test_a_body_that_never_arrived_never_runs_a_function(
    host: RunningHost, request_bytes: bytes
) -> None:
    echoes = _settled_count(host, "Executing 'Functions.echo'")
    ticks = _count(host, "Executing 'Functions.tick'")
    assert _raw(host, request_bytes) == b""  # no answer: the client is gone
    after = _tick_runs_to_completion(host)
    assert after == ticks + 1  # only the proper call
    good = httpx.post(host.url("api/echo"), content=b"whole")
    assert good.text == "whole"
    assert _settled_count(host, "Executing 'Functions.echo'") == echoes + 1


def test_deeply_nested_json_is_a_400_with_the_reason(host: RunningHost) -> None:
    answer = httpx.post(host.url("admin/functions/tick"), content=b"[" * 100_000, timeout=15)
    assert answer.status_code == 400
    assert "nested too deeply" in answer.text
    bad_utf8 = httpx.post(host.url("admin/functions/tick"), content=b'{"input": "\xff"}')
    assert bad_utf8.status_code == 400
    assert "must be JSON" in bad_utf8.text
    _tick_runs_to_completion(host)
    assert "Traceback" not in host.output
    assert "RecursionError" not in host.output


def test_a_chunked_protocol_error_after_a_405_prints_no_traceback(host: RunningHost) -> None:
    with socket.create_connection(("127.0.0.1", _port(host)), timeout=15) as sock:
        sock.sendall(
            b"DELETE /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
        )
        answer = sock.recv(4096)  # the 405 comes before the body is read
        sock.sendall(b"zz-not-a-chunk-size\r\n\r\n")
        rest = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 405")
    assert rest == b""  # the connection is closed; there is nothing more to say on it
    assert httpx.get(host.url("api/hello")).text == "hello"
    _tick_runs_to_completion(host)
    assert "Traceback" not in host.output


def test_a_websocket_upgrade_is_refused_and_runs_nothing(host: RunningHost) -> None:
    """The websocket library is imported at the first upgrade, not at start-up; the upgrade
    still goes to it and is refused with 403, never reaching a function as a plain GET
    would, and the host serves on."""
    runs_before = _count(host, "Executing 'Functions.hello'")
    for _ in range(2):
        answer = _raw(
            host,
            b"GET /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
            b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        )
        assert answer.split(b" ", 2)[1] == b"403", answer
    assert httpx.get(host.url("api/hello")).text == "hello"
    assert _settled_count(host, "Executing 'Functions.hello'") == runs_before + 1
    assert "Traceback" not in host.output


def test_slow_headers_are_timed_out(host: RunningHost) -> None:
    """30 clients send their headers a byte at a time; the host closes every one of them
    (408) long before they would finish (--header-timeout 1 here), and still serves."""
    request = b"GET /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"a" * 400
    sockets: List[socket.socket] = []
    for _ in range(30):
        sock = socket.create_connection(("127.0.0.1", _port(host)), timeout=5)
        sock.setblocking(False)
        sockets.append(sock)
    answers: Dict[socket.socket, bytes] = {}
    try:
        for position in range(len(request)):  # 450 bytes at 0.1 s each: 45 s if never cut
            open_ones = [s for s in sockets if s not in answers]
            if not open_ones:
                break
            for sock in open_ones:
                try:
                    sock.send(request[position : position + 1])
                except OSError:
                    answers[sock] = answers.get(sock, b"")
            readable, _, _ = select.select(open_ones, [], [], 0.1)
            for sock in readable:
                try:
                    answers[sock] = sock.recv(4096) or b""
                except OSError:
                    answers[sock] = b""
        assert len(answers) == 30, f"{30 - len(answers)} slow connection(s) still open"
        assert sum(a.startswith(b"HTTP/1.1 408") for a in answers.values()) >= 25
    finally:
        for sock in sockets:
            sock.close()
    assert httpx.get(host.url("api/hello")).text == "hello"


def test_a_slow_body_gets_408_and_runs_nothing(host: RunningHost) -> None:
    echoes = _settled_count(host, "Executing 'Functions.echo'")
    with socket.create_connection(("127.0.0.1", _port(host)), timeout=15) as sock:
        sock.sendall(b"POST /api/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nab")
        answer = sock.recv(4096)  # the rest of the body never comes
    assert answer.startswith(b"HTTP/1.1 408")
    assert b"--body-timeout" not in answer  # the reason names the limit, not the flag
    assert httpx.post(host.url("api/echo"), content=b"x").text == "x"
    assert _settled_count(host, "Executing 'Functions.echo'") == echoes + 1


# -- misconfiguration named at start -----------------------------------------------------

PORT_0 = ("--port", "0")


def _start_fails(app: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "python_worker_extension_framework", "start", str(app), *PORT_0],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    assert "Host started" not in output
    return output


DUPLICATE_ROUTES = """
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="items/{id}", methods=["GET"])
def get_item(req: func.HttpRequest) -> str:
    return "item"


@app.route(route="Items/{key}", methods=["GET", "DELETE"])
def get_item_again(req: func.HttpRequest) -> str:
    return "never reached"
"""


@pytest.mark.parametrize(
    "files, expected",
    [
        ({"host.json": '{"version": "2.0", "extensions": "x"}'}, "extensions must be an object"),
        (
            {"local.settings.json": '{"IsEncrypted": "true", "Values": {}}'},
            "IsEncrypted must be true or false without quotes",
        ),
        (
            {"host.json": '{"version": "2.0", "extensionBundle": {"id": "", "version": "4"}}'},
            "extensionBundle.id must be a non-empty string",
        ),
        (
            {
                "host.json": '{"version": "2.0", "extensionBundle": '
                '{"id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "[4.*, 5"}}'
            },
            "extensionBundle.version must be a version range",
        ),
        (
            {"function_app.py": DUPLICATE_ROUTES},
            "Functions.get_item and Functions.get_item_again have the same route",
        ),
    ],
    ids=["wrongly-typed-section", "is-encrypted-string", "bundle-id", "bundle-version", "routes"],
)
def test_misconfiguration_is_named_at_start(
    write_app: AppWriter, files: Dict[str, str], expected: str
) -> None:
    app = write_app({"function_app.py": APP, **files})
    output = _start_fails(app)
    assert "The host did not start" in output
    assert expected in output


def test_an_unknown_binding_type_is_named_at_start(write_app: AppWriter) -> None:
    app = write_app(
        {
            "Reader/__init__.py": "def main(req, doc):\n    return 'got ' + repr(doc)\n",
            "Reader/function.json": json.dumps(
                {
                    "bindings": [
                        {"type": "httpTrigger", "direction": "in", "name": "req"},
                        {"type": "blobb", "direction": "in", "name": "doc", "path": "a/b"},
                        {"type": "http", "direction": "out", "name": "$return"},
                    ]
                }
            ),
            "local.settings.json": ENABLED_SETTINGS,
        }
    )
    with running_host(app) as running:
        output = running.output
    assert "Functions.Reader: binding 'doc' has type 'blobb'" in output
    assert "did you mean 'blob'?" in output


# -- stopping ----------------------------------------------------------------------------


class _Console:
    """A host process's output, read as it comes."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: List[str] = []
        self.seen = threading.Condition()
        self.process = process
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self.seen:
                self.lines.append(line)
                self.seen.notify_all()

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        with self.seen:
            assert self.seen.wait_for(lambda: any(text in x for x in self.lines), timeout), "".join(
                self.lines
            )

    def all_output(self, timeout: float = 10.0) -> str:
        """Everything the process wrote, once the pipe is at its end: the process may have
        exited while this reader is still taking its last lines."""
        self._reader.join(timeout)
        with self.seen:
            return "".join(self.lines)


SLOW_IMPORT = """
import time
print("IMPORTING", flush=True)
time.sleep(60)
"""

BUSY_IMPORTS = """
import importlib
import sys
print("IMPORTING", flush=True)
names = [f"helper_{n}" for n in range(50)]
while True:  # import and forget modules as fast as possible: Ctrl-C lands inside imports
    for name in names:
        sys.modules.pop(name, None)
        importlib.import_module(name)
"""


@pytest.mark.parametrize("script", [SLOW_IMPORT, BUSY_IMPORTS], ids=["sleeping", "importing"])
def test_ctrl_c_during_start_up_stops_the_host(write_app: AppWriter, script: str) -> None:
    helpers = {f"helper_{n}.py": f"VALUE = {n}\n" for n in range(50)}
    app = write_app({"function_app.py": script, **helpers})
    process = subprocess.Popen(
        [sys.executable, "-m", "python_worker_extension_framework", "start", str(app), *PORT_0],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=str(app),
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    console = _Console(process)
    try:
        console.wait_for("IMPORTING")
        process.send_signal(signal.SIGINT)
        code = process.wait(20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = console.all_output()
    assert code == 130
    assert "Start-up interrupted (Ctrl-C): the host did not start." in output
    assert "Traceback" not in output


def _black_hole() -> Tuple[socket.socket, List[socket.socket]]:
    """A 127.0.0.1 endpoint that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: List[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return server, held


TRACED_APP = """
import os
import azure.functions as func
from python_worker_extension_opencensus import OpenCensusExtension

OpenCensusExtension.configure(
    connection_string=os.environ["BLACK_HOLE_CONNECTION"], enable_local_storage=False
)
app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="traced")
def traced(req: func.HttpRequest) -> str:
    return "traced"
"""


def test_shutdown_timeout_bounds_the_exit_with_a_black_hole_exporter(
    write_app: AppWriter,
) -> None:
    server, held = _black_hole()
    endpoint = f"http://127.0.0.1:{server.getsockname()[1]}/"
    app = write_app({"function_app.py": TRACED_APP, "local.settings.json": ENABLED_SETTINGS})
    env = {
        "BLACK_HOLE_CONNECTION": "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
        f"IngestionEndpoint={endpoint}",
        "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",
    }
    try:
        with running_host(app, env=env, args=["--shutdown-timeout", "1"]) as running:
            assert httpx.get(running.url("api/traced")).text == "traced"
            # The exporter's own request would wait 10 s and its exit-time flush 5 s more;
            # --shutdown-timeout 1 must end the process well before either.
            running.stop(timeout=6)
            output = running.output
    finally:
        server.close()
        for sock in held:
            sock.close()
    assert "Host stopped" in output
    assert "Traceback" not in output


STUCK_APP = """
import time
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="stuck")
def stuck(req: func.HttpRequest) -> str:
    time.sleep(120)  # a sync function cannot be stopped in its thread
    return "late"
"""


def test_ctrl_c_in_the_middle_of_a_stuck_request_still_ends_the_process(
    write_app: AppWriter,
) -> None:
    app = write_app({"function_app.py": STUCK_APP, "local.settings.json": ENABLED_SETTINGS})
    outcome: List[str] = []

    def call(url: str) -> None:
        try:
            outcome.append(str(httpx.get(url, timeout=30).status_code))
        except httpx.HTTPError as exc:
            outcome.append(type(exc).__name__)

    with running_host(app, args=["--shutdown-timeout", "1"]) as running:
        caller = threading.Thread(target=call, args=(running.url("api/stuck"),), daemon=True)
        caller.start()
        running.wait_for(r"Executing 'Functions\.stuck'")
        code = running.stop(timeout=8)  # the function alone would hold the exit for 120 s
        output = running.output
        caller.join(10)
    assert code == 1
    assert outcome and outcome != ["200"]  # the caller learns the host went away
    assert "did not exit within --shutdown-timeout (1s)" in output
    assert "Traceback" not in output
