"""Runs the timer sample's HttpTrigger once through the dispatcher and prints the answer.

``make run`` falls back to this when the local host is not installed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.testing import make_context, make_http_request

APP = Path(__file__).parent / "timer_app"


def main() -> int:
    os.environ.setdefault("PYTHON_ENABLE_WORKER_EXTENSIONS", "1")
    sys.path.insert(0, str(APP))
    from HttpTrigger import main as http_trigger  # type: ignore[import-not-found]

    request = make_http_request("GET", "http://127.0.0.1:7071/api/HttpTrigger?name=World")
    response = Dispatcher().invoke(http_trigger, {"req": request}, make_context("HttpTrigger"))
    print(response.status_code, response.get_body().decode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
