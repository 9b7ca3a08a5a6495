"""A function app under the worker's own OpenTelemetry mode, with the real Azure Monitor
distro, in a process of its own (the global providers can be set once per process).

Run by test_distro_coexistence.py as ``python worker_distro_mode.py <invocation_span>`` with
``APPLICATIONINSIGHTS_CONNECTION_STRING`` pointing at a local ingestion endpoint. It does,
in order, what worker 4.34 does with ``PYTHON_ENABLE_OPENTELEMETRY=1``:

0. the worker's protobuf is imported first (its own package folder comes first on the path);
1. at worker start-up, before the app loads: ``OTEL_EXPERIMENTAL_RESOURCE_DETECTORS``
   defaults to ``azure_functions``, then ``configure_azure_monitor(connection_string=<the
   APPLICATIONINSIGHTS_CONNECTION_STRING app setting>, logger_name=<PYTHON_AZURE_MONITOR_
   LOGGER_NAME, default "">)``: the distro sets the global tracer, meter and logger
   providers and puts its log handler on that logger (the root one by default);
2. the app loads: it configures the extension;
3. per invocation, on the thread that runs the function and before the extension hooks:
   the host's ``traceparent``/``tracestate`` extracted with the W3C propagator and attached,
   never detached.

It prints one JSON line of what it saw in-process; the envelopes are at the endpoint.
``argv[2]``, when given, is JSON of more ``configure()`` options; ``FUNCTION_KIND=async``
makes the function a coroutine.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from importlib import metadata

import google.protobuf  # the worker imports its protobuf before anything of the app's

os.environ["PYTHON_ENABLE_WORKER_EXTENSIONS"] = "1"
os.environ["PYTHON_ENABLE_OPENTELEMETRY"] = "1"

# 1. Worker start-up.
os.environ.setdefault("OTEL_EXPERIMENTAL_RESOURCE_DETECTORS", "azure_functions")
import azure.monitor.opentelemetry
from azure.monitor.opentelemetry import configure_azure_monitor

DISTRO_FILE = azure.monitor.opentelemetry.__file__

configure_azure_monitor(
    connection_string=os.environ.get("APPLICATIONINSIGHTS_CONNECTION_STRING"),
    logger_name=os.environ.get("PYTHON_AZURE_MONITOR_LOGGER_NAME", ""),
)

from opentelemetry import _logs, metrics, trace  # noqa: E402
from opentelemetry import context as otel_context  # noqa: E402
from opentelemetry.trace.propagation.tracecontext import (  # noqa: E402
    TraceContextTextMapPropagator,
)

DISTRO_TRACER_PROVIDER = trace.get_tracer_provider()
DISTRO_METER_PROVIDER = metrics.get_meter_provider()


def span_processors() -> int:
    return len(DISTRO_TRACER_PROVIDER._active_span_processor._span_processors)  # type: ignore[attr-defined]


DISTRO_PROCESSORS = span_processors()

# 2. The app loads.
import azure.functions as func  # noqa: E402
from python_worker_extension_framework.testing import (  # noqa: E402
    invoke,
    make_context,
    make_http_request,
)
from python_worker_extension_opentelemetry import OpenTelemetryExtension  # noqa: E402

HOST_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
HOST_SPAN_ID = "00f067aa0ba902b7"
HOST_TRACEPARENT = f"00-{HOST_TRACE_ID}-{HOST_SPAN_ID}-01"

OpenTelemetryExtension.configure(
    invocation_span=sys.argv[1],
    instrumentations="none",
    **json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}"),
)
tracer = trace.get_tracer("contoso.orders")
orders = metrics.get_meter("contoso.orders").create_counter("orders_placed")
log = logging.getLogger("contoso.orders")
log.setLevel(logging.INFO)
seen: dict = {}


def place_order(req: func.HttpRequest) -> func.HttpResponse:
    seen["current_at_start"] = f"{trace.get_current_span().get_span_context().span_id:016x}"
    with tracer.start_as_current_span("reserve stock"):
        log.info("order placed")
        orders.add(1, {"region": "west"})
    if os.environ.get("DOWNSTREAM_URL"):  # a call the distro's instrumentations record
        import requests

        requests.get(os.environ["DOWNSTREAM_URL"], timeout=10)
    return func.HttpResponse("placed", status_code=201)


async def place_order_async(req: func.HttpRequest) -> func.HttpResponse:
    return place_order(req)


# 3. The worker's per-invocation step, then the extension's chain as the worker runs it:
# a sync function's in its pool thread, an async one's on its event loop (which starts
# from the context current here).
carrier = {"traceparent": HOST_TRACEPARENT, "tracestate": ""}
otel_context.attach(TraceContextTextMapPropagator().extract(carrier))
record = invoke(
    place_order_async if os.environ.get("FUNCTION_KIND") == "async" else place_order,
    context=make_context("PlaceOrder", trace_parent=HOST_TRACEPARENT),
    req=make_http_request("POST", "https://contoso.net/api/orders"),
    chain="worker",
)
OpenTelemetryExtension.flush(10)
# What a worker shutting down does: the distro's providers export what they hold.
trace.get_tracer_provider().force_flush()  # type: ignore[attr-defined]
metrics.get_meter_provider().force_flush()  # type: ignore[attr-defined]
_logs.get_logger_provider().force_flush()  # type: ignore[attr-defined]

print(
    json.dumps(
        {
            "status": record.result.status_code,
            "tracer_provider_kept": trace.get_tracer_provider() is DISTRO_TRACER_PROVIDER,
            "meter_provider_kept": metrics.get_meter_provider() is DISTRO_METER_PROVIDER,
            "reused": OpenTelemetryExtension.tracer_provider_reused(),
            "span_processors_added": span_processors() - DISTRO_PROCESSORS,
            "distro": [metadata.version("azure-monitor-opentelemetry"), DISTRO_FILE],
            "sdk": metadata.version("opentelemetry-sdk"),
            "protobuf": [google.protobuf.__version__, google.protobuf.__file__],
            "log_ids": [
                getattr(r, "otelTraceID", None) for r in record.records if r.name == log.name
            ],
            "export_stats": OpenTelemetryExtension.export_stats(),
            **seen,
        }
    )
)
