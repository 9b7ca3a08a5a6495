"""The host's runtime: the incoming trace context of an invocation."""

from __future__ import annotations

from python_worker_extension_framework.host.runtime import incoming_trace_context


def test_incoming_traceparent_is_continued_with_a_new_parent() -> None:
    incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    trace = incoming_trace_context({"traceparent": incoming, "tracestate": "k=v"})
    _version, trace_id, parent, flags = trace.trace_parent.split("-")
    assert (trace_id, flags, trace.trace_state) == ("0af7651916cd43dd8448eb211c80319c", "01", "k=v")
    assert parent != "b7ad6b7169203331"
    fresh = incoming_trace_context({"traceparent": "garbage", "tracestate": "k=v"})
    assert fresh.trace_parent.split("-")[1] != "0af7651916cd43dd8448eb211c80319c"
    assert fresh.trace_state == ""
