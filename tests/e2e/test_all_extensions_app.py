"""samples/all_extensions_app over HTTP: the four extensions together, secrets kept out."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
from python_worker_extension_framework.testing import running_host

from .conftest import SAMPLES

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SECRETS = ("query-secret-8812", "header-secret-3307", "cookie-secret-5150")


def test_one_request_seen_by_all_four_with_no_secret_anywhere(tmp_path: Path) -> None:
    spans_file = tmp_path / "spans.jsonl"
    env = {
        "PYTHON_WORKER_EXTENSION_OPENCENSUS_EXPORTER": "jsonl",
        "PYTHON_WORKER_EXTENSION_OPENCENSUS_JSONL_PATH": str(spans_file),
    }
    with running_host(SAMPLES / "all_extensions_app", env=env) as host:
        response = httpx.get(
            host.url(f"api/hello?name=Ann&code={SECRETS[0]}"),
            headers={
                "x-functions-key": SECRETS[1],
                "Cookie": f"session={SECRETS[2]}",
                "traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01",
            },
        )
        host.wait_for(r"Executed 'Functions\.hello' \(Succeeded")
        output = host.output
    # Timer: the suffix and the Server-Timing header.
    assert re.fullmatch(r"Hello, Ann\. \(TimeElapsed: [0-9.e-]+ sec\)", response.text)
    assert response.headers["server-timing"].startswith("function;dur=")
    # Request logging: one line, key redacted, trace id continued, attempt from retry facts.
    lines = [line for line in output.splitlines() if "GET /api/hello?" in line]
    assert len(lines) == 1
    assert "code=[REDACTED]" in lines[0] and f"trace_id={TRACE_ID}" in lines[0]
    assert "attempt=1" in lines[0]
    # OpenCensus: the invocation span and the user span, in the caller's trace.
    spans = [json.loads(line) for line in spans_file.read_text().splitlines()]
    by_name = {span["name"]: span for span in spans}
    assert {"hello", "compose-greeting"} <= set(by_name)
    assert by_name["hello"]["trace_id"] == TRACE_ID
    assert by_name["compose-greeting"]["parent_span_id"] == by_name["hello"]["span_id"]
    assert by_name["hello"]["attributes"]["faas.retry.attempt"] == 1
    # No secret in the console, the spans, or the answer.
    everything = output + spans_file.read_text() + response.text + str(response.headers)
    for secret in SECRETS:
        assert secret not in everything
