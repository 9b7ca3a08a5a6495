"""The floor of "host, all four extensions": the bare hello world on the same uvicorn plus
``azure.functions`` and the parts of the OpenCensus library the OpenCensus extension loads to
trace a request (the tracer, its samplers, propagation and span types, which bring protobuf);
nothing of the host or of the extensions."""

from typing import Any, Awaitable, Callable, Dict

import azure.functions  # noqa: F401 - imported for their start-up cost only
import opencensus.common.schedule
import opencensus.trace.base_exporter
import opencensus.trace.blank_span
import opencensus.trace.execution_context
import opencensus.trace.propagation.trace_context_http_header_format
import opencensus.trace.propagation.tracestate_string_format
import opencensus.trace.samplers
import opencensus.trace.span_data
import opencensus.trace.tracer
import opencensus.trace.tracers.noop_tracer
import opencensus.trace.utils  # noqa: F401

BODY = b"Hello, World."


async def app(
    scope: Dict[str, Any],
    receive: Callable[[], Awaitable[Dict[str, Any]]],
    send: Callable[[Dict[str, Any]], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(BODY)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": BODY})
