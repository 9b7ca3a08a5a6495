"""What the dashboard costs the host when no browser is open: requests per second of the
same app served with the dashboard on (the default) and off (``--no-dashboard``).

Two apps: the hello-world app without extensions, and the sample with all four extensions
(spans dropped: exporter ``none``), where the dashboard also keeps hook timings, log lines
and spans. Each variant runs in its own host process on 127.0.0.1, its console to
/dev/null; ``wrk`` (or ``loadgen.py`` where wrk is missing) keeps 16 keep-alive
connections busy. Within each repeat the four variants take turns, so that machine noise
hits them alike; the ratio of on to off for the same app, with the repeats' spread, is the
figure to read. Because ``wrk`` and four hosts share two cores with whatever else runs, a
second measure is exact about the same question: process CPU time per request of the host's
ASGI app driven in-process (``dashboard_driver.py``), dashboard on and off, one process per
measurement, interleaved.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

from . import wrk
from .bench_host import (
    ALL_APP,
    ALL_ENV,
    APPS,
    _check,
    _free_port,
    _load,
    _stop,
    host_command,
    launch,
)
from .harness import Row, Table, progress
from .loadgen import LoadResult, run_load

PLAIN_OFF = "plain host, dashboard off"
PLAIN_ON = "plain host, dashboard on (no browser)"
ALL_OFF = "four extensions, dashboard off"
ALL_ON = "four extensions, dashboard on (no browser)"
VARIANTS: Dict[str, Tuple[Path, List[str]]] = {
    PLAIN_OFF: (APPS / "plain", ["--no-dashboard"]),
    PLAIN_ON: (APPS / "plain", []),
    ALL_OFF: (ALL_APP, ["--no-dashboard"]),
    ALL_ON: (ALL_APP, []),
}


@contextlib.contextmanager
def _hosts() -> Iterator[Dict[str, str]]:
    """Start one host per variant; yield its hello URL by label."""
    processes: List[subprocess.Popen[bytes]] = []
    urls: Dict[str, str] = {}
    try:
        for label, (app, extra) in VARIANTS.items():
            port = _free_port()
            command = host_command(app, port, *extra)
            env = ALL_ENV if app == ALL_APP else {}
            processes.append(launch(label, command, app, port, env))
            urls[label] = f"http://127.0.0.1:{port}/api/hello"
        yield urls
    finally:
        _stop(processes)


def run(quick: bool = False) -> List[Table]:
    repeats = 3 if quick else 5
    generator = "wrk, 1 thread" if wrk.available() else "loadgen.py (wrk not installed)"
    results: Dict[str, List[LoadResult]] = {label: [] for label in VARIANTS}
    with _hosts() as urls:
        for label, url in urls.items():
            progress(f"dashboard: warming up {label}")
            _check(label, run_load(url, requests=600, connections=8))  # and fills the ring
        for repeat in range(repeats):
            for label, url in urls.items():
                progress(f"dashboard: repeat {repeat + 1}/{repeats}, {label}")
                results[label].append(_check(label, _load(url, quick)))
    note = f"{generator}, {repeats} repeats, 16 connections"
    tables = []
    for off, on, title in (
        (PLAIN_OFF, PLAIN_ON, "Dashboard cost, no browser open: plain host"),
        (ALL_OFF, ALL_ON, "Dashboard cost, no browser open: four extensions"),
    ):
        table = Table(
            f"{title} (requests per second)",
            baseline=off,
            higher_is_better=True,
            chart_overhead=False,
            description="Higher is better. " + " ".join(__doc__.split("\n\n")[1].split()),
        )
        for label in (off, on):
            rps = [r.requests_per_second for r in results[label]]
            table.rows.append(Row(label, rps, unit="req/s", note=note))
        tables.append(table)
    tables.append(_cpu_table(repeats, 1000 if quick else 3000))
    return tables


def _cpu_table(repeats: int, requests: int) -> Table:
    samples: Dict[str, List[float]] = {label: [] for label in VARIANTS}
    for repeat in range(repeats):
        for label, (app, _extra) in VARIANTS.items():
            progress(f"dashboard: CPU per request, repeat {repeat + 1}/{repeats}, {label}")
            mode = "on" if label in (PLAIN_ON, ALL_ON) else "off"
            env = dict(os.environ, **(ALL_ENV if app == ALL_APP else {}))
            command = [sys.executable, "-m", "bench.dashboard_driver", str(app), mode]
            done = subprocess.run(
                [*command, str(requests)],
                capture_output=True,
                text=True,
                env=env,
                cwd=Path(__file__).resolve().parent.parent,
                timeout=300,
                check=True,
            )
            samples[label].append(float(done.stdout.strip().splitlines()[-1]))
    table = Table(
        "Dashboard cost, no browser open: CPU time per request (in-process ASGI driver)",
        baseline=PLAIN_OFF,
        chart_overhead=False,
        description="Lower is better. Process CPU time per request of the host's ASGI app "
        f"called in-process ({requests} requests per measurement, the function run inline), "
        "each variant in its own process, interleaved; compare on with off for the same app.",
    )
    for label in VARIANTS:
        off = ALL_OFF if label in (ALL_OFF, ALL_ON) else PLAIN_OFF
        note = ""
        if label in (PLAIN_ON, ALL_ON):
            extra = statistics.median(samples[label]) - statistics.median(samples[off])
            note = f"{extra:+.1f} us vs dashboard off"
        table.rows.append(Row(label, samples[label], unit="us", note=note))
    return table
