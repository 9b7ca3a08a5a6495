"""OpenTelemetry in a v2 app: an invocation span per invocation, FaaS metrics, log
correlation and outgoing propagation, without touching the functions.

``funcext start samples/opentelemetry_app``, then:

    curl http://127.0.0.1:7071/api/orders/42?code=secret-key   # the key never reaches a span
    curl http://127.0.0.1:7071/api/orders/0                    # 503: an error span
    curl http://127.0.0.1:7071/api/fail                        # raises: error span + exception
    curl -X POST http://127.0.0.1:7071/admin/functions/nightly -d '{"input": ""}'

Spans go to ``opentelemetry-spans.jsonl`` in the app folder (the local exporter chosen in
local.settings.json). To send everything to an OTLP backend instead, set
``PYTHON_WORKER_EXTENSION_OPENTELEMETRY_EXPORTER=otlp`` and ``OTEL_EXPORTER_OTLP_ENDPOINT``
(install the ``[otlp]`` extra); for Application Insights set
``APPLICATIONINSIGHTS_CONNECTION_STRING`` and remove the exporter setting.

The app is an ``ExtensionsFunctionApp`` (the framework's in-function wrapper), so a function
that raises is recorded with its exception, and all of it works on Python 3.13+ too.
"""

import logging
import os

import azure.functions as func
import requests
from opentelemetry import trace
from python_worker_extension_framework import ExtensionsFunctionApp
from python_worker_extension_opentelemetry import OpenTelemetryExtension

OpenTelemetryExtension.configure()  # exporter, endpoint and service name from the settings

app = ExtensionsFunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
tracer = trace.get_tracer("opentelemetry_app")
log = logging.getLogger("opentelemetry_app")


@app.route(route="orders/{id}", methods=["GET"])
def get_order(req: func.HttpRequest) -> func.HttpResponse:
    order_id = req.route_params.get("id", "")
    log.info("looking up order %s", order_id)  # carries the invocation's trace and span ids
    with tracer.start_as_current_span("load order") as span:  # a child of the invocation span
        span.set_attribute("order.id", order_id)
        stock_url = os.environ.get("STOCK_SERVICE_URL")
        if stock_url:  # an outgoing call: it carries the trace in its traceparent header
            requests.get(f"{stock_url}/stock/{order_id}", timeout=5)
    if order_id == "0":
        return func.HttpResponse("order service unavailable", status_code=503)
    return func.HttpResponse(f"order {order_id}")


@app.route(route="fail", methods=["GET"])
def fail(req: func.HttpRequest) -> func.HttpResponse:
    raise ValueError("this function always fails")


@app.timer_trigger(schedule="0 0 2 * * *", arg_name="timer", run_on_startup=False)
def nightly(timer: func.TimerRequest) -> None:
    with tracer.start_as_current_span("nightly cleanup"):
        log.info("nightly run")
