"""The garbage collector around ``funcext start``'s start-up (host/startup_gc.py): paused
while the app is imported, then back exactly as configured, with the start-up objects frozen."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
from python_worker_extension_framework.testing import running_host

from .conftest import AppWriter

GC_APP = """
import gc
import json
import azure.functions as func

COLLECTING_AT_IMPORT = gc.isenabled()
app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="gc")
def report(req: func.HttpRequest) -> str:
    garbage = [[]]
    garbage[0].append(garbage)  # a cycle made while serving: the collector frees it
    del garbage
    return json.dumps(
        {
            "at_import": COLLECTING_AT_IMPORT,
            "enabled": gc.isenabled(),
            "threshold": list(gc.get_threshold()),
            "frozen": gc.get_freeze_count(),
            "collected": gc.collect(),
        }
    )
"""


def test_collection_is_paused_for_the_start_then_back_as_configured(write_app: AppWriter) -> None:
    default = subprocess.run(
        [sys.executable, "-c", "import gc, json; print(json.dumps(list(gc.get_threshold())))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    app = write_app({"function_app.py": GC_APP})
    with running_host(app) as host, httpx.Client() as client:
        answer = client.get(host.url("api/gc"))
    assert answer.status_code == 200, answer.text
    seen = json.loads(answer.text)
    assert seen["at_import"] is False  # the app's import ran with collection paused
    assert seen["enabled"] is True
    assert seen["threshold"] == json.loads(default)
    assert seen["frozen"] > 10_000  # the modules, classes and functions start-up made
    assert seen["collected"] >= 2  # at least the function's own cycle of two lists
