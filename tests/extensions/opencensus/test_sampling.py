"""Sampling: ``sampling_rate`` for new traces, the caller's sampled flag followed; an
unrecorded invocation exports nothing yet still propagates its trace id downstream."""

from __future__ import annotations

from typing import Any, Dict, List

import azure.functions as func
import pytest
import requests
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_opencensus import CapturingExporter, OpenCensusExtension

UNSAMPLED = "00-{trace}-00f067aa0ba902b7-00"
SAMPLED = "00-{trace}-00f067aa0ba902b7-01"
LOW = "0" * 16 + "0" * 15 + "1"  # lower 64 bits tiny: inside any rate above 0
HIGH = "0" * 16 + "f" * 16  # lower 64 bits at the top: outside any rate below 1


class _Recording(requests.adapters.BaseAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.headers: List[Dict[str, str]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.headers.append(dict(request.headers))
        response = requests.Response()
        response.status_code = 200
        response._content = b""
        return response

    def close(self) -> None:
        pass


def _run(extension: type[OpenCensusExtension], traceparent: str, **options: Any) -> Any:
    capture = CapturingExporter()
    extension.configure(exporter=capture, **options)
    session = requests.Session()
    adapter = _Recording()
    session.mount("http://", adapter)

    def main(req: func.HttpRequest, context: func.Context) -> str:
        with context.tracer.span("user"):
            session.get("http://downstream.invalid/")
        return "ok"

    context = make_context("Main", trace_parent=traceparent)
    invoke(main, context=context, req=make_http_request()).raise_for_exception()
    return capture, adapter.headers[0]["traceparent"]


@pytest.mark.parametrize(
    ("rate", "trace", "recorded"),
    [(1.0, HIGH, True), (0.0, LOW, False), (0.5, LOW, True), (0.5, HIGH, False)],
)
def test_rate_decides_for_unsampled_callers_by_trace_id(
    extension: type[OpenCensusExtension], rate: float, trace: str, recorded: bool
) -> None:
    capture, header = _run(extension, UNSAMPLED.format(trace=trace), sampling_rate=rate)
    assert bool(capture.spans) is recorded
    assert header.split("-")[1] == trace
    assert header.endswith("-01" if recorded else "-00")


def test_unrecorded_invocation_propagates_the_callers_span_as_parent(
    extension: type[OpenCensusExtension],
) -> None:
    capture, header = _run(extension, UNSAMPLED.format(trace=HIGH), sampling_rate=0.0)
    assert capture.spans == []
    assert header == UNSAMPLED.format(trace=HIGH)


def test_a_sampled_caller_is_always_followed(extension: type[OpenCensusExtension]) -> None:
    capture, header = _run(extension, SAMPLED.format(trace=HIGH), sampling_rate=0.0)
    assert {s.name for s in capture.spans} == {"Main", "user", "/"}
    assert header.endswith("-01")


def test_honor_unsampled_parent_never_records_an_unsampled_caller(
    extension: type[OpenCensusExtension],
) -> None:
    capture, header = _run(
        extension, UNSAMPLED.format(trace=LOW), sampling_rate=1.0, honor_unsampled_parent=True
    )
    assert capture.spans == []
    assert header.endswith("-00")


def test_sampling_rate_from_the_app_setting(
    extension: type[OpenCensusExtension], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_WORKER_EXTENSION_OPENCENSUS_SAMPLING_RATE", "0")
    capture, _ = _run(extension, UNSAMPLED.format(trace=LOW))
    assert capture.spans == []


def test_an_unrecorded_new_trace_keeps_one_span_context_for_the_invocation(
    extension: type[OpenCensusExtension],
) -> None:
    extension.configure(exporter=CapturingExporter(), sampling_rate=0.0)
    seen: Dict[str, Any] = {}

    def main(req: func.HttpRequest, context: func.Context) -> str:
        tracer = context.tracer
        seen["headers"] = [tracer.propagator.to_headers(tracer.span_context) for _ in "ab"]
        seen["same"] = tracer.span_context is tracer.span_context
        return "ok"

    context = make_context("Main", trace_parent="")
    invoke(main, context=context, req=make_http_request()).raise_for_exception()
    first, second = seen["headers"]
    assert seen["same"] and first == second
    version, trace_id, parent_id, flags = first["traceparent"].split("-")
    assert (version, flags, len(trace_id), len(parent_id)) == ("00", "00", 32, 16)
    assert int(trace_id, 16) and int(parent_id, 16)
