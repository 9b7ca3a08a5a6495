"""All four extensions in one v2 app, wrapped so they also see failures (and run on 3.13+).

``funcext start samples/all_extensions_app``, then:

    curl "http://127.0.0.1:7071/api/hello?name=Ann&code=secret-key"   # the key is never logged
    curl http://127.0.0.1:7071/api/fail                                # 500, logged and traced
    curl -X POST http://127.0.0.1:7071/admin/functions/nightly -d '{"input": ""}'

Spans go to ``opencensus-spans.jsonl`` in the app folder (the local exporter chosen in
local.settings.json); with ``APPLICATIONINSIGHTS_CONNECTION_STRING`` set and the exporter
setting removed, they go to Application Insights instead.
"""

import logging

import azure.functions as func
from python_worker_extension_framework import ExtensionsFunctionApp
from python_worker_extension_opencensus import OpenCensusExtension
from python_worker_extension_request_logging import RequestLoggingExtension
from python_worker_extension_retry_context import RetryContextExtension
from python_worker_extension_timer import TimerExtension

TimerExtension.configure(append_to_http_response=True, add_server_timing_header=True)
RequestLoggingExtension.configure()
OpenCensusExtension.configure()  # exporter and file from local.settings.json
RetryContextExtension.configure(
    on_final_failure=lambda info, context, exc: logging.getLogger("all_extensions_app").error(
        "Giving up on %s after %d attempts", context.function_name, info.attempt
    )
)

app = ExtensionsFunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello", methods=["GET", "POST"])
def hello(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    with context.tracer.span("compose-greeting"):  # a user span, child of the invocation's
        name = req.params.get("name") or "stranger"
        return func.HttpResponse(f"Hello, {name}.")


@app.route(route="fail", methods=["GET"])
def fail(req: func.HttpRequest) -> func.HttpResponse:
    raise ValueError("this function always fails")


@app.timer_trigger(schedule="0 0 2 * * *", arg_name="timer", run_on_startup=False)
@app.retry(strategy="fixed_delay", max_retry_count="1", delay_interval="00:00:01")
def nightly(timer: func.TimerRequest, context: func.Context) -> None:
    logging.info("nightly run, attempt %d", context.retry_context.retry_count + 1)
