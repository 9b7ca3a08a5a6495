"""``POST /api/Enqueue``: a ``str`` return for HTTP and a queue output binding."""

import azure.functions as func
from shared_code import greeting  # the app root is on sys.path, as in Azure


def main(req: func.HttpRequest, msg: func.Out[str]) -> str:
    msg.set(req.get_body().decode())
    return greeting.greet("queue")
