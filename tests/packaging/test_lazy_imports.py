"""What a cold start imports: each case runs in a fresh interpreter and lists ``sys.modules``.

An extension runs inside the real worker, which never needs the local host (uvicorn, h11,
the dashboard) nor the pytest harness; an exporter or an instrumentation the app did not
choose must not be imported at ``configure()``; the local host's rarely used commands load
only when asked for. Each of these imports costs every cold start milliseconds, and a
stray top-level import brings them back without failing any other test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Set

import pytest

_CONNECTION_STRING = (
    "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/"
)

# Loaded only by `funcext start` / `funcext check`, the pytest harness or the dashboard.
HOST_ONLY = [
    "uvicorn",
    "h11",
    "python_worker_extension_framework.host",
    "python_worker_extension_framework.testing",
]


def modules_after(code: str, env: Dict[str, str] | None = None) -> Set[str]:
    """The names in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(
            os.environ,
            PYTHON_ENABLE_WORKER_EXTENSIONS="1",
            APPLICATIONINSIGHTS_CONNECTION_STRING=_CONNECTION_STRING,
            **(env or {}),
        ),
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def loaded(modules: Set[str], packages: List[str]) -> List[str]:
    """The modules of ``packages`` (each a package or module name) found in ``modules``."""
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


EXTENSIONS = {
    "framework": "import python_worker_extension_framework",
    "toolkit": "import python_worker_extension_framework.toolkit",
    "timer": "from python_worker_extension_timer import TimerExtension as E; E.configure()",
    "request logging": (
        "from python_worker_extension_request_logging import RequestLoggingExtension as E;"
        " E.configure()"
    ),
    "retry context": (
        "from python_worker_extension_retry_context import RetryContextExtension as E;"
        " E.configure()"
    ),
    "opencensus": (
        "from python_worker_extension_opencensus import OpenCensusExtension as E;"
        " E.configure(exporter='none')"
    ),
    "opentelemetry": (
        "from python_worker_extension_opentelemetry import OpenTelemetryExtension as E;"
        " E.configure(exporter='none')"
    ),
}


@pytest.mark.parametrize("code", EXTENSIONS.values(), ids=list(EXTENSIONS))
def test_the_framework_and_extensions_never_load_the_local_host(code: str) -> None:
    assert loaded(modules_after(code), HOST_ONLY) == []


def test_opencensus_without_azure_exporter_loads_neither_it_nor_requests() -> None:
    modules = modules_after(EXTENSIONS["opencensus"])
    assert loaded(modules, ["opencensus.ext.azure.trace_exporter", "requests", "urllib3"]) == []


def test_opencensus_traces_requests_imported_after_configure() -> None:
    """The integration waits for the app's ``import requests``, then wraps it as before."""
    code = (
        f"{EXTENSIONS['opencensus']}\n"
        "import sys\n"
        "assert 'requests' not in sys.modules\n"
        "import requests\n"
        "from opencensus.ext.requests import trace\n"
        "def wrappers():\n"
        "    f, n = vars(requests.Session)['request'], 0\n"
        "    while f is not None:\n"
        "        n += getattr(f, '_self_wrapper', None) is trace.wrap_session_request\n"
        "        f = getattr(f, '__wrapped__', None)\n"
        "    return n\n"
        "assert wrappers() == 1, wrappers()\n"
        "E.reset(); E.configure(exporter='none')\n"  # a second configure: no second wrapper
        "assert wrappers() == 1, wrappers()\n"
    )
    assert "opencensus.ext.requests.trace" in modules_after(code)


def test_opencensus_trace_requests_false_leaves_a_later_requests_unwrapped() -> None:
    code = (
        f"{EXTENSIONS['opencensus']}\n"  # asks for the integration: it waits for the import
        "E.reset(); E.configure(exporter='none', trace_requests=False)\n"
        "import requests\n"
        "assert not hasattr(requests.Session.request, '_self_wrapper')\n"
    )
    assert "opencensus.ext.requests" not in modules_after(code)


CLIENTS = ["requests", "httpx", "aiohttp", "urllib3", "azure.core"]


def test_opentelemetry_exporter_none_loads_no_exporter_and_no_client_library() -> None:
    modules = modules_after(
        f"{EXTENSIONS['opentelemetry']}\n"
        "assert set(E.instrumentations().values()) == {'instrumented'}, E.instrumentations()"
    )
    assert loaded(modules, ["opentelemetry.exporter", "azure.monitor"]) == []
    assert loaded(modules, [*CLIENTS, "opentelemetry.instrumentation", "pkg_resources"]) == []


def test_opentelemetry_instruments_a_client_when_the_app_imports_it() -> None:
    modules_after(
        f"{EXTENSIONS['opentelemetry']}\n"
        "import requests, httpx, azure.core.settings\n"
        "from opentelemetry.instrumentation.requests import RequestsInstrumentor\n"
        "from opentelemetry.instrumentation.urllib3 import URLLib3Instrumentor\n"
        "from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor\n"
        "for kind in (RequestsInstrumentor, URLLib3Instrumentor, HTTPXClientInstrumentor):\n"
        "    assert kind().is_instrumented_by_opentelemetry, kind\n"
        "assert azure.core.settings.settings.tracing_implementation() is not None\n"
        "E.configure(exporter='none')\n"  # again: nothing is wrapped twice
        "assert set(E.instrumentations().values()) == {'already instrumented'}\n"
    )


def test_opentelemetry_reset_cancels_an_instrumentation_waiting_for_its_import() -> None:
    modules = modules_after(f"{EXTENSIONS['opentelemetry']}\nE.reset()\nimport httpx\n")
    assert "httpx" in modules
    assert "opentelemetry.instrumentation.httpx" not in modules


def test_opentelemetry_reports_an_instrumentation_that_fails_on_import() -> None:
    modules_after(
        "from python_worker_extension_opentelemetry import integrations\n"
        "module, _, package = integrations.INSTRUMENTORS['httpx']\n"
        "integrations.INSTRUMENTORS['httpx'] = (module, 'NoSuchInstrumentor', package)\n"
        f"{EXTENSIONS['opentelemetry']}\n"
        "assert E.instrumentations()['httpx'] == 'instrumented'\n"
        "import httpx\n"
        "outcome = E.instrumentations()['httpx']\n"
        "assert outcome.startswith('failed: AttributeError'), outcome\n"
    )


def test_the_host_command_line_loads_check_and_versions_only_when_asked() -> None:
    modules = modules_after(
        "from python_worker_extension_framework.host.cli import build_parser\n"
        "build_parser().parse_args(['start', '.'])"
    )
    assert "python_worker_extension_framework.host.cli" in modules
    assert (
        loaded(
            modules,
            [
                "python_worker_extension_framework.host.check.engine",
                "python_worker_extension_framework.host.check.report",
                "python_worker_extension_framework.host.check.python_version",
                "python_worker_extension_framework.host.versions",
                "python_worker_extension_framework.host.dashboard",
                "importlib.metadata",
            ],
        )
        == []
    )


def test_the_hosts_server_loads_no_websocket_library_until_an_upgrade() -> None:
    """uvicorn's ``ws="auto"`` imports one at start-up; the host's lazy protocol does not
    (tests/e2e/test_host_hardening.py shows an upgrade still reaches it)."""
    modules = modules_after(
        "import uvicorn\n"
        "from python_worker_extension_framework.host.server import lazy_websocket_protocol\n"
        "async def app(scope, receive, send): pass\n"
        "protocol = lazy_websocket_protocol()\n"
        "assert protocol is not None\n"  # wsproto is installed in the test environment
        "uvicorn.Config(app, ws=protocol).load()"
    )
    assert "uvicorn.config" in modules
    assert loaded(modules, ["wsproto", "websockets", "uvicorn.protocols.websockets"]) == []


# What `funcext start` itself imports, without the app: the command line, the modules
# `_serve` imports and the dashboard (what the process has loaded before the first request).
HOST_START = (
    "from python_worker_extension_framework.host import cli\n"
    "from python_worker_extension_framework.host import asgi, guard, protocol, runtime, server\n"
    "from python_worker_extension_framework.host.dashboard import Dashboard\n"
)


def test_the_host_loads_no_wrapper_timers_cors_or_dashboard_views_at_start() -> None:
    """Each is needed only by some apps or some requests: the wrapper (and wrapt) by an app
    that wraps its functions, timers and the NCRONTAB parser by a timer function, CORS by a
    CORS setting, the dashboard's views and page files by the first dashboard request."""
    modules = modules_after(HOST_START)
    assert "python_worker_extension_framework.host.dashboard.app" in modules
    assert (
        loaded(
            modules,
            [
                "python_worker_extension_framework.wrapper",
                "wrapt",
                "python_worker_extension_framework.host.timers",
                "python_worker_extension_framework.host.ncrontab",
                "python_worker_extension_framework.host.cors",
                "python_worker_extension_framework.host.dashboard.views",
                "importlib.resources",
                "difflib",
            ],
        )
        == []
    )


def test_the_frameworks_wrapper_names_load_the_wrapper_when_asked_for() -> None:
    code = (
        "import sys, python_worker_extension_framework as f\n"
        "assert 'python_worker_extension_framework.wrapper' not in sys.modules\n"
        "from python_worker_extension_framework import ExtensionsFunctionApp, with_extensions\n"
        "from python_worker_extension_framework.wrapper import _apps, _proxy\n"
        "assert ExtensionsFunctionApp is _apps.ExtensionsFunctionApp\n"
        "assert with_extensions is _proxy.with_extensions\n"
        "assert f.is_wrapped is _proxy.is_wrapped and f.wrap_app is _apps.wrap_app\n"
        "try:\n"
        "    f.no_such_name\n"
        "except AttributeError as exc:\n"
        "    assert 'no_such_name' in str(exc), exc\n"
        "else:\n"
        "    raise AssertionError('no AttributeError')\n"
    )
    assert "wrapt" in modules_after(code)


def test_the_host_loads_timers_for_a_timer_function_and_cors_for_a_cors_setting(
    tmp_path: Path,
) -> None:
    """The same start-up path with a timer function and CORS set loads both."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "function_app.py").write_text(
        "import azure.functions as func\n"
        "app = func.FunctionApp()\n"
        "@app.timer_trigger(schedule='0 */5 * * * *', arg_name='timer')\n"
        "def tick(timer: func.TimerRequest) -> None:\n"
        "    pass\n"
    )
    code = (
        f"{HOST_START}"
        "from python_worker_extension_framework.host.runtime import FunctionHost\n"
        "from python_worker_extension_framework.host.start_options import StartParity\n"
        "args = cli.build_parser().parse_args(['start', '--cors', 'http://a.example'])\n"
        f"host = FunctionHost.load(__import__('pathlib').Path({str(app)!r}))\n"
        "parity = StartParity.of(args, host)\n"
        "assert [t.spec.name for t in parity.timer_functions] == ['tick']\n"
        "assert parity.cors is not None\n"
    )
    modules = modules_after(code)
    assert "python_worker_extension_framework.host.timers" in modules
    assert "python_worker_extension_framework.host.ncrontab" in modules
    assert "python_worker_extension_framework.host.cors" in modules


def test_reading_a_v2_retry_interval_builds_no_strptime_tables() -> None:
    """The interval is read as ``time.strptime(value, "%H:%M:%S")`` reads it
    (tests/framework/retry_policy shows they agree), without strptime's locale tables."""
    modules = modules_after(
        "from python_worker_extension_framework.retry_policy import parse_v2_interval\n"
        "assert parse_v2_interval('00:01:05') == 65.0\n"
    )
    assert "_strptime" not in modules


def test_defining_the_extensions_loads_no_difflib() -> None:
    """The misspelt-hook check asks difflib only about names whose length could match a
    hook's (tests/framework/core/test_checks.py): these four have none (OpenTelemetry's
    ``tracer_provider_reused`` is long enough to be asked about, so it is left out)."""
    modules = modules_after(
        "\n".join(EXTENSIONS[name] for name in EXTENSIONS if name != "opentelemetry")
    )
    assert "difflib" not in modules
