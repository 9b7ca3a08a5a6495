"""Beside the worker's own OpenTelemetry mode, with the real Azure Monitor distro.

``worker_distro_mode.py`` does what worker 4.34 does with ``PYTHON_ENABLE_OPENTELEMETRY=1``
(``configure_azure_monitor`` before the app loads, the host's trace context attached
before each invocation's hooks), with the extension configured by the app, in a process
of its own; the distro sends to a local Application Insights ingestion endpoint.

Two installs, each once per run into a folder of its own put first on that process's
path (installed beside the development environment, the distro's ``azure.monitor.
opentelemetry`` package would shadow the exporter-only installs other tests make):

- the version constraints.txt pins, with the OpenTelemetry family pinned there: what pip
  resolves for an app that has the OTLP exporter too beside the worker's protobuf 4.25;
- the newest an app's requirements (the distro and this extension) resolve to, imported
  with the worker's protobuf 4.25 first on the path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import requires
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import pytest

from .conftest import (
    INCOMING_PARENT_ID,
    INCOMING_TRACE_ID,
    INSTRUMENTATION_KEY,
    clean_environment,
    pip_target,
)
from .receivers import Downstream, IngestionEndpoint

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).with_name("worker_distro_mode.py")
CONSTRAINTS = Path(__file__).resolve().parents[3] / "constraints.txt"
SITE_NAME = "contoso-orders"


@pytest.fixture(scope="module")
def distro_packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The distro at the version constraints.txt pins, with its requirements."""
    target = tmp_path_factory.mktemp("distro-packages")
    # setuptools below 81: the 0.48b0 instrumentations it brings import pkg_resources.
    pip_target(target, ["azure-monitor-opentelemetry", "setuptools<81"], "-c", str(CONSTRAINTS))
    return target


def pinned(name: str) -> str:
    """The version constraints.txt pins ``name`` to."""
    for line in CONSTRAINTS.read_text().splitlines():
        if line.startswith(f"{name}=="):
            return line.split("==", 1)[1].strip()
    raise LookupError(f"constraints.txt pins no {name}")


def run_app(
    packages: Path,
    ingestion: IngestionEndpoint,
    invocation_span: str,
    *,
    first: Sequence[Path] = (),
    kind: str = "sync",
    **options: Any,
) -> Tuple[Dict[str, Any], str]:
    """Run the app with ``packages`` (after the folders ``first``) ahead of this
    environment's on its path."""
    env = clean_environment()
    env.update(
        PYTHONPATH=os.pathsep.join(map(str, [*first, packages])),
        APPLICATIONINSIGHTS_CONNECTION_STRING=(
            f"InstrumentationKey={INSTRUMENTATION_KEY};IngestionEndpoint={ingestion.url}/"
        ),
        APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL="true",
        FUNCTIONS_WORKER_RUNTIME="python",  # what the platform sets; the distro reads them
        WEBSITE_SITE_NAME=SITE_NAME,
        FUNCTION_KIND=kind,
    )
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), invocation_span, json.dumps(options)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert completed.returncode == 0, completed.stderr
    facts: Dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return facts, completed.stderr


def _base(item: Dict[str, Any]) -> Dict[str, Any]:
    return item["data"]["baseData"]


def _metric(ingestion: IngestionEndpoint, name: str) -> List[float]:
    return [
        m["value"]
        for item in ingestion.envelopes("Metric")
        for m in _base(item)["metrics"]
        if m["name"] == name
    ]


def check_one_pipeline(facts: Dict[str, Any], stderr: str, packages: Path) -> None:
    """The distro's providers stay the global ones; ours only adds its one processor."""
    assert facts["distro"][1].startswith(str(packages))
    assert facts["status"] == 201
    assert facts["tracer_provider_kept"] and facts["meter_provider_kept"]
    assert facts["reused"] is True
    assert facts["span_processors_added"] == 1
    assert "Overriding" not in stderr
    assert facts["export_stats"]["failed"] == 0


def check_host_records_the_request(facts: Dict[str, Any], ingestion: IngestionEndpoint) -> None:
    """No invocation span of ours: the user's span is a child of the host's."""
    assert not ingestion.envelopes("Request")  # the host records the request
    assert facts["current_at_start"] == INCOMING_PARENT_ID  # the host's span, as attached
    (dependency,) = ingestion.envelopes("RemoteDependency")
    assert _base(dependency)["name"] == "reserve stock"
    assert dependency["tags"]["ai.operation.id"] == INCOMING_TRACE_ID
    assert dependency["tags"]["ai.operation.parentId"] == INCOMING_PARENT_ID
    assert dependency["tags"]["ai.cloud.role"] == SITE_NAME
    # The log record: exported by the distro's handler under the user's span, and carrying
    # our correlation fields too.
    (message,) = [
        m for m in ingestion.envelopes("Message") if _base(m)["message"] == "order placed"
    ]
    assert message["tags"]["ai.operation.id"] == INCOMING_TRACE_ID
    assert message["tags"]["ai.operation.parentId"] == _base(dependency)["id"]
    assert facts["log_ids"] == [INCOMING_TRACE_ID]
    # Our invocation metrics and the user's own instrument, through the distro's meter
    # provider (its delta temporality: the first export holds the invocation).
    assert _metric(ingestion, "faas.invocations")[0] == 1
    assert _metric(ingestion, "faas.coldstarts")[0] == 1
    assert _metric(ingestion, "orders_placed")[0] == 1
    assert not [m for m in ingestion.envelopes("Message") if "Overriding" in str(m)]


@pytest.mark.parametrize(
    ("invocation_span", "kind"), [("auto", "sync"), ("auto", "async"), ("never", "sync")]
)
def test_no_second_request_when_the_host_records_it(
    distro_packages: Path, ingestion: IngestionEndpoint, invocation_span: str, kind: str
) -> None:
    facts, stderr = run_app(distro_packages, ingestion, invocation_span, kind=kind)
    check_one_pipeline(facts, stderr, distro_packages)
    assert facts["distro"][0] == pinned("azure-monitor-opentelemetry")
    assert facts["sdk"] == pinned("opentelemetry-sdk")
    check_host_records_the_request(facts, ingestion)


def test_the_newest_distro_an_app_installs_beside_the_workers_protobuf(
    worker_packages: Path, tmp_path: Path, ingestion: IngestionEndpoint
) -> None:
    # What an app's requirements.txt of the distro and this extension resolves to today,
    # the worker's protobuf 4.25 imported first.
    app = tmp_path / "app-packages"
    ours = [
        r
        for r in requires("python-worker-extension-opentelemetry") or []
        if "extra" not in r and not r.startswith("python-worker-extension")
    ]
    pip_target(app, ["azure-monitor-opentelemetry", *ours])
    facts, stderr = run_app(app, ingestion, "auto", first=[worker_packages])
    check_one_pipeline(facts, stderr, app)
    assert facts["protobuf"][0].startswith("4.25.")
    assert facts["protobuf"][1].startswith(str(worker_packages))
    check_host_records_the_request(facts, ingestion)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_always_adds_the_invocation_span_under_the_hosts(
    distro_packages: Path, ingestion: IngestionEndpoint, kind: str
) -> None:
    facts, stderr = run_app(distro_packages, ingestion, "always", kind=kind)
    check_one_pipeline(facts, stderr, distro_packages)
    (request,) = ingestion.envelopes("Request")
    assert _base(request)["name"] == "POST /api/orders"
    assert _base(request)["responseCode"] == "201"
    assert request["tags"]["ai.operation.id"] == INCOMING_TRACE_ID
    assert request["tags"]["ai.operation.parentId"] == INCOMING_PARENT_ID
    assert request["tags"]["ai.cloud.role"] == SITE_NAME
    assert facts["current_at_start"] == _base(request)["id"]
    (dependency,) = ingestion.envelopes("RemoteDependency")
    assert dependency["tags"]["ai.operation.parentId"] == _base(request)["id"]
    (message,) = [
        m for m in ingestion.envelopes("Message") if _base(m)["message"] == "order placed"
    ]
    assert message["tags"]["ai.operation.parentId"] == _base(dependency)["id"]


def test_azure_monitor_chosen_too_sends_each_span_once(
    distro_packages: Path, ingestion: IngestionEndpoint
) -> None:
    # The natural configure() call of an app moving over: the worker's distro already
    # sends to that resource, so ours must not send every span a second time.
    facts, stderr = run_app(
        distro_packages,
        ingestion,
        "always",
        exporter="azure_monitor",
        azure_monitor_options={"disable_offline_storage": True},
    )
    check_one_pipeline(facts, stderr, distro_packages)
    ids = [_base(e)["id"] for e in ingestion.envelopes("Request")]
    ids += [_base(e)["id"] for e in ingestion.envelopes("RemoteDependency")]
    assert len(ids) == 2 and len(set(ids)) == 2
    assert _metric(ingestion, "faas.invocations")[0] == 1


def test_the_distros_client_spans_are_exported_with_secrets_masked(
    distro_packages: Path,
    ingestion: IngestionEndpoint,
    downstream: Downstream,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The distro instrumented requests (and urllib3) itself, and exports through its own
    # exporter: our processor on its provider masks the URL each span starts with.
    signature = "Zq0p9X8aSigValue1234"
    monkeypatch.setenv("DOWNSTREAM_URL", f"{downstream.url}/blob?sv=2021&sig={signature}")
    facts, stderr = run_app(distro_packages, ingestion, "auto")
    check_one_pipeline(facts, stderr, distro_packages)
    assert downstream.requests[0]["path"] == f"/blob?sv=2021&sig={signature}"  # sent as is
    calls = [e for e in ingestion.envelopes("RemoteDependency") if "/blob" in str(_base(e))]
    assert calls, ingestion.envelopes("RemoteDependency")
    assert any(
        _base(e).get("data") == f"{downstream.url}/blob?sv=2021&sig=[REDACTED]" for e in calls
    ), calls
    # Every span the distro exported (its log handler's records are its own: urllib3's
    # debug line carries the URL as sent).
    spans = ingestion.envelopes("RemoteDependency") + ingestion.envelopes("Request")
    leaked = [e for e in spans if signature in json.dumps(e)]
    assert not leaked, json.dumps(leaked)[:3000]
