"""Level by outcome, sampling (rate and the traceparent sampled flag), exclusions."""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

import azure.functions as func
import pytest
from python_worker_extension_framework.testing import make_context, make_http_request
from python_worker_extension_request_logging import LOGGER_NAME, RequestLoggingExtension

from .conftest import RunFunction

SAMPLED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
NOT_SAMPLED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"


def Status(req: func.HttpRequest) -> func.HttpResponse:
    code = int(req.params.get("status", "200"))
    if code == 0:
        raise ValueError("boom")
    return func.HttpResponse("x", status_code=code)


def call(
    run: RunFunction,
    status: int,
    *,
    path: str = "/api/status",
    headers: Optional[Dict[str, str]] = None,
    trace_parent: str = "",
    function: Any = Status,
) -> list[logging.LogRecord]:
    request = make_http_request(
        "GET", f"http://localhost{path}?status={status}", headers=headers or {}
    )
    context = make_context(function.__name__, trace_parent=trace_parent)
    return run(function, req=request, context=context)


@pytest.mark.parametrize(
    ("status", "level"),
    [
        (200, logging.INFO),
        (204, logging.INFO),
        (302, logging.INFO),
        (400, logging.WARNING),
        (404, logging.WARNING),
        (500, logging.ERROR),
        (503, logging.ERROR),
        (0, logging.ERROR),  # raised
    ],
)
def test_level_by_outcome(run: RunFunction, status: int, level: int) -> None:
    [log] = call(run, status)
    assert log.levelno == level


def test_levels_are_configurable_by_number_or_name(run: RunFunction) -> None:
    RequestLoggingExtension.configure(
        success_level=logging.DEBUG,
        client_error_level="info",
        server_error_level="CRITICAL",
        exception_level=logging.WARNING,
    )
    assert [call(run, s)[0].levelno for s in (200, 404, 500, 0)] == [
        logging.DEBUG,
        logging.INFO,
        logging.CRITICAL,
        logging.WARNING,
    ]


def test_nothing_is_built_when_the_level_is_disabled(run: RunFunction) -> None:
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(logging.WARNING)
    try:
        assert call(run, 200) == []
        [log] = call(run, 404)
        assert log.levelno == logging.WARNING
    finally:
        logger.setLevel(logging.NOTSET)


def test_sample_rate_zero_logs_only_failures(run: RunFunction) -> None:
    RequestLoggingExtension.configure(sample_rate=0.0)
    logged = {status: len(call(run, status)) for status in (200, 201, 302, 404, 500, 0)}
    assert logged == {200: 0, 201: 0, 302: 0, 404: 1, 500: 1, 0: 1}


def test_sample_rate_zero_for_other_triggers(run: RunFunction) -> None:
    RequestLoggingExtension.configure(sample_rate=0.0)

    def Worker(msg: func.QueueMessage) -> None:
        if msg.get_body() == b"fail":
            raise RuntimeError("x")

    assert run(Worker, msg=func.QueueMessage(body=b"ok")) == []
    [log] = run(Worker, msg=func.QueueMessage(body=b"fail"))
    assert log.request_log["outcome"] == "exception"  # type: ignore[attr-defined]


def test_sample_rate_keeps_about_that_fraction(run: RunFunction) -> None:
    RequestLoggingExtension.configure(sample_rate=0.25)
    kept = sum(
        len(call(run, 200, trace_parent=make_context().trace_context.trace_parent))
        for _ in range(800)
    )
    assert 120 < kept < 280


def test_rate_decision_follows_the_trace_id_so_a_trace_is_all_in_or_all_out(
    run: RunFunction,
) -> None:
    RequestLoggingExtension.configure(sample_rate=0.5, trace_sampling="off")
    low = "00-0af7651916cd43dd0000000000000001-b7ad6b7169203331-01"
    high = "00-0af7651916cd43ddffffffffffffffff-b7ad6b7169203331-01"
    assert all(len(call(run, 200, trace_parent=low)) == 1 for _ in range(20))
    assert all(len(call(run, 200, trace_parent=high)) == 0 for _ in range(20))


def test_incoming_sampled_flag_decides_for_successes(run: RunFunction) -> None:
    RequestLoggingExtension.configure(sample_rate=0.0)
    assert len(call(run, 200, headers={"traceparent": SAMPLED})) == 1
    RequestLoggingExtension.configure(sample_rate=1.0)
    assert call(run, 200, headers={"traceparent": NOT_SAMPLED}) == []
    # failures are logged whatever the flag says
    assert len(call(run, 500, headers={"traceparent": NOT_SAMPLED})) == 1
    assert len(call(run, 0, headers={"traceparent": NOT_SAMPLED})) == 1


def test_invalid_incoming_traceparent_falls_back_to_the_rate(run: RunFunction) -> None:
    RequestLoggingExtension.configure(sample_rate=1.0)
    assert len(call(run, 200, headers={"traceparent": "00-zz-yy-00"})) == 1
    RequestLoggingExtension.configure(sample_rate=0.0)
    assert call(run, 200, headers={"traceparent": "garbage-01"}) == []


def test_request_mode_ignores_a_trace_the_host_started(run: RunFunction) -> None:
    RequestLoggingExtension.configure(sample_rate=0.0)  # trace_sampling="request" by default
    assert call(run, 200, trace_parent=SAMPLED) == []


def test_context_mode_follows_the_invocation_trace_context(run: RunFunction) -> None:
    RequestLoggingExtension.configure(sample_rate=0.0, trace_sampling="context")
    assert len(call(run, 200, trace_parent=SAMPLED)) == 1
    RequestLoggingExtension.configure(sample_rate=1.0, trace_sampling="context")
    assert call(run, 200, trace_parent=NOT_SAMPLED) == []

    def Worker(msg: func.QueueMessage) -> None:
        return None

    context = make_context("Worker", trace_parent=NOT_SAMPLED)
    assert run(Worker, msg=func.QueueMessage(body=b"x"), context=context) == []


def test_off_mode_ignores_the_flag(run: RunFunction) -> None:
    RequestLoggingExtension.configure(sample_rate=1.0, trace_sampling="off")
    assert len(call(run, 200, headers={"traceparent": NOT_SAMPLED})) == 1


@pytest.mark.parametrize(
    "path",
    ["/api/health", "/API/Health", "/api/health/", "/api/h%65alth", "/api/internal/x/y"],
)
def test_excluded_paths_are_never_logged_even_when_failing(run: RunFunction, path: str) -> None:
    RequestLoggingExtension.configure(exclude_paths=["/api/health", "/api/internal/*"])
    assert call(run, 200, path=path) == []
    assert call(run, 500, path=path) == []
    assert call(run, 0, path=path) == []


def test_paths_near_an_exclusion_are_logged(run: RunFunction) -> None:
    RequestLoggingExtension.configure(exclude_paths="/api/health, /api/internal/*")
    for path in ("/api/healthz", "/api/internal", "/api/items"):
        assert len(call(run, 200, path=path)) == 1, path


def test_excluded_functions_are_never_logged(run: RunFunction) -> None:
    RequestLoggingExtension.configure(exclude=["HealthCheck"])

    def HealthCheck(req: func.HttpRequest) -> str:
        raise ValueError("down")

    assert call(run, 200, function=HealthCheck) == []
    assert len(call(run, 200)) == 1


def test_only_limits_logging_to_named_functions(run: RunFunction) -> None:
    RequestLoggingExtension.configure(only="Status")

    def Other(req: func.HttpRequest) -> str:
        return "x"

    assert call(run, 200, function=Other) == []
    assert len(call(run, 200)) == 1
