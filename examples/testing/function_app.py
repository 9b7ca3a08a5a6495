import json
import logging

import azure.functions as func
from python_worker_extension_framework.wrapper import ExtensionsFunctionApp
from python_worker_extension_request_logging import RequestLoggingExtension
from python_worker_extension_timer import TimerExtension

TimerExtension.configure(add_server_timing_header=True)
RequestLoggingExtension.configure()

app = ExtensionsFunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="items/{id:int}", methods=["GET"])
def get_item(req: func.HttpRequest) -> func.HttpResponse:
    item = {"id": int(req.route_params["id"]), "name": req.params.get("name")}
    return func.HttpResponse(json.dumps(item), mimetype="application/json")


@app.route(route="orders", methods=["POST"])
def place_order(req: func.HttpRequest) -> func.HttpResponse:
    order = req.get_json()
    return func.HttpResponse(f"order for {order['sku']}", status_code=201)


@app.timer_trigger(schedule="0 0 2 * * *", arg_name="mytimer", run_on_startup=False)
def nightly(mytimer: func.TimerRequest) -> None:
    if mytimer.past_due:
        logging.warning("nightly is running late")
