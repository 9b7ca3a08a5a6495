"""Failures are timed and leave nothing behind; concurrent invocations never share a time."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List

import azure.functions as func
import pytest
from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.core._attributes import STATE as STATE_PREFIX
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_framework.toolkit import invocation_state as state
from python_worker_extension_timer import LOGGER_NAME, TimerExtension

from ...clocks import PerfClock
from .conftest import LOG_LINE, body_time, timer_logs

# The worker these tests describe: on Python 3.13+ no worker runs extensions at all.
WORKER_WITH_EXTENSIONS = (3, 12)


def _class_state() -> Dict[str, Any]:
    return {name: value for name, value in vars(TimerExtension).items() if name != "__doc__"}


def failing(req: func.HttpRequest) -> func.HttpResponse:
    raise ValueError("no such item")


def test_failed_invocation_logs_its_time_with_the_exception_type(clock: PerfClock) -> None:
    def slow_failure(req: func.HttpRequest) -> func.HttpResponse:
        clock.advance(0.25)
        raise ValueError("no such item")

    TimerExtension.configure(append_to_http_response=True)
    record = invoke(
        slow_failure, capture_exception=True, function_name="HttpTrigger", req=make_http_request()
    )
    assert isinstance(record.exception, ValueError)
    (line,) = timer_logs(record)
    message = line.getMessage()
    match = LOG_LINE.match(message)
    assert match and match["function"] == "HttpTrigger", message
    assert float(match["seconds"]) == 0.25
    assert (
        message
        == f"Time taken to execute HttpTrigger is {match['seconds']} sec (raised ValueError)"
    )


def test_failed_invocation_leaves_no_state_on_the_context_or_the_class() -> None:
    TimerExtension.configure(append_to_http_response=True)
    TimerExtension.settings()
    before = _class_state()
    context = make_context("HttpTrigger")
    record = invoke(failing, capture_exception=True, context=context, req=make_http_request())
    assert isinstance(record.exception, ValueError)
    assert state.owners(context) == {}
    assert not [name for name in vars(context) if name.startswith(STATE_PREFIX)]
    assert _class_state() == before


def test_failed_invocation_in_worker_mode_is_not_kept_alive_by_the_extension() -> None:
    # The real worker runs no post hook when the function raises: the start time stays on
    # the context, and must go away with it; nothing at class level may hold on to it.
    TimerExtension.configure(append_to_http_response=True)
    TimerExtension.settings()
    before = _class_state()
    context = make_context("HttpTrigger")
    alive = weakref.ref(context)
    record = invoke(
        failing,
        capture_exception=True,
        context=context,
        dispatcher=Dispatcher(python_version=WORKER_WITH_EXTENSIONS),
        req=make_http_request(),
    )
    assert isinstance(record.exception, ValueError)
    assert timer_logs(record) == []  # the worker's behaviour: no post hook, no line
    assert _class_state() == before
    del context, record
    gc.collect()
    assert alive() is None


def test_successful_invocation_leaves_no_state_either() -> None:
    TimerExtension.configure(append_to_http_response=True)
    TimerExtension.settings()
    before = _class_state()
    context = make_context("HttpTrigger")
    invoke(lambda req: func.HttpResponse("ok"), context=context, req=make_http_request())
    assert state.owners(context) == {}
    assert _class_state() == before


def test_32_concurrent_invocations_in_the_thread_pool_each_report_their_own_time(
    caplog: pytest.LogCaptureFixture, clock: PerfClock
) -> None:
    count = 32
    step = 0.25
    all_in_flight = threading.Barrier(count)

    def sleeper(req: func.HttpRequest) -> func.HttpResponse:
        index = int(req.params["i"])
        all_in_flight.wait(timeout=10)  # every invocation is between its pre and post hooks
        clock.advance(step * index)
        return func.HttpResponse(f"invocation {index}")

    TimerExtension.configure(append_to_http_response=True)
    dispatcher = Dispatcher(python_version=WORKER_WITH_EXTENSIONS)

    async def run_all(pool: ThreadPoolExecutor) -> List[Any]:
        return await asyncio.gather(
            *(
                dispatcher.dispatch(
                    sleeper,
                    {"req": make_http_request(params={"i": str(i)})},
                    make_context(f"Sleeper{i:02d}"),
                    executor=pool,
                )
                for i in range(count)
            )
        )

    capture = caplog.at_level(logging.INFO, logger=LOGGER_NAME)
    with capture, ThreadPoolExecutor(max_workers=count) as pool:
        responses = asyncio.run(run_all(pool))

    logged: Dict[str, str] = {}
    for log_record in caplog.records:
        if log_record.name != LOGGER_NAME:
            continue
        match = LOG_LINE.match(log_record.getMessage())
        assert match, log_record.getMessage()
        assert match["function"] not in logged, "one line per invocation"
        logged[match["function"]] = match["seconds"]
    assert sorted(logged) == [f"Sleeper{i:02d}" for i in range(count)]

    for i, response in enumerate(responses):
        body = response.get_body().decode()
        assert body.startswith(f"invocation {i} (TimeElapsed: "), body
        seconds_text = body_time(response.get_body())
        # The body and the log line of an invocation carry the same number...
        assert logged[f"Sleeper{i:02d}"] == seconds_text
        # ...and it is exactly that invocation's own time, so no time was swapped.
        assert float(seconds_text) == pytest.approx(step * i)
