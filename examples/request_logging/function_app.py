import azure.functions as func
from python_worker_extension_framework.wrapper import ExtensionsFunctionApp
from python_worker_extension_request_logging import RequestLoggingExtension

RequestLoggingExtension.configure(exclude_paths=["/api/health"])

app = ExtensionsFunctionApp(http_auth_level=func.AuthLevel.FUNCTION)  # drop-in FunctionApp


@app.route(route="items/{id}")
def get_item(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"item {req.route_params['id']}")
