"""An app to watch in the dashboard: all four extensions, a span, log lines, a failure and
a retried function.

``funcext start samples/dashboard_app``, open the dashboard URL it prints, then:

    curl "http://127.0.0.1:7071/api/hello?name=Ann"
    curl http://127.0.0.1:7071/api/fail
    curl -X POST http://127.0.0.1:7071/admin/functions/flaky -d '{"input": ""}'

Spans are recorded by the OpenCensus extension and shown by the dashboard; the exporter is
``none`` (local.settings.json), so nothing is written or sent anywhere.
"""

import logging
from typing import Any, Dict

import azure.functions as func
from azure.functions import AppExtensionBase
from python_worker_extension_framework import ExtensionsFunctionApp
from python_worker_extension_opencensus import OpenCensusExtension
from python_worker_extension_request_logging import RequestLoggingExtension
from python_worker_extension_retry_context import RetryContextExtension
from python_worker_extension_timer import TimerExtension

TimerExtension.configure(add_server_timing_header=True)
RequestLoggingExtension.configure()
OpenCensusExtension.configure()  # exporter from local.settings.json
RetryContextExtension.configure()


class AuditExtension(AppExtensionBase):
    """An app's own extension: it logs on the logger the worker hands to hooks, so its lines
    are System logs (in Azure they do not reach the app's traces); the dashboard marks them."""

    @classmethod
    def post_invocation_app_level(
        cls,
        logger: logging.Logger,
        context: Any,
        func_args: Dict[str, Any],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        logger.info("audit: %s done", context.function_name)


app = ExtensionsFunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
log = logging.getLogger("dashboard_app")


@app.route(route="hello", methods=["GET", "POST"])
def hello(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    name = req.params.get("name") or "stranger"
    log.info("Greeting %s", name)
    with context.tracer.span("compose-greeting"):
        with context.tracer.span("look-up-title"):
            title = "Dr." if name.startswith("Dr") else ""
        return func.HttpResponse(f"Hello, {title or ''}{name}.")


@app.route(route="fail", methods=["GET"])
def fail(req: func.HttpRequest) -> func.HttpResponse:
    log.warning("About to fail on purpose")
    raise ValueError("this function always fails")


@app.timer_trigger(schedule="0 0 * * * *", arg_name="timer", run_on_startup=False)
@app.retry(strategy="fixed_delay", max_retry_count="2", delay_interval="00:00:01")
def flaky(timer: func.TimerRequest, context: func.Context) -> None:
    """Fails on its first two attempts and succeeds on the third."""
    retry_count = context.retry_context.retry_count
    log.info("flaky attempt %d", retry_count + 1)
    if retry_count < 2:
        raise ConnectionError(f"dependency unavailable (attempt {retry_count + 1})")
