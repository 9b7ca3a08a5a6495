"""One measurement for ``bench_dashboard``: CPU time per request of the host's ASGI app,
driven in-process (no sockets, no load generator), with the dashboard on or off.

``python -m bench.dashboard_driver APP_DIR on|off REQUESTS`` prints microseconds of process
CPU time per ``GET /api/hello``. The sync function runs inline instead of in the pool, so
every cycle is this process's and the figure does not depend on other load on the machine.
The dashboard is on as with no page open (the state the benchmark is about).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any, Callable, MutableMapping


class _Inline(Executor):
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


async def _drive(app: Any, count: int) -> None:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/hello",
        "raw_path": b"/api/hello",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:7071"), (b"user-agent", b"bench")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 7071),
        "scheme": "http",
        "http_version": "1.1",
    }

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        pass

    for _ in range(count):
        await app(dict(scope), receive, send)


def main(app_dir: str, mode: str, requests: int) -> float:
    from python_worker_extension_framework.host import console
    from python_worker_extension_framework.host.asgi import HostApp
    from python_worker_extension_framework.host.runtime import FunctionHost

    folder = Path(app_dir).resolve()
    os.chdir(folder)
    console.install_console(stream=open(os.devnull, "w"))  # noqa: SIM115 (for the process)
    host = FunctionHost.load(folder)
    host.run_load_hooks()
    host.executor = _Inline()  # type: ignore[assignment]
    app: Any = HostApp(host)
    if mode == "on":
        from python_worker_extension_framework.host.dashboard import Dashboard

        app = Dashboard.attach(host, "127.0.0.1").wrap(app)
    asyncio.run(_drive(app, max(requests // 5, 100)))  # warm-up; fills part of the ring
    started = time.process_time()
    asyncio.run(_drive(app, requests))
    return (time.process_time() - started) / requests * 1e6


if __name__ == "__main__":
    print(f"{main(sys.argv[1], sys.argv[2], int(sys.argv[3])):.3f}")
