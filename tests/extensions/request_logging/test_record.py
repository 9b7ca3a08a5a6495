"""The record's fields for HTTP successes and failures, raised exceptions and other triggers."""

from __future__ import annotations

import datetime
import json
import logging
from types import SimpleNamespace
from typing import Any

import azure.functions as func
import pytest
from python_worker_extension_framework.core._attributes import STATE as STATE_PREFIX
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_framework.toolkit import facts
from python_worker_extension_request_logging import (
    ATTEMPT_KEY,
    RECORD_ATTRIBUTE,
    RECORD_KEYS,
    RequestLoggingExtension,
)
from python_worker_extension_request_logging import extension as extension_module

from ...clocks import PerfClock
from .conftest import RunFunction, request_logs

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


def fields(log: logging.LogRecord) -> dict[str, Any]:
    record: dict[str, Any] = getattr(log, RECORD_ATTRIBUTE)
    return record


def http_request(**kwargs: Any) -> func.HttpRequest:
    defaults: dict[str, Any] = {
        "method": "GET",
        "url": "http://localhost:7071/api/items/42?name=ann",
        "headers": {
            "User-Agent": "curl/8.4.0",
            "X-Forwarded-For": "203.0.113.9:51234, 10.0.0.4",
        },
        "route_params": {"id": "42"},
    }
    defaults.update(kwargs)
    return make_http_request(**defaults)


def test_http_success_record_has_every_field(run: RunFunction) -> None:
    def GetItem(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("hello world", status_code=200)

    context = make_context("GetItem", trace_parent=TRACEPARENT, invocation_id="inv-1")
    [log] = run(GetItem, req=http_request(), context=context)
    assert log.levelno == logging.INFO
    assert fields(log) == {
        "function": "GetItem",
        "invocation_id": "inv-1",
        "trigger": "http",
        "outcome": "success",
        "status_code": 200,
        "duration_ms": fields(log)["duration_ms"],
        "trace_id": TRACE_ID,
        "exception_type": None,
        "method": "GET",
        "route": "/api/items/{id}",
        "path": "/api/items/42",
        "query": "name=ann",
        "request_bytes": 0,
        "response_bytes": 11,
        "client_ip": "203.0.113.9",
        "user_agent": "curl/8.4.0",
    }
    assert isinstance(fields(log)["duration_ms"], float) and fields(log)["duration_ms"] >= 0
    assert tuple(fields(log)) == RECORD_KEYS


def test_duration_measures_the_function(run: RunFunction, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = PerfClock()
    monkeypatch.setattr(extension_module, "time", clock.as_time_module())

    def Slow(req: func.HttpRequest) -> str:
        clock.advance(0.25)
        return "done"

    [log] = run(Slow, req=http_request())
    assert fields(log)["duration_ms"] == 250.0


def test_http_4xx_is_a_client_error_with_its_status(run: RunFunction) -> None:
    def Find(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("no such item", status_code=404)

    [log] = run(Find, req=http_request(method="POST", body=b'{"q": 1}'))
    record = fields(log)
    assert (record["outcome"], record["status_code"]) == ("client_error", 404)
    assert (record["method"], record["request_bytes"], record["response_bytes"]) == ("POST", 8, 12)
    assert record["exception_type"] is None
    assert log.levelno == logging.WARNING


def test_http_5xx_returned_is_a_server_error(run: RunFunction) -> None:
    def Upstream(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("bad gateway", status_code=502)

    [log] = run(Upstream, req=http_request())
    record = fields(log)
    assert (record["outcome"], record["status_code"], record["exception_type"]) == (
        "server_error",
        502,
        None,
    )
    assert log.levelno == logging.ERROR


def test_raised_exception_logs_500_and_the_exception_type_not_its_message(
    run: RunFunction,
) -> None:
    def Explode(req: func.HttpRequest) -> func.HttpResponse:
        raise KeyError("customer 12345 card 4111111111111111")

    [log] = run(Explode, req=http_request())
    record = fields(log)
    assert (record["outcome"], record["status_code"], record["exception_type"]) == (
        "exception",
        500,
        "KeyError",
    )
    assert record["response_bytes"] is None and record["request_bytes"] == 0
    assert log.levelno == logging.ERROR
    assert "4111111111111111" not in log.getMessage()
    assert "4111111111111111" not in repr(vars(log))


class PaymentDeclined(Exception):
    pass


def test_exception_type_of_user_exceptions_is_module_qualified(run: RunFunction) -> None:
    def Pay(timer: func.TimerRequest) -> None:
        raise PaymentDeclined("no")

    [log] = run(Pay, timer=SimpleTimer())
    assert fields(log)["exception_type"] == f"{__name__}.PaymentDeclined"
    assert fields(log)["status_code"] is None  # no HTTP status for a timer


def test_without_error_phase_a_failure_logs_nothing_as_in_azure() -> None:
    from python_worker_extension_framework import Dispatcher

    def Explode(req: func.HttpRequest) -> None:
        raise ValueError("x")

    record = invoke(
        Explode,
        capture_exception=True,
        req=http_request(),
        dispatcher=Dispatcher(error_phase=False, python_version=(3, 12)),
    )
    assert isinstance(record.exception, ValueError)
    assert request_logs(record) == []


class SimpleTimer(func.TimerRequest):
    @property
    def past_due(self) -> bool:
        return False


def test_timer_trigger_record(run: RunFunction) -> None:
    def Nightly(timer: func.TimerRequest) -> None:
        return None

    context = make_context("Nightly", trace_parent=TRACEPARENT)
    [log] = run(Nightly, timer=SimpleTimer(), context=context)
    record = fields(log)
    assert (record["trigger"], record["outcome"], record["status_code"]) == (
        "timer",
        "success",
        None,
    )
    assert record["trace_id"] == TRACE_ID
    for key in ("method", "route", "path", "query", "request_bytes", "client_ip", "user_agent"):
        assert record[key] is None, key
    assert log.getMessage().startswith("timer Nightly success ")
    assert log.levelno == logging.INFO


@pytest.mark.parametrize(
    ("value", "trigger"),
    [
        (func.QueueMessage(body=b"x"), "queue"),
        (func.EventHubEvent(body=b"x"), "eventhub"),
        ([func.EventHubEvent(body=b"x"), func.EventHubEvent(body=b"y")], "eventhub"),
        (func.ServiceBusMessage(body=b"x"), "servicebus"),
        (
            func.EventGridEvent(
                id="1",
                data={},
                topic="t",
                subject="s",
                event_type="e",
                event_time=datetime.datetime.now(),
                data_version="1",
            ),
            "eventgrid",
        ),
        ("just a string", "other"),
    ],
)
def test_trigger_type_comes_from_the_argument_types(
    run: RunFunction, value: Any, trigger: str
) -> None:
    def Handler(msg: Any) -> None:
        return None

    [log] = run(Handler, msg=value)
    assert fields(log)["trigger"] == trigger


def test_http_wins_over_an_input_binding_type(run: RunFunction) -> None:
    def WithInput(doc: Any, req: func.HttpRequest) -> str:
        return "ok"

    [log] = run(WithInput, doc=func.DocumentList(), req=http_request())
    assert fields(log)["trigger"] == "http"


@pytest.mark.parametrize(
    ("result", "status", "size"),
    [
        ("plain text", 200, 10),
        (None, 204, 0),
        (func.HttpResponse(status_code=302, headers={"Location": "/x"}), 302, 0),
        ({"not": "convertible"}, 500, 0),
    ],
)
def test_status_follows_what_the_host_answers_for_the_return_value(
    run: RunFunction, result: Any, status: int, size: int
) -> None:
    def Returns(req: func.HttpRequest) -> Any:
        return result

    [log] = run(Returns, req=http_request())
    assert (fields(log)["status_code"], fields(log)["response_bytes"]) == (status, size)


def test_response_set_through_an_out_binding(run: RunFunction) -> None:
    class Out(func.Out[func.HttpResponse]):
        def __init__(self) -> None:
            self.value: Any = None

        def set(self, val: func.HttpResponse) -> None:
            self.value = val

        def get(self) -> func.HttpResponse:
            value: func.HttpResponse = self.value
            return value

    def Named(req: func.HttpRequest, res: func.Out[func.HttpResponse]) -> None:
        res.set(func.HttpResponse("gone", status_code=410))

    [log] = run(Named, req=http_request(), res=Out())
    assert (fields(log)["status_code"], fields(log)["response_bytes"]) == (410, 4)


def test_async_function(run: RunFunction) -> None:
    async def Async(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("a", status_code=201)

    [log] = run(Async, req=http_request())
    assert fields(log)["status_code"] == 201


def test_retry_attempt_from_the_shared_retry_facts(run: RunFunction) -> None:
    def Flaky(timer: func.TimerRequest) -> None:
        return None

    for format in ("text", "json"):
        RequestLoggingExtension.configure(format=format)
        context = make_context("Flaky")
        facts.publish_retry_facts(context, SimpleNamespace(attempt=3, retry_count=2))
        [log] = run(Flaky, timer=SimpleTimer(), context=context)
        assert fields(log)[ATTEMPT_KEY] == 3
        assert tuple(fields(log)) == (*RECORD_KEYS, ATTEMPT_KEY)
        if format == "json":
            assert json.loads(log.getMessage())["attempt"] == 3
        else:
            assert " attempt=3 " in log.getMessage()


def test_attempt_is_left_out_when_unknown(run: RunFunction) -> None:
    """The worker's own retry context alone does not count: the attempt is known only
    through the retry facts the retry-context extension publishes."""

    def Flaky(timer: func.TimerRequest) -> None:
        return None

    context = make_context("Flaky", retry_count=1, max_retry_count=3)
    facts.publish_retry_facts(context, SimpleNamespace(attempt="2"))  # not an int: unknown
    [log] = run(Flaky, timer=SimpleTimer(), context=context)
    assert ATTEMPT_KEY not in fields(log)
    assert "attempt" not in log.getMessage()
    [log] = run(Flaky, timer=SimpleTimer(), context=make_context("Flaky"))
    assert ATTEMPT_KEY not in fields(log)


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("203.0.113.9:443, 10.0.0.1", "203.0.113.9"),
        ("[2001:db8::1]:8080", "2001:db8::1"),
        ("2001:db8::2, 10.0.0.1", "2001:db8::2"),
        ("unknown", None),
        ("evil\nline", None),
        ("", None),
    ],
)
def test_client_address_is_the_first_forwarded_hop(
    run: RunFunction, forwarded: str, expected: Any
) -> None:
    def Hello(req: func.HttpRequest) -> str:
        return "hi"

    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    [log] = run(Hello, req=http_request(headers=headers))
    assert fields(log)["client_ip"] == expected


@pytest.mark.parametrize(
    ("url", "route_params", "route"),
    [
        ("http://h/api/items/42", {"id": "42"}, "/api/items/{id}"),
        ("http://h/api/a/1/b/1", {"x": "1", "y": "1"}, "/api/a/{x}/b/{y}"),
        ("http://h/api/files/a/b/c.txt", {"rest": "a/b/c.txt"}, "/api/files/{rest}"),
        ("http://h/api/hello", {}, "/api/hello"),
        ("http://h/api/caf%C3%A9", {"name": "café"}, "/api/{name}"),
    ],
)
def test_route_is_derived_from_path_and_route_params(
    run: RunFunction, url: str, route_params: dict[str, str], route: str
) -> None:
    def Routed(req: func.HttpRequest) -> str:
        return "ok"

    [log] = run(Routed, req=http_request(url=url, route_params=route_params))
    assert fields(log)["route"] == route


def test_unconfigured_extension_logs_with_safe_defaults(run: RunFunction) -> None:
    def Hello(req: func.HttpRequest) -> str:
        return "hi"

    request = http_request(
        url="http://h/api/hello?code=abc123secret",
        headers={"Authorization": "Bearer tok_123456789", "Content-Type": "text/plain"},
        body="password=hunter2hunter2",
    )
    [log] = run(Hello, req=request)
    record = fields(log)
    assert record["query"] == "code=[REDACTED]"
    assert "request_headers" not in record and "request_body" not in record
    for secret in ("abc123secret", "tok_123456789", "hunter2hunter2"):
        assert secret not in repr(vars(log))


def test_no_state_is_left_on_the_context(run: RunFunction) -> None:
    def Explode(req: func.HttpRequest) -> None:
        raise RuntimeError("x")

    context = make_context("Explode")
    run(Explode, req=http_request(), context=context)
    assert not [name for name in vars(context) if name.startswith(STATE_PREFIX)]
