"""The pytest harness our users get: builders, invoke, registry isolation."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
from pathlib import Path
from typing import Any, List

import azure.functions as func
import httpx
import pytest
from azure.functions import ExtensionMeta
from python_worker_extension_framework import Dispatcher, Invocation, WorkerExtension, traceparent
from python_worker_extension_framework.testing import (
    AppClient,
    RouteMismatchError,
    invoke,
    invoke_async,
    isolated_registry,
    make_context,
    make_http_request,
    registered,
    running_host,
)

from ..docs.run_pytest import run_pytest


def test_make_http_request_fills_params_from_url_and_json_body() -> None:
    request = make_http_request("post", "http://localhost/api/items?name=x", json={"a": 1})
    assert request.method == "POST"
    assert request.params["name"] == "x"
    assert request.get_json() == {"a": 1}


def test_make_context_has_worker_attributes() -> None:
    context = make_context(
        "Orders", retry_count=1, max_retry_count=3, previous_error=ValueError("no")
    )
    parsed, reason = traceparent.parse(context.trace_context.trace_parent)
    assert parsed is not None and reason is None
    assert context.trace_context.Traceparent == context.trace_context.trace_parent
    assert context.retry_context.retry_count == 1
    assert context.retry_context.rpc_exception.type == "ValueError"
    assert context.retry_context.exception is context.retry_context.rpc_exception
    assert make_context("f").retry_context is None


def test_invoke_records_result_hooks_and_logs(extensions_enabled: None) -> None:
    class Announcer(WorkerExtension):
        @classmethod
        def _on_post_invocation(cls, invocation: Invocation, result: Any) -> None:
            cls.log.info("done %s", invocation.function_name)

    def main(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
        logging.getLogger("user").warning("in function %s", context.function_name)
        return func.HttpResponse(f"hi {req.params['name']}")

    record = invoke(main, req=make_http_request(url="http://x/api/main?name=ann"))
    assert record.result.get_body() == b"hi ann"
    assert record.hook_calls == [
        ("pre_invocation_app_level", "Announcer"),
        ("post_invocation_app_level", "Announcer"),
    ]
    assert "in function main" in record.messages("user")
    assert "done main" in record.messages()


def test_invoke_returns_exception_instead_of_raising(extensions_enabled: None) -> None:
    def main() -> None:
        raise RuntimeError("boom")

    record = invoke(main, capture_exception=True)
    assert isinstance(record.exception, RuntimeError)


def test_isolated_registry_drops_extensions_defined_inside() -> None:
    before = ExtensionMeta.get_registered_extensions_json()
    with isolated_registry():

        class Temporary(WorkerExtension):
            pass

        assert "Temporary" in ExtensionMeta.get_registered_extensions_json()
    assert ExtensionMeta.get_registered_extensions_json() == before


def test_registered_re_registers_existing_extension_classes(extensions_enabled: None) -> None:
    class Existing(WorkerExtension):
        pass

    Existing.configure(exclude=["x"])
    with registered(Existing):
        assert json.loads(ExtensionMeta.get_registered_extensions_json()) == {
            "AppExtension": ["Existing"]
        }
        assert not Existing.is_configured()


# -- what invoke takes, and what it does with it ----------------------------------------

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
blueprint = func.Blueprint()


@app.route(route="items/{id:int}/{view=summary}", methods=["GET"])
def get_item(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"{req.route_params['id']} {req.route_params['view']}")


@app.route(route="fail")
def fail(req: func.HttpRequest) -> func.HttpResponse:
    raise KeyError(req.route_params["id"])


@blueprint.route(route="files/{*path}")
@blueprint.queue_output(arg_name="audit", queue_name="audit", connection="Storage")
def read_file(req: func.HttpRequest, audit: func.Out[str]) -> str:
    audit.set(req.route_params.get("path", ""))
    return "ok"


class Names(WorkerExtension):
    @classmethod
    def _on_post_invocation(cls, invocation: Invocation, result: Any) -> None:
        cls.log.info("ran %s", invocation.function_name)


def test_invoke_takes_the_decorated_function_its_name_and_route_params() -> None:
    with registered(Names):
        record = invoke(get_item, req=make_http_request("GET", "/api/items/42?x=1"))
    assert record.result.get_body() == b"42 summary"
    assert record.context.function_name == "get_item"
    assert record.messages("tests") == ["ran get_item"]
    assert repr(record) == "<InvocationRecord get_item: returned HttpResponse(status_code=200)>"


def test_blueprint_function_gets_catch_all_params_and_an_out_for_its_output_binding() -> None:
    record = invoke(read_file, req=make_http_request("GET", "/api/files/a/b.txt"))
    assert record.result == "ok"
    assert record.func_args["audit"].get() == "a/b.txt"


def test_make_http_request_against_a_function_fills_route_params_at_once() -> None:
    request = make_http_request("GET", "/api/items/7/full", function=get_item)
    assert request.route_params == {"id": "7", "view": "full"}
    assert make_http_request("GET", "/x", route_params={"id": "1"}).route_params == {"id": "1"}


def test_a_url_the_route_does_not_match_is_a_clear_error() -> None:
    with pytest.raises(RouteMismatchError, match=r"'/api/items/abc' does not match the route"):
        invoke(get_item, req=make_http_request("GET", "/api/items/abc"))
    with pytest.raises(RouteMismatchError, match="accepts GET, not POST"):
        make_http_request("POST", "/api/items/1", function=get_item)
    with pytest.raises(RouteMismatchError, match=r"routePrefix 'api'"):
        invoke(get_item, req=make_http_request("GET", "/items/1"))


def test_the_function_exception_propagates_unchanged_after_the_error_hooks() -> None:
    calls: List[str] = []

    class Errors(WorkerExtension):
        @classmethod
        def _on_invocation_error(cls, invocation: Invocation, exception: BaseException) -> None:
            calls.append(type(exception).__name__)

    request = make_http_request("GET", "/api/fail")
    with pytest.raises(KeyError, match="id"):
        invoke(fail, req=request)
    assert calls == ["KeyError"]
    record = invoke(fail, req=request, capture_exception=True)
    assert isinstance(record.exception, KeyError)
    assert repr(record) == "<InvocationRecord fail: raised KeyError('id')>"


def test_a_missing_or_none_trigger_argument_is_a_type_error_naming_the_builder() -> None:
    with pytest.raises(TypeError, match=r"the httpTrigger argument 'req' is missing.*make_http"):
        invoke(get_item)
    with pytest.raises(TypeError, match=r"'req' is None"):
        invoke(get_item, req=None)


def test_chain_wrapper_runs_hooks_whatever_the_setting_and_worker_follows_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHON_ENABLE_WORKER_EXTENSIONS", "0")

    def main() -> str:
        return "ok"

    with registered(Names):
        assert ("post_invocation_app_level", "Names") in invoke(main).hook_calls
        assert invoke(main, chain="worker").hook_calls == []
    with pytest.raises(ValueError, match="chain='both'"):
        invoke(main, chain="both")
    with pytest.raises(TypeError, match="either dispatcher= or chain="):
        invoke(main, chain="worker", dispatcher=Dispatcher())


def test_async_functions_through_invoke_and_invoke_async() -> None:
    async def main(name: str) -> str:
        return f"hi {name}"

    assert invoke(main, name="a").result == "hi a"

    async def inside_a_loop() -> None:
        assert (await invoke_async(main, name="b")).result == "hi b"
        with pytest.raises(RuntimeError, match=r"use 'await invoke_async"):
            invoke(main, name="c")

    asyncio.run(inside_a_loop())


def test_v1_main_takes_its_name_bindings_and_route_prefix_from_its_folder(tmp_path: Path) -> None:
    (tmp_path / "host.json").write_text(
        json.dumps({"version": "2.0", "extensions": {"http": {"routePrefix": "v1"}}})
    )
    folder = tmp_path / "Greet"
    folder.mkdir()
    (folder / "function.json").write_text(
        json.dumps(
            {
                "bindings": [
                    {"type": "httpTrigger", "name": "req", "route": "greet/{name:alpha}"},
                    {"type": "http", "direction": "out", "name": "$return"},
                ]
            }
        )
    )
    (folder / "__init__.py").write_text(
        "def main(req):\n    return 'hello ' + req.route_params['name']\n"
    )
    spec = importlib.util.spec_from_file_location("harness_v1_greet", folder / "__init__.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    record = invoke(module.main, req=make_http_request("GET", "/v1/greet/ann"))
    assert record.result == "hello ann"
    assert record.context.function_name == "Greet"
    with pytest.raises(RouteMismatchError, match=r"/v1/greet/\{name:alpha\}"):
        invoke(module.main, req=make_http_request("GET", "/api/greet/ann"))


@pytest.mark.slow
def test_app_registry_keeps_the_apps_extensions_and_extension_registry_empties_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "app_module.py").write_text(
        "from python_worker_extension_framework import WorkerExtension\n\n"
        "class AppExt(WorkerExtension):\n    pass\n\n"
        "AppExt.configure()\n\n"
        "def main():\n    return 'ok'\n"
    )
    (tmp_path / "test_fixtures.py").write_text(
        "import app_module\n"
        "from python_worker_extension_framework.testing import invoke\n\n"
        "def test_app(app_registry):\n"
        "    calls = invoke(app_module.main).hook_calls\n"
        "    assert ('pre_invocation_app_level', 'AppExt') in calls\n\n"
        "def test_extension(extension_registry):\n"
        "    assert invoke(app_module.main).hook_calls == []\n"
    )
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout
    assert "2 passed" in result.stdout


EXAMPLE_APP = Path(__file__).resolve().parents[2] / "examples" / "testing"


@pytest.mark.slow
def test_running_host_takes_an_app_path_relative_to_the_working_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(EXAMPLE_APP.parent)
    with running_host("testing") as host:
        assert httpx.get(host.url("api/items/7"), timeout=30).json() == {"id": 7, "name": None}


def test_app_client_gives_the_process_back_as_it_found_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os
    import sys

    monkeypatch.delenv("FUNCTIONS_WORKER_RUNTIME", raising=False)
    environ, cwd, path = dict(os.environ), os.getcwd(), list(sys.path)
    registry_before = ExtensionMeta.get_registered_extensions_json()
    with AppClient(EXAMPLE_APP) as client:
        assert os.environ["FUNCTIONS_WORKER_RUNTIME"] == "python"  # from local.settings.json
        assert "RequestLoggingExtension" in ExtensionMeta.get_registered_extensions_json()
        assert client.get("/api/items/abc").status_code == 404
    assert dict(os.environ) == environ and os.getcwd() == cwd and sys.path == path
    assert ExtensionMeta.get_registered_extensions_json() == registry_before
    assert "function_app" not in sys.modules
