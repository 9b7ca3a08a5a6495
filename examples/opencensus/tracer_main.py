import azure.functions as func


def main(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    with context.tracer.span("parent"):
        ...
    return func.HttpResponse("done")
