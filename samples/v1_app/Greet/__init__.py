"""``GET /api/greet/{name}``: answers through a *named* HTTP output binding (``res``)."""

import azure.functions as func
from python_worker_extension_timer import TimerExtension

from ..shared_code.greeting import greet  # a relative import, as the worker allows

TimerExtension.configure(append_to_http_response=True)


def main(req: func.HttpRequest, res: func.Out[func.HttpResponse]) -> None:
    res.set(func.HttpResponse(greet(req.route_params["name"])))
