"""Beside the worker's own OpenTelemetry mode, in a fresh process each (the global tracer
provider can be set once per process): the worker (here: what ``PYTHON_ENABLE_OPENTELEMETRY=1``
does, an SDK provider set globally before the app loads) keeps its provider; the extension
reuses it, never installs a second one, and adds the invocation span only when asked.
Quick, with in-memory exporters; test_distro_coexistence.py runs the real distro."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any, Dict

from .conftest import clean_environment

SCRIPT = textwrap.dedent(
    """
    import json, os
    os.environ["PYTHON_ENABLE_WORKER_EXTENSIONS"] = "1"
    os.environ["PYTHON_ENABLE_OPENTELEMETRY"] = "1"
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    # What the worker's mode does before the app loads: a provider, set globally.
    workers = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(workers))
    trace.set_tracer_provider(provider)

    import azure.functions as func
    from python_worker_extension_framework.testing import invoke, make_context, make_http_request
    from python_worker_extension_opentelemetry import OpenTelemetryExtension

    PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    tracer = trace.get_tracer("app")

    def handler(req):
        with tracer.start_as_current_span("user"):
            pass
        return func.HttpResponse("ok")

    def run():
        workers.clear()
        invoke(handler, context=make_context("Hello", trace_parent=PARENT), req=make_http_request())
        OpenTelemetryExtension.flush(5)
        return [
            {"name": s.name, "span_id": f"{s.context.span_id:016x}",
             "trace_id": f"{s.context.trace_id:032x}",
             "parent": f"{s.parent.span_id:016x}" if s.parent else None}
            for s in workers.get_finished_spans()
        ]

    out = {}
    OpenTelemetryExtension.configure(instrumentations="none")  # no exporter: theirs
    out["reused"] = OpenTelemetryExtension.tracer_provider_reused()
    out["same_global"] = trace.get_tracer_provider() is provider
    out["auto"] = run()
    OpenTelemetryExtension.configure(instrumentations="none", invocation_span="always")
    out["always"] = run()
    OpenTelemetryExtension.configure(exporter="jsonl", jsonl_path=os.environ["SPANS"],
                                     instrumentations="none", invocation_span="always")
    OpenTelemetryExtension.configure(exporter="jsonl", jsonl_path=os.environ["SPANS"],
                                     instrumentations="none", invocation_span="always")
    out["with_exporter"] = run()
    out["processors"] = len(provider._active_span_processor._span_processors)
    out["same_global_after"] = trace.get_tracer_provider() is provider
    print(json.dumps(out))
    """
)


def run_script(tmp_path: Any) -> Dict[str, Any]:
    spans = tmp_path / "spans.jsonl"
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean_environment(), "SPANS": str(spans)},
    )
    assert completed.returncode == 0, completed.stderr
    result: Dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    result["jsonl"] = [json.loads(line) for line in spans.read_text().splitlines()]
    return result


def test_the_workers_provider_is_reused_never_replaced(tmp_path: Any) -> None:
    result = run_script(tmp_path)
    assert result["reused"] is True
    assert result["same_global"] is True and result["same_global_after"] is True
    # auto, with the worker's mode on: no invocation span (the host records the request);
    # the user's span continues the host's trace under the host's span.
    (user,) = result["auto"]
    assert user["name"] == "user"
    assert user["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert user["parent"] == "00f067aa0ba902b7"
    # always: the invocation span, in the worker's provider, parent of the user's span.
    spans = {s["name"]: s for s in result["always"]}
    assert spans["user"]["parent"] == spans["GET /api/HttpTrigger"]["span_id"]
    assert spans["GET /api/HttpTrigger"]["parent"] == "00f067aa0ba902b7"
    # An exporter of ours too: one processor slot added once, however often configured,
    # and spans go to both the worker's exporter and ours.
    assert result["processors"] == 2
    assert {s["name"] for s in result["with_exporter"]} == {"user", "GET /api/HttpTrigger"}
    assert {s["name"] for s in result["jsonl"]} == {"user", "GET /api/HttpTrigger"}
