"""What the timer writes: the log line, the body suffix, and the headers, per kind of result."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from typing import Any, Dict, Optional

import azure.functions as func
import pytest
from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_timer import ELAPSED_HEADER, SERVER_TIMING_HEADER, TimerExtension

from ...clocks import PerfClock
from .conftest import body_time, logged_time, timer_logs

# The worker these tests describe: on Python 3.13+ no worker runs extensions at all.
WORKER_WITH_EXTENSIONS = (3, 12)

TEXT = "This HTTP triggered function executed successfully."


class _Out(func.Out[Any]):
    """An output binding as the worker makes one (it subclasses ``azure.functions.Out``)."""

    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value


def text_function(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(TEXT)


def test_log_line_is_exact_and_body_suffix_carries_the_same_number() -> None:
    TimerExtension.configure(append_to_http_response=True)
    record = invoke(text_function, function_name="HttpTrigger", req=make_http_request())
    name, seconds, seconds_text = logged_time(record)
    assert name == "HttpTrigger"
    assert seconds > 0
    (line,) = timer_logs(record)
    assert line.getMessage() == f"Time taken to execute HttpTrigger is {seconds_text} sec"
    assert line.levelno == logging.INFO
    body = record.result.get_body()
    assert body == f"{TEXT} (TimeElapsed: {seconds_text} sec)".encode()
    assert body_time(body) == seconds_text
    assert record.result.headers[ELAPSED_HEADER] == seconds_text


def test_unconfigured_extension_logs_only() -> None:
    record = invoke(text_function, function_name="HttpTrigger", req=make_http_request())
    assert record.exception is None
    logged_time(record)
    assert record.result.get_body() == TEXT.encode()
    assert ELAPSED_HEADER not in record.result.headers
    assert SERVER_TIMING_HEADER not in record.result.headers
    assert not TimerExtension.is_configured()


def test_append_off_leaves_the_response_untouched() -> None:
    TimerExtension.configure(append_to_http_response=False)
    record = invoke(text_function, req=make_http_request())
    assert record.result.get_body() == TEXT.encode()
    assert dict(record.result.headers) == {}


def test_time_is_measured_with_a_monotonic_clock(
    monkeypatch: pytest.MonkeyPatch, clock: PerfClock
) -> None:
    # The tutorial's time.time() gave negative or skewed times when the wall clock moved.
    wall = iter([1_000_000.0 - i * 3600.0 for i in range(1000)])
    monkeypatch.setattr(time, "time", lambda: next(wall))

    def sleeper(req: func.HttpRequest) -> func.HttpResponse:
        clock.advance(0.5)
        return func.HttpResponse("ok")

    TimerExtension.configure(append_to_http_response=True)
    record = invoke(sleeper, req=make_http_request())
    assert logged_time(record)[1] == 0.5


def test_json_body_stays_valid_json_and_gets_the_header() -> None:
    payload = {"items": [1, 2, 3], "name": "ünïcode"}

    def api(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(json.dumps(payload), mimetype="application/json")

    TimerExtension.configure(append_to_http_response=True)
    record = invoke(api, req=make_http_request())
    assert json.loads(record.result.get_body()) == payload
    assert record.result.headers[ELAPSED_HEADER] == logged_time(record)[2]


def test_json_content_type_header_wins_over_the_default_text_mimetype() -> None:
    def api(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse('{"a": 1}', headers={"Content-Type": "application/json"})

    TimerExtension.configure(append_to_http_response=True)
    record = invoke(api, req=make_http_request())
    assert json.loads(record.result.get_body()) == {"a": 1}
    assert ELAPSED_HEADER in record.result.headers


def test_binary_body_bytes_are_unchanged() -> None:
    data = bytes(range(256)) * 4

    def image(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(data, mimetype="image/png")

    TimerExtension.configure(append_to_http_response=True)
    record = invoke(image, req=make_http_request())
    assert record.result.get_body() == data
    assert record.result.headers[ELAPSED_HEADER] == logged_time(record)[2]


def test_empty_body_with_non_text_mimetype_is_left_empty() -> None:
    def empty(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(mimetype="application/octet-stream")

    TimerExtension.configure(append_to_http_response=True)
    record = invoke(empty, req=make_http_request())
    assert record.result.get_body() == b""
    assert ELAPSED_HEADER in record.result.headers


@pytest.mark.parametrize(
    "charset, text",
    [
        ("utf-8", "Grüße, 世界"),
        ("latin-1", "Grüße"),
        ("utf-16", "Grüße, 世界"),  # these three start with a byte-order mark, which must
        ("utf-32", "Grüße, 世界"),  # stay at the start: no second BOM before the suffix
        ("utf-8-sig", "Grüße, 世界"),
    ],
)
def test_suffix_is_encoded_in_the_response_charset(charset: str, text: str) -> None:
    def greeting(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(text, charset=charset)

    TimerExtension.configure(append_to_http_response=True)
    record = invoke(greeting, req=make_http_request())
    seconds = logged_time(record)[2]
    assert record.result.get_body() == f"{text} (TimeElapsed: {seconds} sec)".encode(charset)


def test_charset_from_the_content_type_header_is_respected() -> None:
    def greeting(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(
            "Grüße".encode("latin-1"), headers={"Content-Type": "text/plain; charset=ISO-8859-1"}
        )

    TimerExtension.configure(append_to_http_response=True)
    record = invoke(greeting, req=make_http_request())
    assert record.result.get_body().decode("latin-1") == (
        f"Grüße (TimeElapsed: {logged_time(record)[2]} sec)"
    )


@pytest.mark.parametrize(
    "status, headers",
    [
        (204, {}),
        (304, {}),
        (200, {"Content-Encoding": "gzip"}),
        (200, {"Content-Length": "5"}),
        (200, {"Content-Type": "text/plain; charset=x-unknown-charset"}),
    ],
)
def test_text_body_that_must_not_grow_is_left_alone_and_reported_by_header(
    status: int, headers: Dict[str, str]
) -> None:
    def respond(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(
            b"" if status in (204, 304) else b"hello", status_code=status, headers=headers
        )

    TimerExtension.configure(append_to_http_response=True)
    record = invoke(respond, req=make_http_request())
    assert record.result.get_body() == (b"" if status in (204, 304) else b"hello")
    assert ELAPSED_HEADER in record.result.headers


def test_server_timing_header_is_w3c_milliseconds() -> None:
    TimerExtension.configure(add_server_timing_header=True)
    record = invoke(text_function, req=make_http_request())
    value = record.result.headers[SERVER_TIMING_HEADER]
    match = re.fullmatch(r"function;dur=(\d+\.\d{3})", value)
    assert match, value
    assert float(match[1]) == pytest.approx(logged_time(record)[1] * 1000, abs=0.001)
    assert record.result.get_body() == TEXT.encode()  # the body is not touched
    assert ELAPSED_HEADER not in record.result.headers


def test_server_timing_keeps_the_function_s_own_entries_and_uses_the_metric_name() -> None:
    def traced(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("ok", headers={"Server-Timing": 'db;dur=12.5;desc="query"'})

    TimerExtension.configure(add_server_timing_header=True, server_timing_metric="api")
    record = invoke(traced, req=make_http_request())
    value = record.result.headers[SERVER_TIMING_HEADER]
    assert re.fullmatch(r'db;dur=12\.5;desc="query", api;dur=\d+\.\d{3}', value), value


def test_append_and_server_timing_together() -> None:
    TimerExtension.configure(append_to_http_response=True, add_server_timing_header=True)
    record = invoke(text_function, req=make_http_request())
    seconds = logged_time(record)[2]
    assert body_time(record.result.get_body()) == seconds
    assert record.result.headers[ELAPSED_HEADER] == seconds
    assert record.result.headers[SERVER_TIMING_HEADER].startswith("function;dur=")


@pytest.mark.parametrize("value", ["Hello", {"a": 1}, None, 42])
def test_non_http_response_results_are_logged_and_returned_unchanged(value: Any) -> None:
    def main(req: func.HttpRequest) -> Any:
        return value

    TimerExtension.configure(append_to_http_response=True, add_server_timing_header=True)
    record = invoke(main, req=make_http_request())
    assert record.exception is None
    assert record.result == value
    logged_time(record)


def test_http_response_set_on_an_out_binding_gets_the_suffix() -> None:
    def main(req: func.HttpRequest, res: func.Out[func.HttpResponse]) -> None:
        res.set(func.HttpResponse("via out"))

    out = _Out()
    TimerExtension.configure(append_to_http_response=True)
    record = invoke(main, req=make_http_request(), res=out)
    assert record.result is None
    assert body_time(out.get().get_body()) == logged_time(record)[2]


def test_out_binding_holding_something_else_is_not_touched() -> None:
    def main(req: func.HttpRequest, msg: func.Out[str]) -> str:
        msg.set("queued")
        return "OK"

    out = _Out()
    TimerExtension.configure(append_to_http_response=True)
    record = invoke(main, req=make_http_request(), msg=out)
    assert (record.result, out.get()) == ("OK", "queued")
    logged_time(record)


def test_non_http_trigger_is_logged_only() -> None:
    calls = []

    def queue_trigger(msg: func.QueueMessage) -> None:
        calls.append(msg.get_body())

    TimerExtension.configure(append_to_http_response=True, add_server_timing_header=True)
    record = invoke(
        queue_trigger, function_name="QueueTrigger", msg=func.QueueMessage(body=b"payload")
    )
    assert record.exception is None and calls == [b"payload"]
    assert logged_time(record)[0] == "QueueTrigger"


def test_async_function_is_timed_including_its_awaits(clock: PerfClock) -> None:
    async def main(req: func.HttpRequest) -> func.HttpResponse:
        clock.advance(0.25)
        await asyncio.sleep(0)  # the loop runs other tasks; the timer keeps counting
        clock.advance(0.5)
        return func.HttpResponse(TEXT)

    TimerExtension.configure(append_to_http_response=True)
    record = invoke(main, function_name="AsyncTrigger", req=make_http_request())
    name, seconds, seconds_text = logged_time(record)
    assert name == "AsyncTrigger" and seconds == 0.75
    assert body_time(record.result.get_body()) == seconds_text


def test_dispatch_runs_sync_functions_in_the_pool_and_async_ones_on_the_loop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def async_main(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("async")

    TimerExtension.configure(append_to_http_response=True)
    dispatcher = Dispatcher(python_version=WORKER_WITH_EXTENSIONS)

    async def both() -> Any:
        return await asyncio.gather(
            dispatcher.dispatch(text_function, {"req": make_http_request()}, make_context("Sync")),
            dispatcher.dispatch(async_main, {"req": make_http_request()}, make_context("Async")),
        )

    with caplog.at_level(logging.INFO, logger="python_worker_extension_timer"):
        sync_response, async_response = asyncio.run(both())
    logged = {r.getMessage().split()[4] for r in caplog.records}
    assert logged == {"Sync", "Async"}
    for response in (sync_response, async_response):
        assert body_time(response.get_body())


def test_only_and_exclude_choose_the_functions_that_are_timed() -> None:
    TimerExtension.configure(append_to_http_response=True, exclude=["Health"])
    skipped = invoke(text_function, function_name="Health", req=make_http_request())
    assert timer_logs(skipped) == [] and skipped.result.get_body() == TEXT.encode()
    timed = invoke(text_function, function_name="HttpTrigger", req=make_http_request())
    assert logged_time(timed)[0] == "HttpTrigger"


def test_without_the_enabling_app_setting_nothing_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_ENABLE_WORKER_EXTENSIONS", "0")
    TimerExtension.configure(append_to_http_response=True)
    record = invoke(text_function, chain="worker", req=make_http_request())
    assert timer_logs(record) == [] and record.result.get_body() == TEXT.encode()


def _taking(clock: PerfClock, seconds: float) -> Any:
    def main(req: Optional[func.HttpRequest] = None) -> str:
        clock.advance(seconds)
        return "done"

    return main


def test_slow_threshold_logs_slow_invocations_at_warning(clock: PerfClock) -> None:
    TimerExtension.configure(slow_threshold_ms=100)
    fast = invoke(_taking(clock, 0.0625), req=make_http_request())
    slow = invoke(_taking(clock, 0.125), req=make_http_request())
    assert [r.levelno for r in timer_logs(fast)] == [logging.INFO]
    assert [r.levelno for r in timer_logs(slow)] == [logging.WARNING]
    assert logged_time(fast)[1] == 0.0625
    assert logged_time(slow)[1] == 0.125
