"""The floor of "host, no extensions": the bare hello world on the same uvicorn plus the one
import every function app makes, ``azure.functions``; nothing of the host."""

from typing import Any, Awaitable, Callable, Dict

import azure.functions  # noqa: F401 - imported for its start-up cost only

BODY = b"Hello, World."


async def app(
    scope: Dict[str, Any],
    receive: Callable[[], Awaitable[Dict[str, Any]]],
    send: Callable[[Dict[str, Any]], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(BODY)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": BODY})
