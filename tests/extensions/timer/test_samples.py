"""The samples run as documented: the tutorial's v1 app and the v2 ``function_app.py``."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any, Dict

import azure.functions as func
from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_timer import ELAPSED_HEADER, SERVER_TIMING_HEADER, TimerExtension

from .conftest import body_time, logged_time

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
V1_APP = SAMPLES / "timer_app"
V2_APP = SAMPLES / "timer_v2_app"
GREETING = "This HTTP triggered function executed successfully."
ANONYMOUS = (
    "This HTTP triggered function executed successfully. Pass a name in the query string "
    "or in the request body for a personalized response."
)

# The worker these tests describe: on Python 3.13+ no worker runs extensions at all.
WORKER_WITH_EXTENSIONS = (3, 12)


def _load(path: Path, name: str) -> ModuleType:
    """Import a sample file under a unique name (samples share names like function_app)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _v2_functions() -> Dict[str, Any]:
    app = _load(V2_APP / "function_app.py", "timer_v2_sample_function_app").app
    return {f.get_function_name(): f.get_user_function() for f in app.get_functions()}


def test_v1_app_is_laid_out_as_func_init_makes_it() -> None:
    bindings = json.loads((V1_APP / "HttpTrigger" / "function.json").read_text())["bindings"]
    assert bindings[0]["type"] == "httpTrigger" and bindings[0]["authLevel"] == "anonymous"
    values = json.loads((V1_APP / "local.settings.json").read_text())["Values"]
    assert values["PYTHON_ENABLE_WORKER_EXTENSIONS"] == "1"
    assert values["FUNCTIONS_WORKER_RUNTIME"] == "python"
    for app in (V1_APP, V2_APP):
        requirements = (app / "requirements.txt").read_text().split()
        assert "python-worker-extension-timer" in requirements
        assert json.loads((app / "host.json").read_text())["version"] == "2.0"


def test_v1_sample_answers_with_the_time_appended_through_the_dispatcher() -> None:
    main = _load(V1_APP / "HttpTrigger" / "__init__.py", "timer_v1_sample_http_trigger").main
    assert TimerExtension.settings().append_to_http_response is True
    request = make_http_request("GET", "http://localhost:7071/api/HttpTrigger")
    response = Dispatcher(python_version=WORKER_WITH_EXTENSIONS).invoke(
        main, {"req": request}, make_context("HttpTrigger")
    )
    body = response.get_body().decode()
    assert re.fullmatch(re.escape(ANONYMOUS) + r" \(TimeElapsed: [0-9.e-]+ sec\)", body), body

    record = invoke(
        main, function_name="HttpTrigger", req=make_http_request(params={"name": "Ada"})
    )
    body = record.result.get_body().decode()
    assert body.startswith(f"Hello, Ada. {GREETING} (TimeElapsed: ")
    assert body_time(record.result.get_body()) == logged_time(record)[2]


def test_v1_sample_reads_the_name_from_a_json_body() -> None:
    main = _load(V1_APP / "HttpTrigger" / "__init__.py", "timer_v1_sample_http_trigger").main
    record = invoke(main, req=make_http_request("POST", json={"name": "Grace"}))
    assert record.result.get_body().decode().startswith(f"Hello, Grace. {GREETING} (TimeElapsed: ")


def test_v2_sample_text_route_gets_the_suffix_and_headers() -> None:
    functions = _v2_functions()
    assert set(functions) == {"http_trigger", "stats"}
    record = invoke(
        functions["http_trigger"],
        function_name="http_trigger",
        req=make_http_request("GET", "http://localhost:7071/api/HttpTrigger?name=World"),
    )
    seconds = logged_time(record)[2]
    response: func.HttpResponse = record.result
    assert response.get_body().decode() == f"Hello, World. {GREETING} (TimeElapsed: {seconds} sec)"
    assert response.headers[ELAPSED_HEADER] == seconds
    assert response.headers[SERVER_TIMING_HEADER].startswith("function;dur=")


def test_v2_sample_json_route_keeps_valid_json_and_reports_by_header() -> None:
    record = invoke(_v2_functions()["stats"], function_name="stats", req=make_http_request())
    response: func.HttpResponse = record.result
    assert json.loads(response.get_body()) == {"status": "ok", "items": 3}
    assert response.headers[ELAPSED_HEADER] == logged_time(record)[2]
