import azure.functions as func
from opentelemetry import trace
from python_worker_extension_framework import ExtensionsFunctionApp
from python_worker_extension_opentelemetry import OpenTelemetryExtension

# Or "azure_monitor", "otlp", "console", "none", or any SpanExporter object.
OpenTelemetryExtension.configure(exporter="jsonl")

app = ExtensionsFunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
tracer = trace.get_tracer(__name__)


@app.route(route="orders/{id}")
def get_order(req: func.HttpRequest) -> func.HttpResponse:
    with tracer.start_as_current_span("load order"):  # a child of the invocation span
        return func.HttpResponse(f"order {req.route_params['id']}")
