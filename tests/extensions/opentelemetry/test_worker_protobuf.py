"""Beside the worker's own packages.

Worker 4.34 pins protobuf 4.25.x and has imported it before the app loads; the app's
packages are resolved by pip without knowing that, into a folder that comes after the
worker's on the path. So each case here installs the distribution's third-party
requirements (read from its installed metadata: the base and one extra) with pip's newest
resolution into a folder of their own, puts a folder holding only protobuf 4.25 before
it, imports that protobuf first, and then imports the extension and exports to a local
endpoint. Proven for the OpenTelemetry extension with each exporter extra, and for the
OpenCensus extension (whose ``protobuf<5`` cap this shows is needed: without it the
``google-api-core`` chain brings generated code that cannot import on protobuf 4.25).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib.metadata import requires
from pathlib import Path
from typing import Dict, List

import pytest
from packaging.requirements import Requirement

from .conftest import INSTRUMENTATION_KEY, pip_target
from .receivers import IngestionEndpoint, OtlpReceiver

pytestmark = pytest.mark.slow

OURS = ("python-worker-extension-framework",)


def third_party_requirements(distribution: str, extra: str = "") -> List[str]:
    """The distribution's requirements for its base and ``extra``, without our own."""
    found = []
    for line in requires(distribution) or []:
        requirement = Requirement(line)
        if requirement.name in OURS:
            continue
        marker = requirement.marker
        if marker is None or (extra and marker.evaluate({"extra": extra})):
            requirement.marker = None
            found.append(str(requirement))
    return found


PRELUDE = """
import sys
sys.path[0:0] = [{worker!r}, {app!r}]
import google.protobuf  # the worker imports its protobuf before the app loads
assert google.protobuf.__version__.startswith("4.25."), google.protobuf.__version__
import json, os
os.environ["PYTHON_ENABLE_WORKER_EXTENSIONS"] = "1"
os.environ["APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL"] = "true"
import azure.functions as func
from python_worker_extension_framework.testing import invoke, make_context, make_http_request

def hello(req):
    return func.HttpResponse("ok")

def once(extension, name, **options):
    extension.configure(**options)
    invoke(hello, context=make_context(name), req=make_http_request())
    extension.flush(10)
"""

FACTS = """
import google.protobuf, importlib.metadata as metadata
print(json.dumps({"protobuf": google.protobuf.__file__, "module": MODULE.__file__}))
"""

CASES: Dict[str, str] = {
    "otlp": """
from python_worker_extension_opentelemetry import OpenTelemetryExtension
import opentelemetry.exporter.otlp.proto.http as MODULE
once(OpenTelemetryExtension, "ViaOtlp", exporter="otlp", otlp_endpoint=os.environ["OTLP"],
     instrumentations="none")
""",
    "azure": """
from python_worker_extension_opentelemetry import OpenTelemetryExtension
import azure.monitor.opentelemetry.exporter as MODULE
once(OpenTelemetryExtension, "ViaAzure", exporter="azure_monitor",
     connection_string=os.environ["AZURE"], instrumentations="none",
     azure_monitor_options={"disable_offline_storage": True})
""",
    "opencensus": """
from python_worker_extension_opencensus import OpenCensusExtension
import opencensus.ext.azure as MODULE
once(OpenCensusExtension, "ViaOpenCensus", connection_string=os.environ["AZURE"],
     enable_local_storage=False)
""",
}


def run_case(
    worker: Path, app: Path, case: str, env: Dict[str, str]
) -> subprocess.CompletedProcess:
    code = textwrap.dedent(PRELUDE.format(worker=str(worker), app=str(app)))
    code += textwrap.dedent(CASES[case]) + textwrap.dedent(FACTS)
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **env},
    )


@pytest.mark.parametrize(
    ("distribution", "extra", "case"),
    [
        ("python-worker-extension-opentelemetry", "otlp", "otlp"),
        ("python-worker-extension-opentelemetry", "azure", "azure"),
        ("python-worker-extension-opencensus", "", "opencensus"),
    ],
)
def test_exports_on_the_workers_protobuf(
    worker_packages: Path,
    tmp_path: Path,
    otlp: OtlpReceiver,
    ingestion: IngestionEndpoint,
    distribution: str,
    extra: str,
    case: str,
) -> None:
    app = tmp_path / "app-packages"
    pip_target(app, third_party_requirements(distribution, extra))
    connection = f"InstrumentationKey={INSTRUMENTATION_KEY};IngestionEndpoint={ingestion.url}/"
    completed = run_case(worker_packages, app, case, {"OTLP": otlp.url, "AZURE": connection})
    assert completed.returncode == 0, completed.stderr
    facts = json.loads(completed.stdout.strip().splitlines()[-1])
    assert facts["protobuf"].startswith(str(worker_packages))  # the worker's won
    assert facts["module"].startswith(str(app))  # the exporter of the app's resolution
    if case == "otlp":
        assert [s["attributes"]["faas.name"] for s in otlp.spans()] == ["ViaOtlp"]
    else:
        (request,) = ingestion.envelopes("Request")
        assert request["data"]["baseData"]["responseCode"] == "200"


def test_opencensus_without_its_cap_fails_there(worker_packages: Path, tmp_path: Path) -> None:
    app = tmp_path / "app-packages"
    uncapped = [
        r
        for r in third_party_requirements("python-worker-extension-opencensus")
        if not r.startswith("protobuf")
    ]
    pip_target(app, uncapped)
    completed = run_case(worker_packages, app, "opencensus", {"AZURE": "InstrumentationKey=x"})
    assert completed.returncode != 0
    assert "runtime_version" in completed.stderr
