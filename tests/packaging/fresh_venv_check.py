"""Run inside a fresh venv that holds only the built wheels: imports come from site-packages,
never the source tree, and the samples answer as documented."""

from __future__ import annotations

import importlib
import os
import sys
from importlib.metadata import distributions
from pathlib import Path


def main(samples: Path) -> int:
    ours = sorted(
        d.metadata["Name"]
        for d in distributions()
        if d.metadata["Name"].startswith("python-worker-extension-")
    )
    print("installed:", ", ".join(ours))
    for dist in ours:
        module = importlib.import_module(dist.replace("-", "_"))
        location = Path(module.__file__ or "").resolve()
        assert "site-packages" in str(location), f"{dist} imported from {location}"
    os.environ["PYTHON_ENABLE_WORKER_EXTENSIONS"] = "1"
    timer_app = samples / "timer_app"
    if timer_app.is_dir():
        from python_worker_extension_framework import Dispatcher
        from python_worker_extension_framework.testing import make_context, make_http_request

        sys.path.insert(0, str(timer_app))
        from HttpTrigger import main as http_trigger  # type: ignore[import-not-found]

        request = make_http_request("GET", "http://127.0.0.1/api/HttpTrigger?name=Wheel")
        worker = Dispatcher(python_version=(3, 12))  # the worker that runs extensions
        response = worker.invoke(http_trigger, {"req": request}, make_context("HttpTrigger"))
        body = response.get_body().decode()
        assert "Hello, Wheel." in body and "(TimeElapsed: " in body, body
        print("timer sample:", body)
    print("fresh venv checks passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1])))
