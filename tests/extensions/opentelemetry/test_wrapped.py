"""A raising function wrapped with ``with_extensions`` is recorded as a failed invocation
span, exactly once, with its exception, in every production configuration: the 3.9-3.12
worker with extensions on (the wrapper adds the error phase), the same worker with the
setting off, and the 3.13+ worker (no extensions at all; the wrapper runs the chain)."""

from __future__ import annotations

import gc
from typing import Any, Callable

import azure.functions as func
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from python_worker_extension_framework.core.gating import SETTING
from python_worker_extension_framework.testing import make_context, make_http_request
from python_worker_extension_framework.wrapper import with_extensions
from python_worker_extension_opentelemetry import OpenTelemetryExtension

from ...framework.worker_like import PY312_OFF, PY312_ON, PY313, WorkerLike
from .conftest import INCOMING, INCOMING_TRACE_ID, finished

CONFIGURATIONS = (PY312_ON, PY312_OFF, PY313)
FUNCTION = "Checkout"
tracer = trace.get_tracer("tests.wrapped")


@pytest.fixture(params=CONFIGURATIONS, ids=[c.name for c in CONFIGURATIONS])
def worker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> WorkerLike:
    configuration: WorkerLike = request.param
    if configuration.setting is not None:
        monkeypatch.setenv(SETTING, configuration.setting)
    return configuration


def failing() -> Callable[..., Any]:
    @with_extensions
    def main(req: func.HttpRequest) -> func.HttpResponse:
        with tracer.start_as_current_span("charge card"):
            raise KeyError("sku-42")

    return main


def test_failed_invocation_is_one_error_span_with_its_exception(
    extension: type[OpenTelemetryExtension], worker: WorkerLike
) -> None:
    memory = InMemorySpanExporter()
    extension.configure(exporter=memory, instrumentations="none")
    request = make_http_request("POST", f"http://localhost:7071/api/{FUNCTION}", body=b"{}")
    context = make_context(FUNCTION, trace_parent=INCOMING)
    with pytest.raises(KeyError):
        worker.invoke(failing(), context, function_name=FUNCTION, req=request)
    gc.collect()  # the worker-mode safety net must not end the span a second time
    spans = finished(extension, memory)
    invocations = [s for s in spans if s.attributes.get("faas.name") == FUNCTION]
    assert len(invocations) == 1, [s.name for s in spans]
    (span,) = invocations
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["http.response.status_code"] == 500
    assert [e.name for e in span.events] == ["exception"]
    assert span.events[0].attributes["exception.type"] == "KeyError"
    assert f"{span.context.trace_id:032x}" == INCOMING_TRACE_ID
    (user,) = [s for s in spans if s.name == "charge card"]
    assert user.parent.span_id == span.context.span_id
    assert not trace.get_current_span().get_span_context().is_valid
