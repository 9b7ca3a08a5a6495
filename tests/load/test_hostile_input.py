"""The local host under at least 10,000 generated malformed or oversized requests, sent over
raw sockets to 127.0.0.1 from 16 threads, bounded in count and time.

None of these requests may run a function: they are malformed, cut off, too large, refused
by the Host/Origin rules, or aimed at a method or route that does not exist. Afterwards the
host must still be running, its console must hold no traceback, and good requests must
still be answered. The figures are printed (``pytest -s``) and, with
``HOSTILE_INPUT_REPORT=path``, written there as JSON; the readme quotes them.
"""

from __future__ import annotations

import json
import os
import random
import socket
import struct
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List

import httpx
import pytest
from python_worker_extension_framework.testing import RunningHost, running_host

TARGET = 10_000
TIME_BUDGET_SECONDS = 75.0
THREADS = 16
MAX_BODY = 65_536
SEED = 20261201

APP = """
import logging
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="echo", methods=["POST"])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(req.get_body())


@app.route(route="hello", methods=["GET"])
def hello(req: func.HttpRequest) -> str:
    return "hello"


@app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer", run_on_startup=False)
def tick(timer: func.TimerRequest) -> None:
    logging.info("tick ran")
"""
SETTINGS = '{"IsEncrypted": false, "Values": {"PYTHON_ENABLE_WORKER_EXTENSIONS": "1"}}'


ANSWER, HALF_CLOSE, RESET = "wait for the answer", "close our side", "reset"


@dataclass
class Hostile:
    """One generated request: the bytes, and how the client leaves: it waits for the
    answer, closes its side at once (the body will never come), or resets the connection."""

    kind: str
    data: bytes
    leave: str = ANSWER


def _line(method: bytes, target: bytes, headers: List[bytes], body: bytes = b"") -> bytes:
    return (
        method
        + b" "
        + target
        + b" HTTP/1.1\r\n"
        + b"".join(h + b"\r\n" for h in headers)
        + (b"\r\n" + body)
    )


HOST = b"Host: 127.0.0.1"


def _random_bytes(rng: random.Random) -> Hostile:
    return Hostile("random-bytes", rng.randbytes(rng.randint(1, 4000)), HALF_CLOSE)


def _bad_request_line(rng: random.Random) -> Hostile:
    lines = [
        b"G\x00ET / HTTP/1.1",
        b"GET / HTTP/9.9",
        b"GET /",
        b"GET  /  HTTP/1.1",
        b"\xff\xfe / HTTP/1.1",
        b"GET / HTTP/1.1 extra",
        b"PRI * HTTP/2.0\r\n\r\nSM",
        b"GET /api/\xc3\xa9\xff HTTP/1.1",
        b"GET http://attacker.example/api/hello HTTP/1.1",
        b"CONNECT 127.0.0.1:22 HTTP/1.1",
        b"OPTIONS * HTTP/1.1",
        b"" + bytes(rng.choice(range(1, 32)) for _ in range(20)),
    ]
    return Hostile("bad-request-line", rng.choice(lines) + b"\r\n" + HOST + b"\r\n\r\n")


def _bad_headers(rng: random.Random) -> Hostile:
    bad = [
        b"X-A: \x00\x01",
        b"No-Colon-Here",
        b"X-Space : 1",
        b" folded: continuation",
        b"X-Nl: a\rb",
        b"Content-Length: -1",
        b"Content-Length: 1e3",
        b"Content-Length: 12abc",
        b"Content-Length: 5\r\nContent-Length: 6",
        b"Transfer-Encoding: gzip, chunked\r\nContent-Length: 4",
        b"Transfer-Encoding: identity",
        b"Host: 127.0.0.1\r\nHost: 127.0.0.2",
        "X-Unicode: \u2603".encode(),
    ]
    # GET /api/hello: a header h11 lets through (the snowman) makes a valid request, which
    # may run hello; echo and tick must never run.
    return Hostile("bad-headers", _line(b"GET", b"/api/hello", [HOST, rng.choice(bad)]))


def _oversized_head(rng: random.Random) -> Hostile:
    choice = rng.randrange(3)
    if choice == 0:
        head = _line(b"GET", b"/api/hello", [HOST, b"X-Big: " + b"a" * rng.randint(20_000, 90_000)])
    elif choice == 1:
        head = _line(b"GET", b"/api/" + b"b" * rng.randint(20_000, 90_000), [HOST])
    else:
        many = [b"X-H%d: %d" % (n, n) for n in range(rng.randint(1_000, 3_000))]
        head = _line(b"GET", b"/api/hello", [HOST, *many])
    return Hostile("oversized-head", head)


def _oversized_body(rng: random.Random) -> Hostile:
    size = rng.choice([MAX_BODY + 1, 10 * MAX_BODY, 2**40, 10**30])
    target = rng.choice([b"/api/echo", b"/admin/functions/tick"])
    expect = [b"Expect: 100-continue"] if rng.random() < 0.3 else []
    head = _line(b"POST", target, [HOST, b"Content-Length: %d" % size, *expect])
    return Hostile("oversized-body", head + b"x" * rng.randint(0, 2000))


def _partial_body(rng: random.Random) -> Hostile:
    target, body = rng.choice(
        [(b"/api/echo", b"twelve bytes"), (b"/admin/functions/tick", b'{"input": 1}')]
    )
    declared = len(body) + rng.randint(1, 5000)
    head = _line(b"POST", target, [HOST, b"Content-Length: %d" % declared], body)
    return Hostile("partial-body", head, RESET if rng.random() < 0.5 else HALF_CLOSE)


def _bad_chunked(rng: random.Random) -> Hostile:
    bodies = [
        b"zz\r\nhello\r\n0\r\n\r\n",
        b"5\r\nhello0\r\n\r\n",
        b"FFFFFFFFFFFFFFFFFF\r\nabc",
        b"5;" + b"e" * 70_000,  # an endless chunk extension
        b"-5\r\nhello\r\n0\r\n\r\n",
        b"5\r\nhel",  # breaks off
        b"3\r\nabc\r\n" * rng.randint(1, 50),  # never ends
    ]
    target = rng.choice([b"/api/echo", b"/admin/functions/tick", b"/api/hello"])
    method = rng.choice([b"POST", b"DELETE"])
    head = _line(method, target, [HOST, b"Transfer-Encoding: chunked"], rng.choice(bodies))
    return Hostile("bad-chunked", head, RESET if rng.random() < 0.3 else HALF_CLOSE)


def _foreign_host_or_origin(rng: random.Random) -> Hostile:
    headers = rng.choice(
        [
            [b"Host: attacker.example", b"Origin: http://attacker.example"],
            [b"Host: 127.0.0.1.attacker.example:7071"],
            [HOST, b"Origin: http://attacker.example"],
            [HOST, b"Origin: null"],
            [HOST, b"Sec-Fetch-Site: cross-site"],
        ]
    )
    body = b'{"input": "x"}'
    head = _line(
        b"POST",
        rng.choice([b"/admin/functions/tick", b"/api/echo"])
        if headers[0] != HOST
        else b"/admin/functions/tick",
        [*headers, b"Content-Type: text/plain", b"Content-Length: %d" % len(body)],
        body,
    )
    return Hostile("foreign-host-or-origin", head)


def _bad_admin_json(rng: random.Random) -> Hostile:
    bodies = [
        b"[" * rng.randint(10_000, MAX_BODY - 10),
        b'{"input": ' * 6000,
        b"\xff\xfe\xfd",
        b'{"input": ' + b"9" * 6000 + b"}",
        b"{'input': 1}",
        b"[1, 2, 3]",
        b'"just a string"',
        rng.randbytes(rng.randint(1, 3000)),
    ]
    body = rng.choice(bodies)
    head = _line(
        b"POST",
        b"/admin/functions/tick",
        [HOST, b"Content-Type: application/json", b"Content-Length: %d" % len(body)],
        body,
    )
    return Hostile("bad-admin-json", head)


def _no_such_route_or_method(rng: random.Random) -> Hostile:
    method, target = rng.choice(
        [
            (b"DELETE", b"/api/hello"),
            (b"PUT", b"/api/echo"),
            (b"GET", b"/admin/functions/tick"),
            (b"POST", b"/admin/functions/nope"),
            (b"POST", b"/admin/functions/echo"),  # an HTTP function: 400
            (b"GET", b"/api/%ZZ/%00/../../etc/passwd"),
            (b"GET", b"/" + rng.randbytes(8).hex().encode()),
        ]
    )
    return Hostile("no-such-route-or-method", _line(method, target, [HOST, b"Content-Length: 0"]))


def _websocket_upgrade(rng: random.Random) -> Hostile:
    headers = [HOST, b"Connection: Upgrade", b"Upgrade: websocket", b"Sec-WebSocket-Version: 13"]
    return Hostile("upgrade", _line(b"GET", b"/api/hello", headers))


GENERATORS: List[Callable[[random.Random], Hostile]] = [
    _random_bytes,
    _bad_request_line,
    _bad_headers,
    _oversized_head,
    _oversized_body,
    _partial_body,
    _bad_chunked,
    _foreign_host_or_origin,
    _bad_admin_json,
    _no_such_route_or_method,
    _websocket_upgrade,
]


def _send(port: int, hostile: Hostile) -> str:
    """Send one request; return the status code answered, or how the connection ended."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            try:
                sock.sendall(hostile.data)
            except OSError:
                return "closed-while-sending"
            if hostile.leave == RESET:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return "client-reset"
            if hostile.leave == HALF_CLOSE:
                sock.shutdown(socket.SHUT_WR)
            answer = sock.recv(65536)  # the status line, or b"" when the host closed
        if answer.startswith(b"HTTP/1.1 ") and len(answer) >= 12:
            return answer[9:12].decode("ascii", "replace")
        return "closed-without-answer" if not answer else "other-answer"
    except socket.timeout:
        return "client-timeout"
    except ConnectionResetError:
        return "server-reset"
    except OSError as exc:
        return f"connect-error:{type(exc).__name__}"


def _slow_headers(port: int, count: int) -> int:
    """``count`` connections trickling headers; how many the host cut off (headers or not)."""
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(count)]
    cut = 0
    try:
        for sock in sockets:
            sock.sendall(b"GET /api/hello HTTP/1.1\r\nX-Slow: ")
        deadline = time.monotonic() + 20
        open_ones = list(sockets)
        while open_ones and time.monotonic() < deadline:
            for sock in list(open_ones):
                try:
                    sock.sendall(b"a")
                    sock.settimeout(0.05)
                    if sock.recv(4096) is not None:
                        cut += 1
                        open_ones.remove(sock)
                except socket.timeout:
                    continue
                except OSError:
                    cut += 1
                    open_ones.remove(sock)
    finally:
        for sock in sockets:
            sock.close()
    return cut


def _executions(host: RunningHost) -> int:
    """Runs of echo and tick, which no hostile request may cause (hello may run: a request
    with an unusual but valid header is still a request)."""
    marks = ("Executing 'Functions.echo'", "Executing 'Functions.tick'")
    return sum(
        line.startswith(marks, line.find("Executing")) for line in host.lines if "Executing" in line
    )


@pytest.mark.slow
def test_ten_thousand_hostile_requests_crash_nothing_and_run_nothing(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "function_app.py").write_text(APP)
    (app / "local.settings.json").write_text(SETTINGS)
    args = ["--max-body-size", str(MAX_BODY), "--header-timeout", "2", "--body-timeout", "2"]
    rng = random.Random(SEED)
    requests = [rng.choice(GENERATORS)(rng) for _ in range(TARGET)]
    outcomes: Counter[str] = Counter()
    by_kind: Dict[str, Counter[str]] = {}
    lock = threading.Lock()
    with running_host(app, args=args) as host:
        port = int(host.base_url.rsplit(":", 1)[1])
        executions_before = _executions(host)
        lines_before = len(host.lines)
        started = time.monotonic()
        stop_at = started + TIME_BUDGET_SECONDS

        def one(hostile: Hostile) -> None:
            if time.monotonic() > stop_at:
                return
            outcome = _send(port, hostile)
            with lock:
                outcomes[outcome] += 1
                by_kind.setdefault(hostile.kind, Counter())[outcome] += 1

        with ThreadPoolExecutor(THREADS) as pool:
            slow = pool.submit(_slow_headers, port, 30)
            list(pool.map(one, requests))
            slow_cut = slow.result()
        seconds = time.monotonic() - started
        alive = host.process.poll() is None
        good = [httpx.get(host.url("api/hello"), timeout=10).text for _ in range(20)]
        echoed = httpx.post(host.url("api/echo"), content=b"still here", timeout=10).text
        ticked = httpx.post(host.url("admin/functions/tick"), content=b"{}", timeout=10)
        host.wait_for(r"Executed 'Functions\.tick' \(Succeeded")
        hostile_runs = _executions(host) - executions_before - 2  # less the good echo and tick
        output = host.output
        other_lines = [
            line
            for line in host.lines[lines_before:]
            if "Execut" not in line and "tick ran" not in line
        ]
    sent = sum(outcomes.values())
    report = {
        "requests_sent": sent,
        "seconds": round(seconds, 1),
        "threads": THREADS,
        "seed": SEED,
        "outcomes": dict(outcomes.most_common()),
        "by_kind": {kind: dict(c.most_common()) for kind, c in sorted(by_kind.items())},
        "slow_header_connections_cut": slow_cut,
        "host_crashes": 0 if alive else 1,
        "tracebacks_on_console": output.count("Traceback"),
        "other_console_lines": len(other_lines),
        "functions_run_by_hostile_requests": hostile_runs,
        "good_requests_answered_after": sum(g == "hello" for g in good)
        + (echoed == "still here")
        + (ticked.status_code == 202),
    }
    print(json.dumps(report, indent=2))
    if os.environ.get("HOSTILE_INPUT_REPORT"):
        Path(os.environ["HOSTILE_INPUT_REPORT"]).write_text(json.dumps(report, indent=2))
    assert sent >= TARGET, f"only {sent} requests within {TIME_BUDGET_SECONDS}s"
    assert alive
    assert report["tracebacks_on_console"] == 0, output[-5000:]
    assert "Exception in" not in output
    assert "Internal error" not in output and "ASGI callable" not in output, other_lines
    assert len(other_lines) <= 10, other_lines  # each kind of complaint once a minute
    assert hostile_runs == 0
    assert slow_cut == 30
    assert good == ["hello"] * 20 and echoed == "still here" and ticked.status_code == 202
    assert not any(o.startswith("connect-error") for o in outcomes), outcomes
