"""The invocation's parent: the host's ``traceparent``/``tracestate`` read with exactly the
decisions of OpenTelemetry's W3C propagator, for the common form (read in one step) and
every other (handed to the propagator), and used as the invocation span's parent."""

from __future__ import annotations

import random
from typing import Optional

import pytest
from opentelemetry.context import Context
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, get_current_span
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_opentelemetry import OpenTelemetryExtension
from python_worker_extension_opentelemetry.propagation import headers, remote_parent

from .conftest import finished

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_ID = "00f067aa0ba902b7"
HEADERS = [
    f"00-{TRACE_ID}-{SPAN_ID}-01",
    f"00-{TRACE_ID}-{SPAN_ID}-00",
    f"00-{TRACE_ID}-{SPAN_ID}-ff",
    f"00-{TRACE_ID}-{SPAN_ID}-03",
    f" 00-{TRACE_ID}-{SPAN_ID}-01\t",  # surrounding blanks: the propagator accepts them
    f"00-{TRACE_ID.upper()}-{SPAN_ID}-01",  # upper case: refused
    f"00-{'0' * 32}-{SPAN_ID}-01",  # all-zero trace id
    f"00-{TRACE_ID}-{'0' * 16}-01",  # all-zero parent id
    f"ff-{TRACE_ID}-{SPAN_ID}-01",  # version ff
    f"00-{TRACE_ID}-{SPAN_ID}-01-extra",  # version 00 with more fields
    f"01-{TRACE_ID}-{SPAN_ID}-01-extra",  # a future version may carry more
    f"01-{TRACE_ID}-{SPAN_ID}-01",
    f"00-{TRACE_ID}-{SPAN_ID}-1",
    f"00-{TRACE_ID[:-1]}-{SPAN_ID}-01",
    f"00-{TRACE_ID}-{SPAN_ID}-01\n",
    "00-zz-yy-01",
    "not a traceparent",
    "",
]
STATES = [None, "", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", "bad state!", "a=1,a=2"]


def _propagators_span(traceparent: str, tracestate: Optional[str]) -> Optional[object]:
    carrier = {"traceparent": traceparent} if traceparent else {}
    if traceparent and tracestate:
        carrier["tracestate"] = tracestate
    span = get_current_span(TraceContextTextMapPropagator().extract(carrier, context=Context()))
    return span if span.get_span_context().is_valid else None


@pytest.mark.parametrize("tracestate", STATES)
@pytest.mark.parametrize("traceparent", HEADERS)
def test_same_parent_as_the_w3c_propagator(traceparent: str, tracestate: Optional[str]) -> None:
    mine = remote_parent(traceparent or None, tracestate or None)
    theirs = _propagators_span(traceparent, tracestate)
    if theirs is None:
        assert mine is None
        return
    assert mine is not None
    assert mine.get_span_context() == theirs.get_span_context()  # type: ignore[attr-defined]
    assert mine.get_span_context().is_remote
    assert mine.get_span_context().trace_state == (
        theirs.get_span_context().trace_state  # type: ignore[attr-defined]
    )


def test_random_parents_agree_with_the_propagator() -> None:
    rng = random.Random(5)
    for _ in range(500):
        trace_id, span_id = rng.getrandbits(128), rng.getrandbits(64)
        header = f"00-{trace_id:032x}-{span_id:016x}-{rng.randrange(256):02x}"
        mine = remote_parent(header, None)
        theirs = _propagators_span(header, None)
        assert (mine and mine.get_span_context()) == (
            theirs and theirs.get_span_context()  # type: ignore[attr-defined]
        )


def test_headers_come_from_either_name_on_the_context() -> None:
    parent = f"00-{TRACE_ID}-{SPAN_ID}-01"
    assert headers(make_context("F", trace_parent=parent, trace_state="a=1")) == (parent, "a=1")
    assert headers(make_context("F", trace_parent="")) == (None, None)

    class Older:  # the worker's older capitalised names only
        Traceparent = parent
        Tracestate = ""

    class Context:
        trace_context = Older()

    assert headers(Context()) == (parent, None)
    assert headers(object()) == (None, None)


@pytest.mark.parametrize(
    "traceparent", [f" 00-{TRACE_ID}-{SPAN_ID}-01", f"01-{TRACE_ID}-{SPAN_ID}-01-later"]
)
def test_uncommon_forms_still_parent_the_invocation_span(
    extension: type[OpenTelemetryExtension], memory: InMemorySpanExporter, traceparent: str
) -> None:
    invoke(
        lambda req: None,
        context=make_context("F", trace_parent=traceparent, trace_state="congo=t61"),
        req=make_http_request("GET", "http://h/api/f"),
    )
    (span,) = [s for s in finished(extension, memory) if s.kind is SpanKind.SERVER]
    assert f"{span.context.trace_id:032x}" == TRACE_ID
    assert f"{span.parent.span_id:016x}" == SPAN_ID
    assert span.context.trace_state.get("congo") == "t61"
