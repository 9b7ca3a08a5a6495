"""Each test gets OpenTelemetryExtension alone in an isolated registry, freshly reset, with
extensions enabled and none of its settings (nor OpenTelemetry's standard variables, nor the
platform's) inherited from the machine. After each test nothing may be left current.

Fixtures for the local endpoints (OTLP receiver, Application Insights ingestion, a
downstream service) and an in-memory exporter configured as the extension's exporter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from python_worker_extension_framework.testing import registered
from python_worker_extension_opentelemetry import APP_SETTING_PREFIX, OpenTelemetryExtension

from .receivers import Downstream, IngestionEndpoint, OtlpReceiver, serve

SETTINGS_TO_CLEAR = (
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "PYTHON_ENABLE_OPENTELEMETRY",
    "WEBSITE_SITE_NAME",
    "WEBSITE_OWNER_NAME",
    "WEBSITE_RESOURCE_GROUP",
    "REGION_NAME",
)
INCOMING_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING_PARENT_ID = "00f067aa0ba902b7"
INCOMING = f"00-{INCOMING_TRACE_ID}-{INCOMING_PARENT_ID}-01"
INSTRUMENTATION_KEY = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(autouse=True)
def extension(
    extensions_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[type[OpenTelemetryExtension]]:
    for name in list(os.environ):
        if (
            name.startswith(APP_SETTING_PREFIX)
            or name.startswith("OTEL_")
            or name in SETTINGS_TO_CLEAR
        ):
            monkeypatch.delenv(name)
    # The real Azure Monitor exporters would send their own usage statistics to Microsoft.
    monkeypatch.setenv("APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL", "true")
    with registered(OpenTelemetryExtension):
        OpenTelemetryExtension.reset()
        yield OpenTelemetryExtension
        OpenTelemetryExtension.reset()
    assert not trace.get_current_span().get_span_context().is_valid, "a span was left current"


@pytest.fixture
def memory(extension: type[OpenTelemetryExtension]) -> InMemorySpanExporter:
    """An in-memory exporter, configured as the extension's exporter (spans only)."""
    exporter = InMemorySpanExporter()
    extension.configure(exporter=exporter, instrumentations="none")
    return exporter


def finished(extension: type[OpenTelemetryExtension], exporter: InMemorySpanExporter) -> list:
    extension.flush(10.0)
    return list(exporter.get_finished_spans())


@pytest.fixture
def otlp() -> Iterator[OtlpReceiver]:
    yield from serve(OtlpReceiver())


@pytest.fixture
def ingestion() -> Iterator[IngestionEndpoint]:
    yield from serve(IngestionEndpoint())


@pytest.fixture
def downstream() -> Iterator[Downstream]:
    yield from serve(Downstream())


WORKER_PROTOBUF = "protobuf==4.25.*"


def pip_target(target: Path, requirements: List[str], *options: str, deps: bool = True) -> None:
    """pip's resolution of ``requirements`` into ``target`` alone (``pip install --target``)."""
    command = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    command += ["--target", str(target), *([] if deps else ["--no-deps"]), *options]
    completed = subprocess.run(
        [*command, *requirements], capture_output=True, text=True, timeout=600
    )
    assert completed.returncode == 0, completed.stderr


@pytest.fixture(scope="module")
def worker_packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding only the worker's protobuf, like the worker's own package folder."""
    target = tmp_path_factory.mktemp("worker-packages")
    pip_target(target, [WORKER_PROTOBUF], deps=False)
    return target


def clean_environment() -> Dict[str, str]:
    """This process's environment without the OpenTelemetry, extension and Application
    Insights settings a test may have set: what a fresh app process starts with."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OTEL_", "PYTHON_WORKER_EXTENSION_", "APPLICATIONINSIGHTS_"))
    }


def run_fresh(script: str) -> Any:
    """Run ``script`` in a fresh interpreter (a clean environment); what its last line
    printed, read as JSON."""
    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_environment(),
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])
