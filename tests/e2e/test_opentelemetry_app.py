"""samples/opentelemetry_app through the local host, exporting OTLP/HTTP to a local receiver
that decodes the protobuf payloads: spans, metrics and logs as a collector receives them."""

from __future__ import annotations

import threading
from typing import Any, Dict, Iterator, List

import httpx
import pytest
from python_worker_extension_framework.testing import running_host

from tests.extensions.opentelemetry.receivers import Downstream, OtlpReceiver, serve

from .conftest import SAMPLES

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
SERVER, CONSUMER_OR_INTERNAL = 2, (1, 5)
STATUS_ERROR = 2
SECRET = "query-secret-6021"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Any]]:
    """One host run: requests in, host stopped (it flushes), everything received."""
    receiver, downstream = OtlpReceiver(), Downstream()
    servers = [serve(receiver), serve(downstream)]
    for server in servers:
        next(server)
    env = {
        "PYTHON_WORKER_EXTENSION_OPENTELEMETRY_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
        "PYTHON_WORKER_EXTENSION_OPENTELEMETRY_EXPORT_LOGS": "1",
        "STOCK_SERVICE_URL": downstream.url,
    }
    answers: Dict[str, httpx.Response] = {}
    with running_host(SAMPLES / "opentelemetry_app", env=env) as host:
        with httpx.Client(timeout=30) as client:
            answers["order"] = client.get(
                host.url(f"api/orders/42?code={SECRET}"),
                headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"},
            )
            answers["unavailable"] = client.get(host.url("api/orders/0"))
            answers["fail"] = client.get(host.url("api/fail"))
            answers["timer"] = client.post(host.url("admin/functions/nightly"), json={"input": ""})
            # Concurrent invocations: each span belongs to its own invocation.
            threads = [
                threading.Thread(target=client.get, args=(host.url(f"api/orders/{n}"),))
                for n in range(100, 116)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        host.wait_for(r"Executed 'Functions\.nightly'")
    # Leaving the block stopped the host; it flushed every extension on the way out.
    yield {"answers": answers, "receiver": receiver, "downstream": downstream}
    for server in servers:
        for _ in server:
            pass


def _invocations(spans: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [s for s in spans if "faas.invocation_id" in s["attributes"]]


def test_answers(run: Dict[str, Any]) -> None:
    answers = run["answers"]
    assert answers["order"].text == "order 42"
    assert answers["unavailable"].status_code == 503
    assert answers["fail"].status_code == 500
    assert answers["timer"].status_code == 202


def test_one_invocation_span_per_invocation_in_the_callers_trace(run: Dict[str, Any]) -> None:
    spans = run["receiver"].spans()
    invocations = _invocations(spans)
    assert len(invocations) == 4 + 16
    assert len({s["attributes"]["faas.invocation_id"] for s in invocations}) == 20
    (order,) = [s for s in invocations if s["attributes"].get("url.path") == "/api/orders/42"]
    assert order["name"] == "GET /api/orders/{id}"
    assert order["kind"] == SERVER
    # The caller's trace continues; the parent is the host's own span for the request
    # (the host, like Azure's, passes its span as the parent, not the caller's).
    assert order["trace_id"] == TRACE_ID and order["parent_span_id"] not in ("", PARENT_ID)
    attributes = order["attributes"]
    assert attributes["faas.trigger"] == "http" and attributes["faas.name"] == "get_order"
    assert attributes["http.route"] == "/api/orders/{id}"
    assert attributes["http.response.status_code"] == 200
    assert attributes["url.query"] == "code=[REDACTED]"
    assert order["resource"]["service.name"] == "opentelemetry-sample"
    (user,) = [s for s in spans if s["name"] == "load order" and s["trace_id"] == TRACE_ID]
    assert user["parent_span_id"] == order["span_id"]
    assert SECRET not in str(spans)


def test_concurrent_invocations_own_their_spans(run: Dict[str, Any]) -> None:
    spans = run["receiver"].spans()
    by_id = {s["span_id"]: s for s in spans}
    for user in (s for s in spans if s["name"] == "load order"):
        parent = by_id[user["parent_span_id"]]
        assert parent["attributes"]["url.path"] == f"/api/orders/{user['attributes']['order.id']}"
        assert parent["trace_id"] == user["trace_id"]


def test_failures_are_error_spans(run: Dict[str, Any]) -> None:
    invocations = _invocations(run["receiver"].spans())
    (raised,) = [s for s in invocations if s["attributes"]["faas.name"] == "fail"]
    assert raised["status"] == STATUS_ERROR
    (event,) = raised["events"]
    assert event["name"] == "exception"
    assert event["attributes"]["exception.type"] == "ValueError"
    (unavailable,) = [s for s in invocations if s["attributes"].get("url.path") == "/api/orders/0"]
    assert unavailable["status"] == STATUS_ERROR
    assert unavailable["attributes"]["http.response.status_code"] == 503
    (timer,) = [s for s in invocations if s["attributes"]["faas.name"] == "nightly"]
    assert timer["attributes"]["faas.trigger"] == "timer" and timer["kind"] in CONSUMER_OR_INTERNAL


def test_metrics_count_per_function(run: Dict[str, Any]) -> None:
    receiver = run["receiver"]

    def latest(metric: str, function: str) -> Dict[str, Any]:
        points = [
            p for p in receiver.metric_points(metric) if p["attributes"]["faas.name"] == function
        ]
        return points[-1]

    assert latest("faas.invocations", "get_order")["value"] == 18
    assert latest("faas.errors", "get_order")["value"] == 1
    assert latest("faas.errors", "fail")["value"] == 1
    assert latest("faas.invocations", "nightly")["attributes"]["faas.trigger"] == "timer"
    assert latest("faas.invoke_duration", "get_order")["count"] == 18


def test_logs_carry_the_invocation_ids(run: Dict[str, Any]) -> None:
    receiver = run["receiver"]
    (order,) = [
        s
        for s in _invocations(receiver.spans())
        if s["attributes"].get("url.path") == "/api/orders/42"
    ]
    (record,) = [r for r in receiver.log_records() if r["body"] == "looking up order 42"]
    assert record["trace_id"] == TRACE_ID
    assert record["span_id"] == order["span_id"]


def test_outgoing_call_carries_the_trace(run: Dict[str, Any]) -> None:
    headers = [h for h in run["downstream"].headers() if TRACE_ID in h.get("traceparent", "")]
    assert len(headers) == 1
    assert headers[0]["traceparent"].endswith("-01")
