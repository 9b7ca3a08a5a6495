"""Cold start: what a function app pays once per new worker process.

Two measurements, each in fresh interpreters, variants interleaved, median of many:

- **Import and configure**: the time from just before ``import`` to just after
  ``configure()``, measured inside a new ``python -c`` process (interpreter start-up itself
  excluded), for ``azure.functions`` alone, the framework, each extension and the original
  OpenCensus extension. A user pays this on every cold start of their app in Azure.
- **Local host, process start to first 200**: a server process started from nothing, polled
  with a GET until it answers 200: the bare uvicorn app, the Starlette app, the host with
  no extensions and the host with all four. A developer pays this on every ``funcext start``.
  Each host row has a floor row before it: the bare app plus only the imports that host
  cannot avoid (``azure.functions``; for all four also the OpenCensus library), so the
  distance between the two is the host's and the extensions' own.

Every child runs with compiled bytecode cached, as after ``pip install`` (which compiles
each wheel's modules): the editable installs of this repository have no ``__pycache__``,
and with ``PYTHONDONTWRITEBYTECODE`` set (as on CI machines) each fresh interpreter would
compile every framework and extension module again, some 30-40 ms that no installed app
pays. The cache lives in a temporary folder (``PYTHONPYCACHEPREFIX``), filled by one
uncounted run of each variant, so the working tree gets no ``__pycache__``.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from .bench_host import ALL, ALL_ENV, APPS, BARE, PLAIN, STARLETTE, _commands, _free_port
from .harness import Row, Table, progress

IMPORTS: List[Tuple[str, str, str]] = [
    ("azure.functions alone", "azure.functions", "import azure.functions"),
    ("framework", "python_worker_extension_framework", "import python_worker_extension_framework"),
    (
        "timer",
        "python_worker_extension_timer",
        "from python_worker_extension_timer import TimerExtension as E; E.configure()",
    ),
    (
        "request logging",
        "python_worker_extension_request_logging",
        "from python_worker_extension_request_logging import RequestLoggingExtension as E;"
        " E.configure()",
    ),
    (
        "retry context",
        "python_worker_extension_retry_context",
        "from python_worker_extension_retry_context import RetryContextExtension as E;"
        " E.configure()",
    ),
    (
        "OpenCensus (exporter none)",
        "python_worker_extension_opencensus",
        "from python_worker_extension_opencensus import OpenCensusExtension as E;"
        " E.configure(exporter='none')",
    ),
    (
        "OpenCensus (exporter azure)",
        "python_worker_extension_opencensus",
        "from python_worker_extension_opencensus import OpenCensusExtension as E;"
        " E.configure(exporter='azure')",
    ),
    (
        "original OpenCensus extension (its Azure exporter)",
        "opencensus.extension.azure.functions",
        "from opencensus.extension.azure.functions import OpenCensusExtension as E; E.configure()",
    ),
    (
        "OpenTelemetry (exporter none)",
        "python_worker_extension_opentelemetry",
        "from python_worker_extension_opentelemetry import OpenTelemetryExtension as E;"
        " E.configure(exporter='none')",
    ),
]

_TIMED = "import time; t = time.perf_counter(); {code}; print((time.perf_counter() - t) * 1000)"


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


# Azure exporters need a connection string to configure; this one points at a closed
# loopback port, and nothing is exported while measuring.
_CONNECTION_STRING = (
    "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/"
)


# The bytecode cache of the current run (see the module docstring); set by run().
_pycache: Optional[str] = None


def _child_env(**extra: str) -> Dict[str, str]:
    env = dict(os.environ, **extra)
    if _pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = _pycache
    return env


def _import_ms(code: str) -> float:
    env = _child_env(
        PYTHON_ENABLE_WORKER_EXTENSIONS="1",
        APPLICATIONINSIGHTS_CONNECTION_STRING=_CONNECTION_STRING,
    )
    output = subprocess.run(
        [sys.executable, "-c", _TIMED.format(code=code)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=60,
    ).stdout
    return float(output.strip().splitlines()[-1])


# The floors: the bare app with only what the host's variants cannot avoid importing, so the
# rows show how much of each host row is the host's own (see the apps' docstrings).
FLOOR_PLAIN = "floor of host, no extensions (bare app + azure.functions)"
FLOOR_ALL = "floor of host, all four (bare app + azure.functions + OpenCensus library)"
_FLOOR_APPS = {FLOOR_PLAIN: APPS / "floor_functions", FLOOR_ALL: APPS / "floor_opencensus"}


def _command(label: str, port: int) -> Tuple[List[str], Path]:
    if label not in _FLOOR_APPS:
        return _commands(port)[label]
    command, _ = _commands(port)[BARE]  # the same uvicorn command, another app folder
    folder = _FLOOR_APPS[label]
    return [str(folder) if part == str(APPS / "bare") else part for part in command], folder


def _first_200_ms(label: str) -> float:
    port = _free_port()
    command, cwd = _command(label, port)
    env = _child_env(PYTHONUNBUFFERED="1", **(ALL_ENV if label == ALL else {}))
    path = "/" if label in (BARE, STARLETTE, *_FLOOR_APPS) else "/api/hello"
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = started + 60
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{label} exited with code {process.returncode}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                connection.request("GET", path)
                if connection.getresponse().status == 200:
                    return (time.perf_counter() - started) * 1000
            time.sleep(0.005)
        raise RuntimeError(f"{label} did not answer 200 within 60 s")
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def cached_bytecode() -> Iterator[None]:
    """Child interpreters started by ``_child_env`` write and read bytecode in a temporary
    cache for the duration (see the module docstring); callers fill it with one uncounted
    run of each variant."""
    global _pycache
    _pycache = tempfile.mkdtemp(prefix="bench-pycache-")
    try:
        yield
    finally:
        shutil.rmtree(_pycache, ignore_errors=True)
        _pycache = None


def child_env(**extra: str) -> Dict[str, str]:
    """The environment of a measured child interpreter (bytecode cached inside
    ``cached_bytecode``)."""
    return _child_env(**extra)


def run(quick: bool = False) -> List[Table]:
    with cached_bytecode():
        return _measure(quick)


def _measure(quick: bool) -> List[Table]:
    import_runs, start_runs = (5, 3) if quick else (15, 7)
    imports = [(label, code) for label, module, code in IMPORTS if _installed(module)]
    labels = [BARE, STARLETTE, FLOOR_PLAIN, PLAIN, FLOOR_ALL, ALL]
    progress("cold start: one uncounted run of each variant fills the bytecode cache")
    for _, code in imports:
        _import_ms(code)
    for label in labels:
        _first_200_ms(label)
    import_ms: Dict[str, List[float]] = {}
    for repeat in range(import_runs):
        progress(f"cold start: imports, run {repeat + 1}/{import_runs}")
        for label, code in imports:
            import_ms.setdefault(label, []).append(_import_ms(code))
    imports_table = Table(
        "Cold start: import and configure(), fresh interpreter",
        baseline="azure.functions alone",
        chart_overhead=False,
        description=(
            f"Milliseconds from before the import to after `configure()`, inside a new "
            f"`python -c` process, {import_runs} runs each, variants interleaved, bytecode "
            "cached as after `pip install`. Each row includes `azure.functions` (every "
            "extension imports it)."
        ),
    )
    for label, _ in imports:
        imports_table.rows.append(Row(label, import_ms[label], unit="ms"))
    start_ms: Dict[str, List[float]] = {}
    for repeat in range(start_runs):
        progress(f"cold start: servers, run {repeat + 1}/{start_runs}")
        for label in labels:
            start_ms.setdefault(label, []).append(_first_200_ms(label))
    targets = {PLAIN: "target <= 1.3x", ALL: "target <= 1.6x"}
    starts_table = Table(
        "Cold start: process start to first 200",
        baseline=BARE,
        chart_overhead=False,
        description=(
            f"Milliseconds from starting the server process to the first 200 answer to a "
            f"polling GET (every 5 ms), {start_runs} runs each, variants interleaved, "
            "bytecode cached as after `pip install`."
        ),
    )
    for label in labels:
        starts_table.rows.append(
            Row(label, start_ms[label], unit="ms", note=targets.get(label, ""))
        )
    return [imports_table, starts_table]
