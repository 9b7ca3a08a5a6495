"""The tutorial's HttpTrigger (``func new -t HttpTrigger -n HttpTrigger -a anonymous``),
with the timer extension imported and configured before ``main``."""

import logging

import azure.functions as func
from python_worker_extension_timer import TimerExtension

TimerExtension.configure(append_to_http_response=True)


def main(req: func.HttpRequest) -> func.HttpResponse:
    logging.info("Python HTTP trigger function processed a request.")

    name = req.params.get("name")
    if not name:
        try:
            req_body = req.get_json()
        except ValueError:
            pass
        else:
            name = req_body.get("name")

    if name:
        return func.HttpResponse(
            f"Hello, {name}. This HTTP triggered function executed successfully."
        )
    return func.HttpResponse(
        "This HTTP triggered function executed successfully. Pass a name in the query "
        "string or in the request body for a personalized response.",
        status_code=200,
    )
