"""What the dashboard shows of an invocation: every value through the framework's redaction,
and a secret the request carried scrubbed wherever else it turns up."""

from __future__ import annotations

import json

from python_worker_extension_framework.core import HookCall
from python_worker_extension_framework.host.dashboard import views
from python_worker_extension_framework.host.dashboard.records import (
    FAILED,
    USER,
    ErrorInfo,
    HookError,
    HttpExchange,
    InvocationRecord,
    LogLine,
)
from python_worker_extension_framework.host.dashboard.store import InvocationStore
from python_worker_extension_framework.toolkit.redaction import REDACTED
from python_worker_extension_framework.toolkit.span_feed import FinishedSpan

QUERY_SECRET = "q-secret-0123456789"
KEY_SECRET = "k-secret-9876543210"
BODY_SECRET = "b-secret-5555555555"


def _record() -> InvocationRecord:
    record = InvocationRecord(
        id="inv-1",
        function="hello",
        trigger="httpTrigger",
        started_at=100.0,
        trace_id="a" * 32,
    )
    record.outcome = FAILED
    record.seconds = 0.010
    record.detailed = True
    record.http = HttpExchange(
        method="POST",
        url=f"http://127.0.0.1:7071/api/hello?name=Ann&code={QUERY_SECRET}",
        headers={
            "x-functions-key": KEY_SECRET,
            "content-type": "application/x-www-form-urlencoded",
        },
        body=f"password={BODY_SECRET}&name=Ann".encode(),
        body_size=40,
        status=500,
        response_headers=[(b"content-type", b"application/json")],
        response_body=json.dumps({"echo": KEY_SECRET, "token": "t-secret-000000"}).encode(),
        response_size=60,
    )
    record.add_log(LogLine(100.001, "INFO", "app", f"calling with {KEY_SECRET}", USER))
    record.add_span(
        FinishedSpan(
            "hello", "a" * 32, "b" * 16, None, 100.0, 100.01, attributes={"arg": QUERY_SECRET}
        )
    )
    record.hooks = [
        HookCall("pre_invocation_app_level", "Ext", 0.001, HookError(f"ValueError: {KEY_SECRET}"))
    ]
    record.error = ErrorInfo(
        "ValueError", f"bad key {KEY_SECRET}", f"Traceback ...\nValueError: bad key {KEY_SECRET}"
    )
    return record


def test_no_secret_of_the_request_appears_anywhere_in_the_detail() -> None:
    store = InvocationStore()
    record = _record()
    store.add(record)
    shown = json.dumps(views.detail(record, store))
    for secret in (QUERY_SECRET, KEY_SECRET, BODY_SECRET, "t-secret-000000"):
        assert secret not in shown
    detail = views.detail(record, store)
    assert detail["request"]["url"] == f"/api/hello?name=Ann&code={REDACTED}"
    assert ["x-functions-key", REDACTED] in [list(pair) for pair in detail["request"]["headers"]]
    assert detail["request"]["body"] == f"password={REDACTED}&name=Ann"
    assert detail["logs"][0]["message"] == f"calling with {REDACTED}"
    assert detail["spans"][0]["attributes"] == {"arg": REDACTED}
    assert detail["error"]["message"] == f"bad key {REDACTED}"


def test_the_list_row_shows_the_route_redacted_and_the_outcome() -> None:
    store = InvocationStore()
    record = _record()
    store.add(record)
    row = views.summary(record)
    assert row["route"] == f"/api/hello?name=Ann&code={REDACTED}"
    assert (row["method"], row["status"], row["failed"], row["ms"]) == ("POST", 500, True, 10.0)


def test_hook_phases_and_the_functions_own_time() -> None:
    store = InvocationStore()
    record = _record()
    record.hooks = [
        HookCall("pre_invocation_app_level", "A", 0.002),
        HookCall("on_invocation_error_app_level", "A", 0.003),
    ]
    store.add(record)
    detail = views.detail(record, store)
    assert [(h["hook"], h["phase"], h["ms"]) for h in detail["hooks"]] == [
        ("pre_invocation_app_level", "before", 2.0),
        ("on_invocation_error_app_level", "error", 3.0),
    ]
    assert detail["function_ms"] == 5.0 and detail["error_phase_ran"] is True
