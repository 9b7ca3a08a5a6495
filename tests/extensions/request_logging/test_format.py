"""The two formats, the fields on the LogRecord, and the documented keys."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import azure.functions as func
from python_worker_extension_framework.testing import make_context, make_http_request
from python_worker_extension_request_logging import (
    ATTEMPT_KEY,
    LOGGER_NAME,
    OPTIONAL_KEYS,
    RECORD_ATTRIBUTE,
    RECORD_KEYS,
    RequestLoggingExtension,
)

from .conftest import RunFunction

README = Path(__file__).resolve().parents[3] / "extensions" / "request_logging" / "readme.md"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def GetItem(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse('{"id": 42}', mimetype="application/json")


def request() -> func.HttpRequest:
    return make_http_request(
        "GET",
        "http://localhost:7071/api/items/42?code=abcdef123456&v=2",
        headers={"User-Agent": 'curl/8.4.0 "quoted"', "X-Forwarded-For": "203.0.113.9"},
        route_params={"id": "42"},
    )


def test_json_format_is_one_object_with_the_documented_keys_in_order(run: RunFunction) -> None:
    RequestLoggingExtension.configure(format="json")
    context = make_context("GetItem", trace_parent=TRACEPARENT, invocation_id="inv-7")
    [log] = run(GetItem, req=request(), context=context)
    message = log.getMessage()
    assert "\n" not in message
    parsed = json.loads(message)
    assert tuple(parsed) == RECORD_KEYS
    assert parsed["function"] == "GetItem" and parsed["invocation_id"] == "inv-7"
    assert parsed["status_code"] == 200 and parsed["response_bytes"] == 10
    assert parsed["query"] == "code=[REDACTED]&v=2"
    assert parsed == getattr(log, RECORD_ATTRIBUTE)


def test_json_has_optional_keys_only_when_enabled(run: RunFunction) -> None:
    RequestLoggingExtension.configure(format="json", log_headers=["user-agent"], log_body=True)
    [log] = run(GetItem, req=request())
    parsed = json.loads(log.getMessage())
    assert tuple(parsed) == RECORD_KEYS + OPTIONAL_KEYS
    assert parsed["request_headers"] == {"user-agent": 'curl/8.4.0 "quoted"'}
    assert parsed["response_body"] == '{"id":42}'
    assert parsed["request_body"] is None


def test_non_http_json_record_has_nulls_for_http_keys(run: RunFunction) -> None:
    RequestLoggingExtension.configure(format="json")

    def Worker(msg: func.QueueMessage) -> None:
        return None

    [log] = run(Worker, msg=func.QueueMessage(body=b"x"))
    parsed = json.loads(log.getMessage())
    assert tuple(parsed) == RECORD_KEYS
    assert parsed["trigger"] == "queue" and parsed["method"] is None


def test_fields_are_on_the_log_record_flat_and_under_one_attribute(run: RunFunction) -> None:
    for format in ("text", "json"):
        RequestLoggingExtension.configure(format=format)
        [log] = run(GetItem, req=request())
        record = getattr(log, RECORD_ATTRIBUTE)
        assert set(record) == set(RECORD_KEYS)
        for key in RECORD_KEYS:
            assert getattr(log, key) == record[key], key
        assert log.name == LOGGER_NAME


def test_text_format_is_an_access_log_line(run: RunFunction) -> None:
    context = make_context("GetItem", trace_parent=TRACEPARENT, invocation_id="inv-7")
    [log] = run(GetItem, req=request(), context=context)
    line = log.getMessage()
    assert re.fullmatch(
        r"GET /api/items/42\?code=\[REDACTED\]&v=2 200 \d+\.\d\dms function=GetItem "
        r"outcome=success route=/api/items/\{id\} request_bytes=0 response_bytes=10 "
        r'client_ip=203\.0\.113\.9 user_agent="curl/8\.4\.0 \\"quoted\\"" '
        r"trace_id=0af7651916cd43dd8448eb211c80319c invocation_id=inv-7",
        line,
    ), line


def test_text_line_cannot_be_split_by_a_crafted_request(run: RunFunction) -> None:
    def Echo(req: func.HttpRequest) -> str:
        return "x"

    crafted = make_http_request(
        "GET",
        "http://localhost/api/a b\nINFO forged\r\u2028line",
        headers={"User-Agent": "ua\nERROR forged"},
    )
    for format in ("text", "json"):
        RequestLoggingExtension.configure(format=format, log_headers=["user-agent"])
        [log] = run(Echo, req=crafted)
        message = log.getMessage()
        for separator in ("\n", "\r", "\u2028", "\x85"):
            assert separator not in message
        if format == "text":  # spaces escaped, so fields stay space-separated
            assert message.startswith("GET /api/a%20b")
            assert 'user_agent="ua\\nERROR forged"' in message


def test_optional_text_fields_are_json_encoded(run: RunFunction) -> None:
    RequestLoggingExtension.configure(log_headers=["x-request-id"], log_body=True)
    headers = {"X-Request-Id": "r-1", "Content-Type": "text/plain"}
    [log] = run(
        GetItem, req=make_http_request("POST", "http://h/api/x", headers=headers, body="hi")
    )
    line = log.getMessage()
    assert 'request_headers={"x-request-id": "r-1"}' in line
    assert 'request_body="hi"' in line and 'response_body="{\\"id\\":42}"' in line


def test_readme_documents_every_key_option_and_both_formats() -> None:
    text = README.read_text(encoding="utf-8")
    for key in (*RECORD_KEYS, ATTEMPT_KEY, *OPTIONAL_KEYS):
        assert f"`{key}`" in text, key
    for option in RequestLoggingExtension.all_options():
        assert f"`{option.name}`" in text, option.name
        if option.env:
            assert f"`{option.env}`" in text, option.env
    json_samples = re.findall(r"```json\n(\{.*?\})\n```", text, re.DOTALL)
    assert json_samples, "the readme shows a JSON record"
    for sample in json_samples:
        parsed: dict[str, Any] = json.loads(sample)
        assert tuple(parsed)[: len(RECORD_KEYS)] == RECORD_KEYS
        assert set(parsed) <= {*RECORD_KEYS, ATTEMPT_KEY, *OPTIONAL_KEYS}
    assert any(ATTEMPT_KEY in json.loads(sample) for sample in json_samples)


def test_message_is_formatted_lazily_with_percent_s(run: RunFunction) -> None:
    [log] = run(GetItem, req=request())
    assert log.msg == "%s" and isinstance(log.args, tuple) and len(log.args) == 1
    assert log.levelno == logging.INFO
