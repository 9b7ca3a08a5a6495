"""Local telemetry endpoints on 127.0.0.1 (ephemeral ports) that decode what they receive.

- ``OtlpReceiver``: OTLP over HTTP. ``/v1/traces``, ``/v1/metrics`` and ``/v1/logs`` bodies
  are decoded as the protobuf messages of ``opentelemetry-proto`` (gzip honoured), so the
  tests read spans, metric points and log records exactly as a collector would.
- ``IngestionEndpoint``: Application Insights' ``/v2.1/track``; records every envelope.
- ``Downstream``: a plain service that records the request headers it is sent.

Each can be told to fail (``status``) to play an unhealthy backend.
"""

from __future__ import annotations

import gzip
import http.server
import json
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Optional

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

_MESSAGES: Dict[str, Any] = {
    "/v1/traces": ExportTraceServiceRequest,
    "/v1/metrics": ExportMetricsServiceRequest,
    "/v1/logs": ExportLogsServiceRequest,
}


def value_of(any_value: Any) -> Any:
    """A protobuf ``AnyValue`` as a Python value."""
    kind = any_value.WhichOneof("value")
    return None if kind is None else getattr(any_value, kind)


def attributes_of(key_values: Any) -> Dict[str, Any]:
    return {item.key: value_of(item.value) for item in key_values}


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.lock = threading.Lock()
        self.requests: List[Dict[str, Any]] = []
        self.status = 200
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 15.0) -> bool:
        """Poll ``predicate`` (exports arrive on the SDK's threads) until true or timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.02)
        return predicate()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def _body(self) -> bytes:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip" or raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return raw

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _OtlpHandler(_Handler):
    def do_POST(self) -> None:
        body = self._body()
        message_type = _MESSAGES.get(self.path)
        if message_type is None:
            self._answer(404, b"", "text/plain")
            return
        if self.server.status != 200:
            self._answer(self.server.status, b"", "application/x-protobuf")
            return
        message = message_type()
        message.ParseFromString(body)
        with self.server.lock:
            self.server.requests.append({"path": self.path, "message": message})
        self._answer(200, b"", "application/x-protobuf")


class OtlpReceiver(_Server):
    def __init__(self) -> None:
        super().__init__(_OtlpHandler)

    def _messages(self, path: str) -> List[Any]:
        with self.lock:
            return [r["message"] for r in self.requests if r["path"] == path]

    def spans(self) -> List[Dict[str, Any]]:
        """Every span received, flattened: ids in hex, attributes and resource as dicts."""
        found = []
        for message in self._messages("/v1/traces"):
            for resource_spans in message.resource_spans:
                resource = attributes_of(resource_spans.resource.attributes)
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        found.append(
                            {
                                "name": span.name,
                                "kind": span.kind,
                                "trace_id": span.trace_id.hex(),
                                "span_id": span.span_id.hex(),
                                "parent_span_id": span.parent_span_id.hex(),
                                "attributes": attributes_of(span.attributes),
                                "status": span.status.code,
                                "events": [
                                    {"name": e.name, "attributes": attributes_of(e.attributes)}
                                    for e in span.events
                                ],
                                "resource": resource,
                                "scope": scope_spans.scope.name,
                            }
                        )
        return found

    def metric_points(self, name: str) -> List[Dict[str, Any]]:
        """The data points of metric ``name``, latest export last: attributes and value
        (``count`` and ``sum`` for histograms)."""
        points = []
        for message in self._messages("/v1/metrics"):
            for resource_metrics in message.resource_metrics:
                for scope_metrics in resource_metrics.scope_metrics:
                    for metric in scope_metrics.metrics:
                        if metric.name != name:
                            continue
                        kind = metric.WhichOneof("data")
                        for point in getattr(metric, kind).data_points:
                            entry = {"attributes": attributes_of(point.attributes)}
                            if kind == "histogram":
                                entry.update(count=point.count, sum=point.sum)
                            else:
                                entry["value"] = value_of_number(point)
                            points.append(entry)
        return points

    def log_records(self) -> List[Dict[str, Any]]:
        found = []
        for message in self._messages("/v1/logs"):
            for resource_logs in message.resource_logs:
                for scope_logs in resource_logs.scope_logs:
                    for record in scope_logs.log_records:
                        found.append(
                            {
                                "body": value_of(record.body),
                                "trace_id": record.trace_id.hex(),
                                "span_id": record.span_id.hex(),
                                "attributes": attributes_of(record.attributes),
                            }
                        )
        return found


def value_of_number(point: Any) -> Any:
    kind = point.WhichOneof("value")
    return getattr(point, kind) if kind else None


class _IngestionHandler(_Handler):
    def do_POST(self) -> None:
        envelopes = json.loads(self._body().decode("utf-8"))
        if isinstance(envelopes, dict):
            envelopes = [envelopes]
        if self.server.status != 200:
            self._answer(self.server.status, b"{}", "application/json")
            return
        with self.server.lock:
            self.server.requests.append({"path": self.path, "envelopes": envelopes})
        body = json.dumps(
            {"itemsReceived": len(envelopes), "itemsAccepted": len(envelopes), "errors": []}
        ).encode()
        self._answer(200, body, "application/json")


class IngestionEndpoint(_Server):
    def __init__(self) -> None:
        super().__init__(_IngestionHandler)

    def envelopes(self, name_suffix: Optional[str] = None) -> List[Dict[str, Any]]:
        with self.lock:
            items = [e for r in self.requests for e in r["envelopes"]]
        if name_suffix is None:
            return items
        return [e for e in items if str(e.get("name", "")).endswith(name_suffix)]


class _DownstreamHandler(_Handler):
    def do_GET(self) -> None:
        with self.server.lock:
            self.server.requests.append({"path": self.path, "headers": dict(self.headers)})
        self._answer(200, b"ok", "text/plain")


class Downstream(_Server):
    def __init__(self) -> None:
        super().__init__(_DownstreamHandler)

    def headers(self) -> List[Dict[str, str]]:
        with self.lock:
            return [{k.lower(): v for k, v in r["headers"].items()} for r in self.requests]


def serve(server: _Server) -> Iterator[Any]:
    server.thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        server.thread.join(5)
