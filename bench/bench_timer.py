"""Per-invocation cost of the timer extension against the bare dispatcher, same run.

The function is an HTTP function that builds and returns a fresh ``HttpResponse`` (a
reused response would grow with every appended suffix). The timer's log line goes to a
handler that formats it and drops it, as a real log handler would at least format it;
one row filters the line out by level to show the hooks' own cost.
"""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Any, Dict, Iterator, List, Tuple

import azure.functions as func
from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.testing import make_context, make_http_request, registered
from python_worker_extension_timer import LOGGER_NAME, TimerExtension

from .harness import Row, Table, per_call_microseconds, progress


def _http_function(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("Hello, World. This HTTP triggered function executed successfully.")


class _FormatAndDrop(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        self.format(record)


class _TimerLogging:
    """The timer's logger at ``level`` with a format-and-drop handler, restored after."""

    def __init__(self, level: int) -> None:
        self.level = level
        self.logger = logging.getLogger(LOGGER_NAME)
        self.handler = _FormatAndDrop()

    def __enter__(self) -> None:
        self.saved = (self.logger.level, self.logger.propagate)
        self.logger.setLevel(self.level)
        self.logger.propagate = False
        self.logger.addHandler(self.handler)

    def __exit__(self, *exc: Any) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self.saved[0])
        self.logger.propagate = self.saved[1]


VARIANTS: List[Tuple[str, Dict[str, Any], int]] = [
    ("timer, append off (log only)", {}, logging.INFO),
    ("timer, append on", {"append_to_http_response": True}, logging.INFO),
    ("timer, Server-Timing on", {"add_server_timing_header": True}, logging.INFO),
    (
        "timer, append + Server-Timing",
        {"append_to_http_response": True, "add_server_timing_header": True},
        logging.INFO,
    ),
    ("timer, append off, line filtered out", {}, logging.WARNING),
]


@contextlib.contextmanager
def _extensions_enabled() -> Iterator[None]:
    saved = os.environ.get("PYTHON_ENABLE_WORKER_EXTENSIONS")
    os.environ["PYTHON_ENABLE_WORKER_EXTENSIONS"] = "1"
    try:
        yield
    finally:
        if saved is None:
            del os.environ["PYTHON_ENABLE_WORKER_EXTENSIONS"]
        else:
            os.environ["PYTHON_ENABLE_WORKER_EXTENSIONS"] = saved


def run(quick: bool = False) -> List[Table]:
    number = 2000 if quick else 20000
    table = Table(
        "Timer extension: per-invocation overhead",
        baseline="bare dispatcher (no extensions)",
        description=(
            "One sync HTTP invocation through `Dispatcher.invoke` (worker-identical mode), "
            "the function returning a new `HttpResponse`; the timer's line is formatted and "
            "dropped by a handler. Overhead = row median minus the baseline median."
        ),
    )
    args = {"req": make_http_request("GET", "http://localhost:7071/api/HttpTrigger")}
    context = make_context("HttpTrigger")
    dispatcher = Dispatcher()
    with _extensions_enabled():
        progress("timer: bare dispatcher")
        with registered():
            table.rows.append(
                Row(
                    "bare dispatcher (no extensions)",
                    per_call_microseconds(
                        lambda: dispatcher.invoke(_http_function, args, context), number=number
                    ),
                )
            )
        for label, options, level in VARIANTS:
            progress(f"timer: {label}")
            with registered(TimerExtension), _TimerLogging(level):
                TimerExtension.reset()
                TimerExtension.configure(**options)
                samples = per_call_microseconds(
                    lambda: dispatcher.invoke(_http_function, args, context), number=number
                )
                TimerExtension.reset()
            table.rows.append(Row(label, samples))
    baseline = table.row(table.baseline).median
    for row in table.rows[1:]:
        row.note = f"+{row.median - baseline:.2f} us"
    return [table]
