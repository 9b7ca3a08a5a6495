"""Per-invocation cost of the timer extension against the bare dispatcher, same run.

The function is an HTTP function that builds and returns a fresh ``HttpResponse`` (a
reused response would grow with every appended suffix). The timer's log line goes to a
handler that formats it and drops it, as a real log handler would at least format it;
one row filters the line out by level to show the hooks' own cost.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Tuple

import azure.functions as func
from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.testing import make_context, make_http_request
from python_worker_extension_timer import LOGGER_NAME, TimerExtension

from .harness import (
    Table,
    measure_variants,
)


def _http_function(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("Hello, World. This HTTP triggered function executed successfully.")


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
    measure_variants(
        table,
        TimerExtension,
        LOGGER_NAME,
        VARIANTS,
        lambda: dispatcher.invoke(_http_function, args, context),
        number=number,
        name="timer",
    )
    return [table]
