"""``GET /api/Fail``: always raises, so the host answers 500."""

import azure.functions as func


def main(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("Fail always fails")
