"""A v2-model function app for the local host: routes, bodies, bindings, a timer, a blueprint.

``funcext start samples/v2_app`` serves it; the timer extension appends each invocation's
time to text responses, so its hooks are visible in every answer.
"""

import json
import logging

import azure.functions as func
from python_worker_extension_timer import TimerExtension

TimerExtension.configure(append_to_http_response=True)

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
status = func.Blueprint()


@app.route(route="hello", methods=["GET", "POST"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    """Greets by ``?name=`` or by ``{"name": ...}`` in a JSON body."""
    name = req.params.get("name")
    if not name:
        try:
            name = req.get_json().get("name")
        except ValueError:
            name = None
    return func.HttpResponse(f"Hello, {name or 'stranger'}.")


@app.route(route="items/{id:int}", methods=["GET"])
def get_item(req: func.HttpRequest) -> func.HttpResponse:
    """JSON out: the int route parameter and the query, untouched by the timer."""
    body = {"id": int(req.route_params["id"]), "fields": req.params.get("fields", "")}
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.route(route="files/{*path}", methods=["GET"])
def get_file(req: func.HttpRequest) -> str:
    """A catch-all route; a plain ``str`` return becomes a 200 text response."""
    return f"file {req.route_params.get('path', '')}"


@app.route(route="orders", methods=["POST"])
@app.queue_output(arg_name="order", queue_name="orders", connection="AzureWebJobsStorage")
def place_order(req: func.HttpRequest, order: func.Out[str]) -> func.HttpResponse:
    """Sends the body to a queue output binding (the local host logs what was sent)."""
    order.set(req.get_body().decode())
    return func.HttpResponse("accepted", status_code=202)


@app.route(route="fail", methods=["GET"])
def fail(req: func.HttpRequest) -> func.HttpResponse:
    """Always raises: the host answers 500 and the traceback stays in the console."""
    raise ValueError("this function always fails")


@app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer", run_on_startup=False)
def cleanup(timer: func.TimerRequest, context: func.Context) -> None:
    """A timer function: run it locally with POST /admin/functions/cleanup."""
    logging.info("cleanup ran (past_due=%s, invocation %s)", timer.past_due, context.invocation_id)


@status.route(route="status", methods=["GET"])
def service_status(req: func.HttpRequest) -> func.HttpResponse:
    """Registered from a blueprint."""
    return func.HttpResponse(json.dumps({"status": "ok"}), mimetype="application/json")


app.register_functions(status)
