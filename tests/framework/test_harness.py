"""The pytest harness our users get: builders, invoke, registry isolation."""

from __future__ import annotations

import json
import logging
from typing import Any

import azure.functions as func
from azure.functions import ExtensionMeta
from python_worker_extension_framework import Invocation, WorkerExtension, traceparent
from python_worker_extension_framework.testing import (
    invoke,
    isolated_registry,
    make_context,
    make_http_request,
    registered,
)


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
