"""Outgoing ``requests`` calls carry the invocation's trace; the integration is switched on
once however often ``configure()`` runs; a malformed incoming ``traceparent`` starts a new
trace with one warning and never reaches a downstream service."""

from __future__ import annotations

import logging
from typing import Any, Dict, Iterator, List, Optional

import azure.functions as func
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opencensus.ext.requests import trace as requests_trace
from opencensus.trace.span import SpanKind
from python_worker_extension_framework import traceparent as tp
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_opencensus import (
    LOGGER_NAME,
    CapturingExporter,
    OpenCensusExtension,
)

from .conftest import INCOMING, INCOMING_TRACE_ID, Recorder, is_valid_traceparent


def calling(url: str) -> Any:
    def main(req: func.HttpRequest) -> func.HttpResponse:
        response = requests.get(f"{url}/items?code=secret", timeout=5)
        return func.HttpResponse(response.text)

    return main


def client_spans(capture: CapturingExporter) -> List[Any]:
    return [s for s in capture.spans if s.span_kind == SpanKind.CLIENT]


def test_requests_call_carries_the_trace_with_the_client_span_as_parent(
    capture: CapturingExporter, downstream: Recorder
) -> None:
    context = make_context("Caller", trace_parent=INCOMING)
    invoke(calling(downstream.url), context=context, req=make_http_request()).raise_for_exception()
    (received,) = downstream.requests
    header = received["headers"]["traceparent"]
    assert is_valid_traceparent(header), header
    _, trace_id, parent_id, flags = header.split("-")
    (client,) = client_spans(capture)
    root = capture.named("Caller")
    assert trace_id == INCOMING_TRACE_ID == root.context.trace_id
    assert parent_id == client.span_id
    assert flags == "01"
    assert client.parent_span_id == root.span_id
    assert client.attributes["http.status_code"] == 200
    assert "secret" not in client.attributes["http.url"]  # redacted on export


def test_client_span_url_masks_every_name_class_and_separator(
    capture: CapturingExporter, downstream: Recorder
) -> None:
    query = "%2563ode=s1;sig=s2&api+key=s3&AccountKey=s4&x-ms-client-principal=s5&keep=1"

    def main(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(requests.get(f"{downstream.url}/items?{query}", timeout=5).text)

    invoke(main, context=make_context("Caller"), req=make_http_request()).raise_for_exception()
    (client,) = client_spans(capture)
    url = client.attributes["http.url"]
    assert url.endswith(
        "/items?%2563ode=[REDACTED];sig=[REDACTED]&api+key=[REDACTED]&AccountKey=[REDACTED]"
        "&x-ms-client-principal=[REDACTED]&keep=1"
    ), url


@pytest.fixture
def unpatched_requests() -> Iterator[None]:
    """``requests.Session.request`` as in a fresh process (no integration yet), restored after."""
    saved = vars(requests.Session)["request"]
    original = saved
    while hasattr(original, "__wrapped__"):
        original = original.__wrapped__
    requests.Session.request = original  # type: ignore[method-assign]
    try:
        yield
    finally:
        requests.Session.request = saved  # type: ignore[method-assign]


@pytest.mark.parametrize("app_switched_it_on", [False, True])
def test_repeated_configure_does_not_wrap_requests_twice(
    extension: type[OpenCensusExtension],
    downstream: Recorder,
    unpatched_requests: None,
    app_switched_it_on: bool,
) -> None:
    if app_switched_it_on:
        requests_trace.trace_integration()  # as an app using opencensus directly does
    capture = CapturingExporter()
    for _ in range(3):
        extension.configure(exporter=capture)
        extension.reset()
    extension.configure(exporter=capture)
    invoke(calling(downstream.url), function_name="Caller", req=make_http_request())
    (client,) = client_spans(capture)
    (received,) = downstream.requests
    assert received["headers"]["traceparent"].split("-")[2] == client.span_id
    assert client.parent_span_id == capture.named("Caller").span_id


class _Recording(requests.adapters.BaseAdapter):
    """A transport that answers without a network, keeping each request's headers."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: List[Dict[str, str]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.headers.append(dict(request.headers))
        response = requests.Response()
        response.status_code = 200
        response.request = request
        response._content = b"ok"
        return response

    def close(self) -> None:
        pass


def _session() -> tuple[requests.Session, _Recording]:
    session = requests.Session()
    adapter = _Recording()
    session.mount("http://", adapter)
    return session, adapter


_HEX = "0123456789abcdef"
_hex = st.text(alphabet=_HEX, min_size=0, max_size=40)
_near_valid = st.builds(
    lambda version, trace_id, parent_id, flags, extra, pad: (
        pad + "-".join([version, trace_id, parent_id, flags, *extra]) + pad
    ),
    st.sampled_from(["00", "01", "ff", "0", "000", "FF", "zz", "cc"]),
    st.one_of(_hex, st.just("0" * 32), st.just(INCOMING_TRACE_ID.upper())),
    st.one_of(_hex, st.just("0" * 16), st.just("00F067AA0BA902B7")),
    st.one_of(st.sampled_from(["00", "01", "ff", "1", "0g", ""]), _hex),
    st.lists(st.text(max_size=5), max_size=2),
    st.sampled_from(["", " ", "\t", "\n"]),
)
MALFORMED = st.one_of(st.text(max_size=80), _near_valid, st.binary(max_size=20).map(repr))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=MALFORMED, state=st.one_of(st.just(""), st.text(max_size=40)))
def test_any_incoming_traceparent_never_crashes_or_leaks_an_invalid_header(
    capture: CapturingExporter, raw: str, state: str
) -> None:
    session, adapter = _session()
    seen: Dict[str, Any] = {}

    def main(req: func.HttpRequest, context: func.Context) -> str:
        with context.tracer.span("work"):
            session.get("http://downstream.invalid/x")
        seen["manual"] = context.tracer.propagator.to_headers(context.tracer.span_context)
        return "ok"

    context = make_context("Main", trace_parent=raw, trace_state=state)
    record = invoke(main, context=context, req=make_http_request())
    assert record.exception is None, record.exception
    (sent,) = adapter.headers
    outgoing = [sent["traceparent"], seen["manual"]["traceparent"]]
    for header in outgoing:
        assert is_valid_traceparent(header), (raw, header)
    parsed, _ = tp.parse(raw)
    trace_ids = {h.split("-")[1] for h in outgoing}
    if parsed is not None:
        assert trace_ids == {parsed.trace_id}
    elif isinstance(raw, str) and raw.strip():
        assert raw.strip() not in sent.values()
    warnings = [r for r in record.records if r.name == LOGGER_NAME and r.levelno >= logging.WARNING]
    assert len(warnings) <= 1, [w.getMessage() for w in warnings]
    if parsed is None and raw:
        assert len(warnings) == 1


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("00-" + "0" * 32 + "-00f067aa0ba902b7-01", "invalid trace id"),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-" + "0" * 16 + "-01", "invalid parent id"),
        ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "invalid trace id"),
        ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "invalid version"),
        ("garbage", "needs 4 dash-separated fields"),
        (INCOMING + "-extra", "extra fields"),
    ],
)
def test_malformed_traceparent_starts_a_new_trace_with_one_warning_naming_the_reason(
    capture: CapturingExporter, raw: str, reason: str
) -> None:
    def main(req: func.HttpRequest) -> str:
        return "ok"

    context = make_context("Main", trace_parent=raw)
    record = invoke(main, context=context, req=make_http_request())
    record.raise_for_exception()
    warnings = [r.getMessage() for r in record.records if r.name == LOGGER_NAME]
    assert len(warnings) == 1, warnings
    assert reason in warnings[0] and "Starting a new trace" in warnings[0]
    root = capture.named("Main")
    assert root.parent_span_id is None
    assert root.context.trace_id not in raw


def test_invalid_tracestate_is_dropped_but_the_trace_continues(
    capture: CapturingExporter,
) -> None:
    session, adapter = _session()

    def main(req: func.HttpRequest) -> str:
        session.get("http://downstream.invalid/x")
        return "ok"

    context = make_context("Main", trace_parent=INCOMING, trace_state="not a=valid,,=state")
    record = invoke(main, context=context, req=make_http_request())
    record.raise_for_exception()
    (sent,) = adapter.headers
    assert sent["traceparent"].split("-")[1] == INCOMING_TRACE_ID
    assert "tracestate" not in sent
    (warning,) = [r.getMessage() for r in record.records if r.name == LOGGER_NAME]
    assert "tracestate" in warning


def test_valid_tracestate_is_forwarded(capture: CapturingExporter) -> None:
    session, adapter = _session()

    def main(req: func.HttpRequest) -> Optional[str]:
        session.get("http://downstream.invalid/x")
        return "ok"

    context = make_context("Main", trace_parent=INCOMING, trace_state="congo=t61rcWkgMzE")
    invoke(main, context=context, req=make_http_request()).raise_for_exception()
    assert adapter.headers[0]["tracestate"] == "congo=t61rcWkgMzE"


@pytest.mark.parametrize(
    ("raw", "forwarded"),
    [
        ("congo=t61rcWkgMzE,,rojo=00f067aa0ba902b7", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"),
        (" congo=t61rcWkgMzE , \t, rojo=1 ,", "congo=t61rcWkgMzE,rojo=1"),
    ],
)
def test_tracestate_with_empty_list_members_is_kept_without_a_warning(
    capture: CapturingExporter, raw: str, forwarded: str
) -> None:
    session, adapter = _session()

    def main(req: func.HttpRequest) -> str:
        session.get("http://downstream.invalid/x")
        return "ok"

    context = make_context("Main", trace_parent=INCOMING, trace_state=raw)
    record = invoke(main, context=context, req=make_http_request())
    record.raise_for_exception()
    assert adapter.headers[0]["tracestate"] == forwarded
    assert [r.getMessage() for r in record.records if r.name == LOGGER_NAME] == []


def test_tracestate_of_only_empty_members_is_absent_without_a_warning(
    capture: CapturingExporter,
) -> None:
    session, adapter = _session()

    def main(req: func.HttpRequest) -> str:
        session.get("http://downstream.invalid/x")
        return "ok"

    context = make_context("Main", trace_parent=INCOMING, trace_state=" , ,")
    record = invoke(main, context=context, req=make_http_request())
    record.raise_for_exception()
    assert "tracestate" not in adapter.headers[0]
    assert [r.getMessage() for r in record.records if r.name == LOGGER_NAME] == []
