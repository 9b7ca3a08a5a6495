"""Each test gets OpenCensusExtension alone in an isolated registry, freshly reset, with
extensions enabled, none of its app settings inherited from the machine, and a clean
opencensus thread context before and after.

Also: a capturing exporter, and small HTTP servers on 127.0.0.1 (ephemeral ports) that
record what they receive: a plain one for outgoing ``requests`` calls, and an Application
Insights ingestion endpoint for the real ``AzureExporter``.
"""

from __future__ import annotations

import gzip
import http.server
import json
import os
import re
import threading
from typing import Any, Dict, Iterator, List

import pytest
from opencensus.trace import execution_context
from python_worker_extension_framework.testing import registered
from python_worker_extension_opencensus import (
    APP_SETTING_PREFIX,
    CapturingExporter,
    OpenCensusExtension,
)

SETTINGS_TO_CLEAR = (
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "APPINSIGHTS_INSTRUMENTATIONKEY",
    "WEBSITE_SITE_NAME",
)
VALID_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]")
INCOMING_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING_PARENT_ID = "00f067aa0ba902b7"
INCOMING = f"00-{INCOMING_TRACE_ID}-{INCOMING_PARENT_ID}-01"
INSTRUMENTATION_KEY = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(autouse=True)
def extension(
    extensions_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[type[OpenCensusExtension]]:
    for name in list(os.environ):
        if name.startswith(APP_SETTING_PREFIX) or name in SETTINGS_TO_CLEAR:
            monkeypatch.delenv(name)
    # The real AzureExporter would start sending its own usage metrics to Microsoft.
    monkeypatch.setenv("APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL", "true")
    execution_context.clean()
    with registered(OpenCensusExtension):
        OpenCensusExtension.reset()
        yield OpenCensusExtension
        OpenCensusExtension.reset()
    execution_context.clean()


@pytest.fixture
def capture() -> CapturingExporter:
    """A capturing exporter, configured as the extension's exporter."""
    exporter = CapturingExporter()
    OpenCensusExtension.configure(exporter=exporter)
    return exporter


def is_valid_traceparent(value: str) -> bool:
    match = VALID_TRACEPARENT.fullmatch(value)
    return bool(match) and match[1] != "0" * 32 and match[2] != "0" * 16  # type: ignore[index]


class Recorder(http.server.ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 (ephemeral port) in a thread, recording requests."""

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.requests: List[Dict[str, Any]] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _EchoHandler(http.server.BaseHTTPRequestHandler):
    server: Recorder

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.requests.append({"path": self.path, "headers": dict(self.headers)})
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _IngestionHandler(http.server.BaseHTTPRequestHandler):
    """Application Insights' track endpoint: accepts every envelope it is sent."""

    server: Recorder

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip" or raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        envelopes = json.loads(raw.decode("utf-8"))
        if isinstance(envelopes, dict):
            envelopes = [envelopes]
        with self.server.lock:
            self.server.requests.append({"path": self.path, "envelopes": envelopes})
        body = json.dumps(
            {"itemsReceived": len(envelopes), "itemsAccepted": len(envelopes), "errors": []}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[Recorder]:
    server = Recorder(handler)
    server.thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        server.thread.join(5)


@pytest.fixture
def downstream() -> Iterator[Recorder]:
    """A service the function calls with ``requests``; it records the request headers."""
    yield from _serve(_EchoHandler)


@pytest.fixture
def ingestion() -> Iterator[Recorder]:
    """A local Application Insights ingestion endpoint; it records the envelopes."""
    yield from _serve(_IngestionHandler)


def envelopes(server: Recorder) -> List[Dict[str, Any]]:
    with server.lock:
        return [e for request in server.requests for e in request["envelopes"]]
