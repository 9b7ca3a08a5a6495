import azure.functions as func
from python_worker_extension_timer import TimerExtension

TimerExtension.configure(append_to_http_response=True, add_server_timing_header=True)

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello")
def hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"Hello, {req.params.get('name', 'World')}.")
