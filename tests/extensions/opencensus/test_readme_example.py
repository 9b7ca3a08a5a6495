"""The readme's ``context.tracer`` example, run as the readme shows it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_opencensus import CapturingExporter

from .conftest import INCOMING, INCOMING_TRACE_ID

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "opencensus" / "tracer_main.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("opencensus_tracer_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_span_opened_on_context_tracer_is_a_child_of_the_invocation_span(
    capture: CapturingExporter,
) -> None:
    record = invoke(
        _load().main,
        function_name="HttpTrigger",
        context=make_context("HttpTrigger", trace_parent=INCOMING),
        req=make_http_request(),
    )
    assert record.result.get_body() == b"done"
    child = capture.named("parent")
    root = capture.named("HttpTrigger")
    assert child.parent_span_id == root.span_id
    assert child.context.trace_id == root.context.trace_id == INCOMING_TRACE_ID
