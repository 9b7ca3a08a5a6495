"""Property: through the real host with every extension on, no secret reaches any output.

Each generated request carries many secrets (``CASES_PER_REQUEST``): under names from
every built-in class (random case, separators, single or double URL encoding) in the
query string (``&`` and ``;`` separated), headers, cookies and a JSON or form body, and
as secret-shaped values (connection strings, bearer tokens, JWTs, URL-encoded once or
twice) under ordinary names. The function forwards the query string to a local server
with ``requests``, so the outgoing client span carries the secrets too.

The host runs with request logging (headers allow-listed, bodies on), OpenCensus with a
local exporter, the timer and retry extensions (and OpenTelemetry with its local
exporter when it is installed). Outputs checked after every request, against the secrets
of this request and the three before it (spans are exported in the background, so a
request's span may arrive during the next one): every log record of the host process as
raised (message and all attributes, before any handler formats it), the exported spans,
the console, and the HTTP response. Two hosts cover both span exporters (JSON lines to a
file, console) and both record formats. Each output must have seen at least
``MIN_CASES`` cases (ten times as many with ``--slow``).
"""

from __future__ import annotations

import collections
import importlib.util
import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Deque, Dict, Iterator, List, Set, Tuple

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from python_worker_extension_framework.testing import RunningHost, running_host

from ..redaction_strategies import (
    NAMES_BY_CLASS,
    Case,
    cookie_header,
    headers,
    json_body,
    leaks,
    pairs,
)

QUERY_CASES, HEADER_CASES, COOKIE_CASES, BODY_CASES = 16, 10, 6, 16
CASES_PER_REQUEST = QUERY_CASES + HEADER_CASES + COOKIE_CASES + BODY_CASES
MIN_CASES = 2000
EXAMPLES = -(-MIN_CASES // CASES_PER_REQUEST) + 3
OPENTELEMETRY = importlib.util.find_spec("python_worker_extension_opentelemetry") is not None
# A line of OpenTelemetry's console exporters (indented JSON) holding the request's marker:
# the invocation span's ``url.query``, the outgoing ``requests`` span's ``http.url``
# (``url.full`` under the new conventions), an exported log record's ``body``.
TELEMETRY_CONSOLE_LINE = r'^\s+"(?:KEYS)": ".*MARKER'

APP = '''
import json
import logging
import os
import threading
import traceback

import azure.functions as func
import requests
from python_worker_extension_framework import ExtensionsFunctionApp
from python_worker_extension_opencensus import OpenCensusExtension
from python_worker_extension_request_logging import RequestLoggingExtension
from python_worker_extension_retry_context import RetryContextExtension
from python_worker_extension_timer import TimerExtension


class RawRecords(logging.Handler):
    """Every log record of the process as raised: message, attributes, traceback."""

    def __init__(self, path):
        super().__init__(logging.DEBUG)
        self.file = open(path, "a", encoding="utf-8")
        self.guard = threading.Lock()

    def emit(self, record):
        text = record.getMessage() + "\\n" + repr(vars(record))
        if record.exc_info:
            text += "".join(traceback.format_exception(*record.exc_info))
        with self.guard:
            self.file.write(json.dumps(text) + "\\n")
            self.file.flush()


logging.getLogger().addHandler(RawRecords(os.environ["PROBE_RECORDS"]))

TimerExtension.configure(append_to_http_response=True, add_server_timing_header=True)
RequestLoggingExtension.configure(
    format=os.environ["PROBE_FORMAT"],
    log_headers=os.environ["PROBE_HEADERS"],
    log_body=True,
    max_body_chars=65536,
)
OpenCensusExtension.configure()  # the exporter and its file come from the app settings
RetryContextExtension.configure()
try:
    from python_worker_extension_opentelemetry import OpenTelemetryExtension
except ImportError:
    OpenTelemetryExtension = None
else:
    OpenTelemetryExtension.configure()

app = ExtensionsFunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="probe", methods=["GET", "POST"])
def probe(req: func.HttpRequest) -> func.HttpResponse:
    query = req.url.partition("?")[2]
    requests.get(os.environ["PROBE_SINK"] + "?" + query, timeout=10)
    return func.HttpResponse("ok")
'''
# Request logging's line for the probe, text or JSON format, holding the request's marker.
RECORD_LINE = r'(?:function=probe|"function": ?"probe").*MARKER|MARKER.*function=probe'
SETTINGS = '{"IsEncrypted": false, "Values": {"PYTHON_ENABLE_WORKER_EXTENSIONS": "1"}}'


class _Sink(BaseHTTPRequestHandler):
    """The downstream server the function calls: answers 200, logs nothing."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        return None


def header_allow_list() -> str:
    """Every header name the strategies can send, in each ``-``/``_`` spelling."""
    names: Set[str] = {"cookie", "content-type", "user-agent"}
    names.update(f"x-data-{index}" for index in range(HEADER_CASES))
    for name in itertools.chain.from_iterable(NAMES_BY_CLASS.values()):
        pieces = re.split(r"[-_]", name.lower())
        for joins in itertools.product("-_", repeat=len(pieces) - 1):
            names.add(pieces[0] + "".join(j + p for j, p in zip(joins, pieces[1:])))
    return ",".join(sorted(names))


@pytest.fixture(scope="module")
def sink() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sink"
    server.shutdown()
    server.server_close()


class Outputs:
    """One host's outputs, read incrementally: log records, span files, console."""

    def __init__(self, host: RunningHost, records: Path, span_files: List[Path]) -> None:
        self.host = host
        self.records = records
        self.span_files = span_files
        self.offsets: Dict[Path, int] = {records: 0, **{path: 0 for path in span_files}}
        self.console_seen = 0

    def read_new(self, path: Path) -> str:
        if not path.exists():
            return ""
        with path.open("rb") as file:
            file.seek(self.offsets[path])
            data = file.read()
        # Only whole lines: a span being written now is read next time.
        cut = data.rfind(b"\n") + 1
        self.offsets[path] += cut
        return data[:cut].decode("utf-8", "replace")

    def new_console(self) -> str:
        lines = self.host.lines
        new = lines[self.console_seen :]
        self.console_seen = len(lines)
        return "\n".join(new)


def context(text: str, needle: str, width: int = 160) -> str:
    at = text.find(needle)
    return text[max(0, at - width) : at + len(needle) + width]


def wait_for_lines(outputs: Outputs, path: Path, marker: str, count: int) -> str:
    """The new lines of ``path`` once ``count`` of them hold ``marker``.

    Polls a file another process writes; the bound on the number of polls only ends a
    failing run, it is not a timing assertion."""
    pause = threading.Event()
    text = ""
    for _ in range(750):
        text += outputs.read_new(path)
        if sum(marker in line for line in text.splitlines()) >= count:
            return text
        pause.wait(0.02)
    raise AssertionError(f"{path.name}: {count} line(s) with {marker!r} never came:\n{text}")


@st.composite
def probe_requests(draw: st.DrawFn) -> Tuple[str, Dict[str, str], str, List[Case]]:
    """``(query, headers, body, cases)``: one request carrying ``CASES_PER_REQUEST`` cases."""
    cases: List[Case] = []
    query_pairs = draw(pairs("query", QUERY_CASES, cases))
    separators = [draw(st.sampled_from("&&;")) for _ in query_pairs]
    query = "".join(sep + pair for sep, pair in zip(separators, query_pairs))
    sent = draw(headers(HEADER_CASES, cases))
    sent["Cookie"] = draw(cookie_header(COOKIE_CASES, cases))
    if draw(st.booleans()):
        sent["Content-Type"] = "application/json"
        body = json.dumps(draw(json_body(BODY_CASES, cases)))
    else:
        sent["Content-Type"] = "application/x-www-form-urlencoded"
        body = "&".join(draw(pairs("form", BODY_CASES, cases)))
    return query, sent, body, cases


HOSTS = {
    # name: (request logging format, OpenCensus exporter, OpenTelemetry exporter)
    "jsonl-spans-text-records": ("text", "jsonl", "jsonl"),
    "console-spans-json-records": ("json", "console", "console"),
}


@pytest.fixture(scope="module", params=sorted(HOSTS))
def probed_host(
    request: pytest.FixtureRequest, sink: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Tuple[str, Outputs]]:
    record_format, census_exporter, telemetry_exporter = HOSTS[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    app = folder / "app"
    app.mkdir()
    (app / "function_app.py").write_text(APP, encoding="utf-8")
    (app / "host.json").write_text('{"version": "2.0"}', encoding="utf-8")
    (app / "local.settings.json").write_text(SETTINGS, encoding="utf-8")
    records, census_spans = folder / "records.jsonl", folder / "opencensus.jsonl"
    telemetry_spans = folder / "opentelemetry.jsonl"
    env = {
        "PROBE_RECORDS": str(records),
        "PROBE_FORMAT": record_format,
        "PROBE_HEADERS": header_allow_list(),
        "PROBE_SINK": sink,
        "PYTHON_WORKER_EXTENSION_OPENCENSUS_EXPORTER": census_exporter,
        "PYTHON_WORKER_EXTENSION_OPENCENSUS_JSONL_PATH": str(census_spans),
        "PYTHON_WORKER_EXTENSION_OPENTELEMETRY_EXPORTER": telemetry_exporter,
        "PYTHON_WORKER_EXTENSION_OPENTELEMETRY_JSONL_PATH": str(telemetry_spans),
        # OpenTelemetry's batch processor exports every 5 s by default: a request's spans
        # would be exported (and checked) long after its step, or never. Soon, so each
        # step waits for its own spans below.
        "OTEL_BSP_SCHEDULE_DELAY": "20",
    }
    if telemetry_exporter == "console":  # its log export too (the jsonl exporter has none)
        env["PYTHON_WORKER_EXTENSION_OPENTELEMETRY_EXPORT_LOGS"] = "true"
        env["OTEL_BLRP_SCHEDULE_DELAY"] = "20"
    span_files = [census_spans, telemetry_spans] if census_exporter == "jsonl" else []
    with running_host(app, env=env, args=["--max-body-size", "1048576"]) as host:
        yield census_exporter, Outputs(host, records, span_files)


def test_no_secret_reaches_a_record_span_console_line_or_response(
    probed_host: Tuple[str, Outputs], client: httpx.Client, slow: bool
) -> None:
    census_exporter, outputs = probed_host
    host = outputs.host
    # The cases of the last few requests: output of a request can arrive while the next
    # one runs (spans are exported from a background thread), so each output is checked
    # against recent requests' secrets too; older ones have been checked already.
    recent: Deque[List[Case]] = collections.deque(maxlen=4)
    checked: Dict[str, int] = {}
    numbers = itertools.count(1)

    def check(output: str, text: str, marker: str, cases: List[Case], own: bool = True) -> None:
        # ``own``: the text must hold this request's marker (it is this request's output).
        assert marker in text or not own, f"{output}: this request's output is missing"
        found = leaks(text, [case for request in recent for case in request])
        assert not found, f"{output} leaks:\n" + "\n".join(
            f"{case.where} {case.kind!r} {needle!r} in ...{context(text, needle)}..."
            for case, needle in found
        )
        checked[output] = checked.get(output, 0) + len(cases)

    @settings(
        max_examples=EXAMPLES * (10 if slow else 1),
        deadline=None,
        database=None,
        # No shrinking: each step is a real request, and a failure already names the
        # leaked case (its place, class and the text it leaked into).
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(probe_requests())
    def one_request(generated: Tuple[str, Dict[str, str], str, List[Case]]) -> None:
        query, sent, body, cases = generated
        recent.append(cases)
        number = next(numbers)
        marker = f"case={number}&"  # a benign parameter, kept in every output
        response = client.post(
            host.url(f"api/probe?case={number}&{query.lstrip('&;')}"),
            headers=sent,
            content=body.encode("utf-8"),
        )
        assert response.status_code == 200, response.text
        check("response", marker + response.text + repr(response.headers), marker, cases)

        census_lines = 2  # the invocation's span and the outgoing call's
        telemetry_lines = 2  # the same two, from OpenTelemetry
        if census_exporter == "console":
            host.wait_for(rf'"span_id".*{re.escape(marker)}', count=census_lines)
            if OPENTELEMETRY:  # each of its two spans, by the attribute holding the marker
                # and the request logging record it exported, by its body
                for keys in (r"url\.query", r"http\.url|url\.full", "body"):
                    line = TELEMETRY_CONSOLE_LINE.replace("KEYS", keys)
                    host.wait_for(line.replace("MARKER", re.escape(marker)))
        host.wait_for(RECORD_LINE.replace("MARKER", re.escape(marker)))
        records = wait_for_lines(outputs, outputs.records, marker, 1)
        check("log records", records, marker, cases)
        for path in outputs.span_files:
            if path.name.startswith("opentelemetry") and not OPENTELEMETRY:
                continue  # OpenTelemetry is not installed in this environment
            lines = census_lines if "census" in path.name else telemetry_lines
            spans = wait_for_lines(outputs, path, marker, lines)
            check(f"spans ({path.name})", spans, marker, cases)
        check("console", outputs.new_console(), marker, cases)

    one_request()
    wanted = MIN_CASES * (10 if slow else 1)
    required = ["response", "log records", "console"]
    required += [
        f"spans ({path.name})"
        for path in outputs.span_files
        if OPENTELEMETRY or not path.name.startswith("opentelemetry")
    ]
    short = {name: checked.get(name, 0) for name in required if checked.get(name, 0) < wanted}
    assert not short, f"fewer than {wanted} cases checked: {short} (all: {checked})"
