"""Per-invocation cost of the request-logging extension against the bare dispatcher, same run.

The function is an HTTP function that returns a fresh small JSON ``HttpResponse``; the
request is a POST with a query string holding a function key, the usual headers and a
small JSON body, so redaction has work to do. The extension's record goes to a handler
that formats it and drops it, as a real log handler would at least format it. Two rows
show what a record that is not emitted costs: a success skipped by ``sample_rate=0``, and
a record whose level the logger filters out (nothing is built then).
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Tuple

import azure.functions as func
from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.testing import make_context, make_http_request
from python_worker_extension_request_logging import LOGGER_NAME, RequestLoggingExtension

from .harness import (
    Table,
    measure_variants,
)

BASELINE = "bare dispatcher (no extensions)"


def _http_function(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        '{"id": 42, "name": "widget", "price": 9.5}', mimetype="application/json"
    )


VARIANTS: List[Tuple[str, Dict[str, Any], int]] = [
    ("request logging, defaults (text)", {}, logging.INFO),
    ('request logging, format="json"', {"format": "json"}, logging.INFO),
    (
        "request logging, json + headers + bodies",
        {
            "format": "json",
            "log_headers": ["user-agent", "content-type", "x-functions-key"],
            "log_body": True,
        },
        logging.INFO,
    ),
    ("request logging, success skipped (sample_rate=0)", {"sample_rate": 0.0}, logging.INFO),
    ("request logging, level filtered out", {}, logging.WARNING),
]


def _request() -> func.HttpRequest:
    return make_http_request(
        "POST",
        "http://localhost:7071/api/items/42?code=Zm9vYmFyYmF6cXV4&expand=price",
        headers={
            "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) bench/1.0",
            "X-Forwarded-For": "203.0.113.9:51234, 10.0.0.4",
            "x-functions-key": "c2VjcmV0LWZ1bmN0aW9uLWtleQ",
            "Content-Type": "application/json",
        },
        route_params={"id": "42"},
        json={"name": "widget", "qty": 3, "auth": {"password": "hunter2hunter2"}},
    )


def run(quick: bool = False) -> List[Table]:
    number = 2000 if quick else 20000
    table = Table(
        "Request logging: per-invocation overhead",
        baseline=BASELINE,
        description=(
            "One sync HTTP invocation through `Dispatcher.invoke` (worker-identical mode): a "
            "POST with a function key in the query, four headers and a small JSON body, the "
            "function returning a new JSON `HttpResponse`; each record is formatted and "
            "dropped by a handler. Overhead = row median minus the baseline median."
        ),
    )
    args = {"req": _request()}
    context = make_context("GetItem")
    dispatcher = Dispatcher()
    measure_variants(
        table,
        RequestLoggingExtension,
        LOGGER_NAME,
        VARIANTS,
        lambda: dispatcher.invoke(_http_function, args, context),
        number=number,
        name="request_logging",
    )
    return [table]
