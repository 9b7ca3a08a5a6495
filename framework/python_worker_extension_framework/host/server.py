"""uvicorn's server, with the exit deadline started by the first stop signal, and the
websocket protocol imported only when a client asks for an upgrade."""

from __future__ import annotations

import importlib.util
from types import FrameType
from typing import Any, Callable, Optional

import uvicorn

from .shutdown import ExitDeadline


class StoppingServer(uvicorn.Server):
    """``uvicorn.Server`` whose first Ctrl-C or SIGTERM also starts ``deadline``, so the
    whole exit, graceful part included, fits in ``--shutdown-timeout``."""

    def __init__(self, config: uvicorn.Config, deadline: ExitDeadline) -> None:
        super().__init__(config)
        self.deadline = deadline

    def handle_exit(self, sig: int, frame: Optional[FrameType]) -> None:
        self.deadline.start()
        super().handle_exit(sig, frame)


def lazy_websocket_protocol() -> Optional[Callable[..., Any]]:
    """What to give ``uvicorn.Config(ws=...)``: uvicorn's ``ws="auto"`` choice (websockets,
    else wsproto), imported at the first upgrade request rather than at start-up.

    The host serves no websockets (the app answers an upgrade with 403), yet ``"auto"``
    imports a websocket library at start-up, some 8 ms of every ``funcext start``. With no
    library installed this is None, as ``"auto"`` would be: upgrades are then not attempted.
    """
    if not any(importlib.util.find_spec(name) for name in ("websockets", "wsproto")):
        return None

    def websocket_protocol(**kwargs: Any) -> Any:
        from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol

        if AutoWebSocketsProtocol is None:  # found above, yet it does not import
            raise RuntimeError("no websocket library could be imported")
        return AutoWebSocketsProtocol(**kwargs)

    return websocket_protocol


__all__ = ["StoppingServer", "lazy_websocket_protocol"]
