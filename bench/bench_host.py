"""The local host under load: requests per second and p50/p99 latency of a hello-world
HTTP function, against a bare uvicorn ASGI hello-world app and a Starlette one, same run.

Each server runs in its own process on 127.0.0.1 (the host's console going to /dev/null,
as a terminal nobody reads would); ``wrk`` keeps 16 keep-alive connections busy from its
own process (the Python generator ``loadgen.py`` stands in where wrk is missing, and the
table says so: it shares this process's interpreter and understates every server).
Variants take turns within each repeat so that machine noise hits them alike. All servers
share the machine's two cores with the generator, so absolute numbers are lower bounds;
the ratios are what to compare.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

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
            ],
            APPS / "starlette",
        ),
        PLAIN: (host_command(APPS / "plain", port), APPS / "plain"),
        ALL: (host_command(ALL_APP, port), ALL_APP),
    }
    return commands


@contextlib.contextmanager
def _servers() -> Iterator[Dict[str, str]]:
    """Start every variant's server; yield its hello URL by label."""
    processes: List[subprocess.Popen[bytes]] = []
    urls: Dict[str, str] = {}
    try:
        for label in _commands(0):
            port = _free_port()
            command, cwd = _commands(port)[label]
            env = ALL_ENV if label == ALL else {}
            processes.append(launch(label, command, cwd, port, env))
            path = "/" if label in (BARE, STARLETTE) else "/api/hello"
            urls[label] = f"http://127.0.0.1:{port}{path}"
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
    with _servers() as urls:
        for label, url in urls.items():
            progress(f"host: warming up {label}")
            _check(label, run_load(url, requests=300, connections=8))
        for repeat in range(repeats):
            for label, url in urls.items():
                progress(f"host: repeat {repeat + 1}/{repeats}, {label}")
                result = _load(url, quick)
                _check(label, result)
                results.setdefault(label, []).append(result)
    note = f"{generator}, {repeats} repeats, 16 connections"
    throughput = Table(
        "Local host: requests per second (hello world)",
        baseline=BARE,
        higher_is_better=True,
        chart_overhead=False,
        description="Higher is better. " + __doc__.split("\n\n")[1].replace("\n", " "),
    )
    p50 = Table("Local host: p50 latency", baseline=BARE, chart_overhead=False)
    p99 = Table("Local host: p99 latency", baseline=BARE, chart_overhead=False)
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
        if runs and runs[0].latencies_ms:
            throughput.latencies[label] = [ms for r in runs for ms in r.latencies_ms]
    return [throughput, p50, p99]
