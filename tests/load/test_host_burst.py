"""The local host under a bounded burst of concurrent requests, all four extensions on:
it keeps answering, and the only error answers are the ones the functions produce."""

from __future__ import annotations

import asyncio
from pathlib import Path

from python_worker_extension_framework.testing import running_host

from bench.loadgen import run_load_async

APP = Path(__file__).resolve().parents[2] / "samples" / "all_extensions_app"
QUIET = {"PYTHON_WORKER_EXTENSION_OPENCENSUS_EXPORTER": "none"}


async def _burst(base_url: str) -> tuple:
    return await asyncio.gather(
        run_load_async(f"{base_url}/api/hello?name=burst", requests=600, connections=48),
        run_load_async(f"{base_url}/api/fail", requests=60, connections=8),
    )


def test_burst_gets_only_the_answers_functions_give() -> None:
    with running_host(APP, env=QUIET) as host:
        hello, fail = asyncio.run(_burst(host.base_url))
        after = asyncio.run(run_load_async(f"{host.base_url}/api/hello", requests=5))
        host.wait_for(r"Executed 'Functions\.hello'", count=605)
        output = host.output
    assert hello.statuses == {200: 600} and hello.errors == 0
    assert fail.statuses == {500: 60} and fail.errors == 0
    assert after.statuses == {200: 5}
    assert output.count("Executed 'Functions.fail' (Failed") == 60
    assert output.count("(Failed, Id=") == 60  # no hello invocation failed
    assert output.count("Traceback (most recent call last)") == 60  # one per fail, no other
