"""The timer extension in the v2 programming model: one ``function_app.py`` for the app.

``GET /api/HttpTrigger?name=World`` answers a text body with the elapsed time appended;
``GET /api/stats`` answers JSON, which the extension leaves alone and reports through the
``X-Time-Elapsed`` and ``Server-Timing`` headers instead.

The app is an ``ExtensionsFunctionApp`` (the framework's in-function wrapper), so a function
that raises is timed too, and the timer runs on Python 3.13+, where the worker runs no
extensions. With a plain ``func.FunctionApp`` the app works the same on 3.9-3.12, minus
the failures.
"""

import json
import logging

import azure.functions as func
from python_worker_extension_framework import ExtensionsFunctionApp
from python_worker_extension_timer import TimerExtension

TimerExtension.configure(append_to_http_response=True, add_server_timing_header=True)

app = ExtensionsFunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="HttpTrigger", methods=["GET", "POST"])
def http_trigger(req: func.HttpRequest) -> func.HttpResponse:
    logging.info("Python HTTP trigger function processed a request.")
    name = req.params.get("name")
    if not name:
        try:
            name = req.get_json().get("name")
        except ValueError:
            name = None
    if name:
        return func.HttpResponse(
            f"Hello, {name}. This HTTP triggered function executed successfully."
        )
    return func.HttpResponse(
        "This HTTP triggered function executed successfully. Pass a name in the query "
        "string or in the request body for a personalized response."
    )


@app.route(route="stats", methods=["GET"])
def stats(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({"status": "ok", "items": 3}), mimetype="application/json")
