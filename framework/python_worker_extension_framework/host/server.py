"""uvicorn's server, with the exit deadline started by the first stop signal."""

from __future__ import annotations

from types import FrameType
from typing import Optional

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


__all__ = ["StoppingServer"]
