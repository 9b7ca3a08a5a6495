"""The local host under load: requests per second and p50/p99 latency of a hello-world
HTTP function, against a bare uvicorn ASGI hello-world app and a Starlette one, same run.

Each server runs in its own process on 127.0.0.1 (the host's console going to /dev/null,
as a terminal nobody reads would); ``wrk`` keeps 16 keep-alive connections busy from its
own process (the Python generator ``loadgen.py`` stands in where wrk is missing, and the
table says so: it shares this process's interpreter and understates every server).
Variants take turns within each repeat so that machine noise hits them alike. All servers
share the machine's two cores with the generator, so absolute numbers are lower bounds;
the ratios are what to compare.

Every server runs on the same event loop and HTTP parser: the host always parses with h11
(its own protocol class), so the anchors are started with ``--http h11`` too, and all use
the loop uvicorn picks (uvloop when installed, else asyncio); each row's note says which.
Besides wall-clock rates, each server process's own CPU time (user + system, all threads,
from ``/proc``) is divided by the requests it answered: a figure that other load on the
machine barely moves, and the one to trust when the machine is busy.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

from . import wrk
from .harness import Row, Table, progress
from .loadgen import LoadResult, run_load

APPS = Path(__file__).parent / "host_apps"
# The sample with all four extensions; spans are dropped (exporter "none") so that the
# numbers are the extensions' cost, not the disk's.
ALL_APP = Path(__file__).resolve().parent.parent / "samples" / "all_extensions_app"
ALL_ENV = {"PYTHON_WORKER_EXTENSION_OPENCENSUS_EXPORTER": "none"}
BARE = "bare uvicorn ASGI app"
STARLETTE = "Starlette app on uvicorn"
PLAIN = "host, no extensions"
ALL = "host, all four extensions"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], name: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not listen on port {port} within 60 s")


def loop_name() -> str:
    """The event loop uvicorn's ``loop="auto"`` picks in this interpreter (the host's own
    setting), which the anchors are then given explicitly."""
    return "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"


PARSER = "h11"  # the host's protocol class is always h11's (host/protocol.py)


def _cpu_seconds(pid: int) -> Optional[float]:
    """User + system CPU seconds of process ``pid`` (all its threads) so far; None where
    ``/proc`` is not there."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def host_command(app: Path, port: int, *extra: str) -> List[str]:
    """``funcext start`` of ``app`` on 127.0.0.1:``port`` in this interpreter."""
    start = [sys.executable, "-m", "python_worker_extension_framework", "start"]
    return [*start, str(app), "--port", str(port), *extra]


def launch(
    label: str,
    command: List[str],
    cwd: Path,
    port: int,
    env: Dict[str, str],
    stderr: Any = subprocess.PIPE,
) -> subprocess.Popen[bytes]:
    """Start one server process (its console to /dev/null) and return it once it listens on
    ``port``; a process that exits or never listens is ended and reported."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=dict(os.environ, PYTHONUNBUFFERED="1", **env),
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    try:
        _wait_until_listening(port, process, label)
    except BaseException:
        _stop([process])
        raise
    return process


def _commands(port: int) -> Dict[str, Tuple[List[str], Path]]:
    commands = {
        BARE: (
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app:app",
                "--app-dir",
                str(APPS / "bare"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
                "--loop",
                loop_name(),
                "--http",
                PARSER,
            ],
            APPS / "bare",
        ),
        STARLETTE: (
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app:app",
                "--app-dir",
                str(APPS / "starlette"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
                "--loop",
                loop_name(),
                "--http",
                PARSER,
            ],
            APPS / "starlette",
        ),
        PLAIN: (host_command(APPS / "plain", port), APPS / "plain"),
        ALL: (host_command(ALL_APP, port), ALL_APP),
    }
    return commands


@contextlib.contextmanager
def _servers() -> Iterator[Dict[str, Tuple[str, int]]]:
    """Start every variant's server; yield its hello URL and process id by label."""
    processes: List[subprocess.Popen[bytes]] = []
    urls: Dict[str, Tuple[str, int]] = {}
    try:
        for label in _commands(0):
            port = _free_port()
            command, cwd = _commands(port)[label]
            env = ALL_ENV if label == ALL else {}
            process = launch(label, command, cwd, port, env)
            processes.append(process)
            path = "/" if label in (BARE, STARLETTE) else "/api/hello"
            urls[label] = (f"http://127.0.0.1:{port}{path}", process.pid)
        yield urls
    finally:
        _stop(processes)


def _stop(processes: List[subprocess.Popen[bytes]]) -> None:
    """End every server process (SIGTERM, then SIGKILL after 20 s)."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


def _check(label: str, result: LoadResult) -> LoadResult:
    """``result``, once it is known to hold only 200 answers and no connection errors."""
    bad = {status: n for status, n in result.statuses.items() if status != 200}
    if bad or result.errors:
        raise RuntimeError(f"{label}: non-200 answers {bad}, connection errors {result.errors}")
    return result


TARGETS = {
    (PLAIN, "req/s"): ">= 0.6x",
    (ALL, "req/s"): ">= 0.45x",
    (PLAIN, "p99"): "<= 1.5x",
    (ALL, "p99"): "<= 2.0x",
}


def _load(url: str, quick: bool) -> LoadResult:
    if wrk.available():
        return wrk.run(url, seconds=2 if quick else 5)
    return run_load(url, requests=1500 if quick else 6000, connections=16, max_seconds=30.0)


def run(quick: bool = False) -> List[Table]:
    repeats = 3 if quick else 5
    generator = "wrk, 1 thread" if wrk.available() else "loadgen.py (wrk not installed)"
    results: Dict[str, List[LoadResult]] = {}
    cpu: Dict[str, List[float]] = {}
    with _servers() as servers:
        for label, (url, _pid) in servers.items():
            progress(f"host: warming up {label}")
            _check(label, run_load(url, requests=300, connections=8))
        for repeat in range(repeats):
            for label, (url, pid) in servers.items():
                progress(f"host: repeat {repeat + 1}/{repeats}, {label}")
                before = _cpu_seconds(pid)
                result = _load(url, quick)
                after = _cpu_seconds(pid)
                _check(label, result)
                results.setdefault(label, []).append(result)
                if before is not None and after is not None and result.requests:
                    cpu.setdefault(label, []).append((after - before) / result.requests * 1e6)
    stack = f"loop {loop_name()}, parser {PARSER}"
    note = f"{generator}, {repeats} repeats, 16 connections; {stack}"
    throughput = Table(
        "Local host: requests per second (hello world)",
        baseline=BARE,
        higher_is_better=True,
        chart_overhead=False,
        description="Higher is better. "
        + " ".join(part.replace("\n", " ") for part in __doc__.split("\n\n")[1:3]),
    )
    p50 = Table("Local host: p50 latency", baseline=BARE, chart_overhead=False)
    p99 = Table("Local host: p99 latency", baseline=BARE, chart_overhead=False)
    cpu_table = Table(
        "Local host: server CPU time per request",
        baseline=BARE,
        chart_overhead=False,
        description=(
            "Lower is better. The server process's CPU time (all threads) during each wrk "
            "run over the requests it answered. Throughput on a free core is about its "
            "inverse, so 1 / ratio here is the throughput ratio without the machine's noise "
            "(the req/s targets read as: host <= 1.67x, all four <= 2.22x of the bare app)."
        ),
    )
    for label, runs in results.items():
        target = TARGETS.get((label, "req/s"))
        throughput.rows.append(
            Row(
                label,
                [r.requests_per_second for r in runs],
                unit="req/s",
                note=note + (f"; target {target}" if target else ""),
            )
        )
        p50.rows.append(Row(label, [r.percentile(0.50) for r in runs], unit="ms"))
        target = TARGETS.get((label, "p99"))
        p99.rows.append(
            Row(
                label,
                [r.percentile(0.99) for r in runs],
                unit="ms",
                note=f"target {target}" if target else "",
            )
        )
        if label in cpu:
            cpu_table.rows.append(Row(label, cpu[label], unit="us", note=stack))
        if runs and runs[0].latencies_ms:
            throughput.latencies[label] = [ms for r in runs for ms in r.latencies_ms]
    return [throughput, p50, p99] + ([cpu_table] if cpu_table.rows else [])
