"""The hot path's shortcuts give exactly what the general code gives."""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple
from urllib.parse import quote, quote_plus, unquote_plus

import azure.functions as func
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_worker_extension_framework.testing import make_context, make_http_request
from python_worker_extension_framework.toolkit.redaction import Findings
from python_worker_extension_request_logging import (
    LOGGER_NAME,
    RECORD_ATTRIBUTE,
    RequestLoggingExtension,
)
from python_worker_extension_request_logging.formatting import _BARE, _IN_QUOTES, _bare, _quoted
from python_worker_extension_request_logging.http_fields import client_ip

from .conftest import RunFunction


def _ip_by_ipaddress(host: str) -> Optional[str]:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


@pytest.mark.parametrize(
    "host",
    [
        "203.0.113.9",
        "0.0.0.0",
        "255.255.255.255",
        "256.1.1.1",
        "010.0.0.1",
        "1.2.3",
        "1.2.3.4.5",
        "\u0661.2.3.4",
        "1.2.3.4\n",
        "::1",
        "2001:DB8::1",
        "not-an-ip",
    ],
)
def test_client_ip_is_what_ipaddress_says(host: str) -> None:
    assert client_ip({"x-forwarded-for": f"{host}, 10.0.0.4"}) == _ip_by_ipaddress(host.strip())


@settings(max_examples=500)
@given(st.from_regex(r"[0-9]{1,4}(\.[0-9]{1,4}){2,4}", fullmatch=True))
def test_client_ip_of_dotted_numbers_is_what_ipaddress_says(host: str) -> None:
    assert client_ip({"x-forwarded-for": host}) == _ip_by_ipaddress(host)


@settings(max_examples=500)
@given(st.text())
def test_escaping_shortcuts_match_full_translation(text: str) -> None:
    import json

    assert _bare(text) == text.translate(_BARE)
    assert _quoted(text) == json.dumps(text, ensure_ascii=False).translate(_IN_QUOTES)


@settings(max_examples=500)
@given(st.text(min_size=6))
def test_findings_remember_every_url_form(text: str) -> None:
    findings = Findings()
    findings.add(text)
    stripped = text.strip()
    for form in (stripped, unquote_plus(stripped), quote(stripped, safe=""), quote_plus(stripped)):
        if len(stripped) >= 6 and "[REDACTED]" not in stripped and len(form) >= 6:
            assert findings.scrub(f"x{form}x") == "x[REDACTED]x"


def test_log_record_names_the_extension_as_caller_and_carries_the_fields(
    run: RunFunction,
) -> None:
    def GetItem(req: func.HttpRequest) -> str:
        return "ok"

    RequestLoggingExtension.configure()
    request = make_http_request("GET", "http://h/api/items?v=1")
    [log] = run(GetItem, req=request, context=make_context("GetItem"))
    assert log.funcName == "_log"
    assert log.pathname.endswith("extension.py") and log.lineno > 0
    assert log.levelno == logging.INFO and log.msg == "%s"
    record = getattr(log, RECORD_ATTRIBUTE)
    assert log.getMessage().startswith("GET /api/items?v=1 200 ")
    for key, value in record.items():
        assert getattr(log, key) == value


_URL_TEXT = st.lists(
    st.sampled_from([*'aZ09-_./%=&;: ?"\\\u00e9\u2028\n\t', "eyJ", "code=", "sig="]), max_size=12
).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    path=_URL_TEXT,
    query=_URL_TEXT,
    user_agent=st.one_of(st.none(), _URL_TEXT),
    forwarded_for=st.one_of(st.none(), st.sampled_from(["203.0.113.9", "::1", "x y", "1.2.3.4"])),
    function_name=st.sampled_from(["GetItem", "get item", "get\nitem", "Получить"]),
    secret=st.sampled_from(["", "s3cr3t-value-123"]),
    status=st.sampled_from([200, 404, 500]),
)
def test_text_line_written_directly_is_the_records_text_line(
    path: str,
    query: str,
    user_agent: Optional[str],
    forwarded_for: Optional[str],
    function_name: str,
    secret: str,
    status: int,
) -> None:
    """``build`` writes the common line from its values; it must be ``text_line(record)``."""
    from python_worker_extension_framework.testing import invoke, registered
    from python_worker_extension_request_logging.formatting import text_line

    headers = {}
    if user_agent is not None:
        headers["User-Agent"] = user_agent + secret
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    url = f"http://h/api/{quote(path, safe='/%=&;:')}?{query}&code={secret}"

    def handler(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("ok", status_code=status)

    class Keep(logging.Handler):  # the harness masks what it captures: keep the originals
        def emit(self, record: logging.LogRecord) -> None:
            kept.append((record.getMessage(), getattr(record, RECORD_ATTRIBUTE)))

    kept: List[Tuple[str, Dict[str, Any]]] = []
    keep = Keep()
    logger = logging.getLogger(LOGGER_NAME)
    logger.addHandler(keep)
    try:
        with registered(RequestLoggingExtension):
            RequestLoggingExtension.reset()
            invoke(
                handler,
                capture_exception=True,
                req=make_http_request("GET", url, headers=headers),
                context=make_context(function_name),
            )
            RequestLoggingExtension.reset()
    finally:
        logger.removeHandler(keep)
    [(message, record)] = kept
    assert message == text_line(record)
    if len(secret) >= 6:
        assert secret not in message


class _OwnHeaders(Mapping[str, str]):
    """A request-header mapping that is not the SDK's class: the general path."""

    def __init__(self, headers: Dict[str, str]) -> None:
        self._headers = {k.lower(): v for k, v in headers.items()}

    def __getitem__(self, key: str) -> str:
        return self._headers[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __len__(self) -> int:
        return len(self._headers)


class _GeneralRequest(func.HttpRequest):
    """The same request, whose headers are a plain ``Mapping`` (no header table)."""

    def __init__(self, request: func.HttpRequest) -> None:
        super().__init__(
            request.method,
            request.url,
            headers=dict(request.headers),
            params=dict(request.params),
            route_params=dict(request.route_params),
            body=request.get_body(),
        )
        self._own = _OwnHeaders(dict(request.headers))

    @property
    def headers(self) -> Mapping[str, str]:  # type: ignore[override]
        return self._own


_SECRET = "s3cr3t-Value-0042"
_DURATION = re.compile(r'\d+\.\d+ms|"duration_ms":[0-9.]+')  # differs between two runs
_HEADER_VALUES = st.sampled_from(
    ["curl/8.4.0", "Mozilla/5.0 (X11) x", f"Bearer {_SECRET}", "a\tb", f"code={_SECRET}", ""]
)


@settings(max_examples=150, deadline=None)
@given(
    user_agent=st.one_of(st.none(), _HEADER_VALUES),
    forwarded_for=st.one_of(st.none(), st.sampled_from(["203.0.113.9", "::1", "x y"])),
    parent=st.one_of(
        st.none(),
        st.sampled_from(
            [
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00",
                "zz",
            ]
        ),
    ),
    options=st.fixed_dictionaries(
        {},
        optional={
            "format": st.sampled_from(["text", "json"]),
            "trace_sampling": st.sampled_from(["request", "context", "off"]),
            "sample_rate": st.sampled_from([0.0, 0.5, 1.0]),
            "log_headers": st.just(["user-agent", "authorization", "x-forwarded-for"]),
        },
    ),
    query=st.sampled_from(["", f"code={_SECRET}&a=1", "name=widget", f"sig={_SECRET};x=y"]),
)
def test_header_table_path_logs_what_the_general_mapping_path_logs(
    user_agent: Optional[str],
    forwarded_for: Optional[str],
    parent: Optional[str],
    options: Dict[str, Any],
    query: str,
) -> None:
    """The SDK's headers are read from their plain dict; any other mapping through the
    Mapping interface. Both give the same record, message and level, secrets masked."""
    from python_worker_extension_framework.testing import invoke, registered

    headers: Dict[str, str] = {"Authorization": f"Bearer {_SECRET}"}
    if user_agent is not None:
        headers["User-Agent"] = user_agent
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    if parent is not None:
        headers["traceparent"] = parent
    request = make_http_request("GET", f"http://h/api/items?{query}", headers=headers)
    general = _GeneralRequest(request)

    def handler(req: func.HttpRequest) -> str:
        return "ok"

    class Keep(logging.Handler):  # the harness masks what it captures: keep the originals
        def emit(self, record: logging.LogRecord) -> None:
            kept.append(record)

    logged: List[List[Tuple[str, int, Dict[str, Any]]]] = []
    logger = logging.getLogger(LOGGER_NAME)
    for req in (request, general):
        kept: List[logging.LogRecord] = []
        keep = Keep()
        logger.addHandler(keep)
        try:
            with registered(RequestLoggingExtension):
                RequestLoggingExtension.reset()
                RequestLoggingExtension.configure(**options)
                context = make_context(
                    "GetItem",
                    invocation_id="c0a8f3d2-5b1e-4e7a-9f21-3d4c5b6a7e8f",
                    trace_parent=parent or "",
                )
                invoke(handler, capture_exception=True, req=req, context=context)
                RequestLoggingExtension.reset()
        finally:
            logger.removeHandler(keep)
        logged.append(
            [
                (
                    _DURATION.sub("D", r.getMessage()),
                    r.levelno,
                    {**getattr(r, RECORD_ATTRIBUTE), "duration_ms": None},
                )
                for r in kept
            ]
        )
    fast, slow = logged
    assert fast == slow
    for message, _, record in fast:
        assert _SECRET not in message and _SECRET not in repr(record)


def test_the_sdk_headers_take_the_table_path() -> None:
    """The test above compares two paths only if the SDK's headers do have a table."""
    from python_worker_extension_framework.toolkit import http

    request = make_http_request("GET", "http://h/api/x", headers={"User-Agent": "a"})
    assert http.header_table(request.headers) == {"user-agent": "a"}
    assert http.header_table(_GeneralRequest(request).headers) is None


@settings(max_examples=300)
@given(
    succeeded=st.booleans(),
    mode=st.sampled_from(["request", "context", "off"]),
    rate=st.sampled_from([0.0, 0.3, 1.0]),
    parent=st.one_of(
        st.none(),
        st.builds(
            lambda t, f: f"00-{t}-b7ad6b7169203331-{f}",
            st.text("0123456789abcdef", min_size=32, max_size=32),
            st.sampled_from(["00", "01", "03"]),
        ),
        st.just("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x"),
    ),
    header=st.one_of(
        st.none(), st.sampled_from(["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"])
    ),
)
def test_keep_from_raw_header_agrees_with_keep_from_parsed(
    succeeded: bool, mode: str, rate: float, parent: Optional[str], header: Optional[str]
) -> None:
    from python_worker_extension_framework.toolkit import traceparent
    from python_worker_extension_request_logging import sampling

    request = make_http_request(
        "GET", "http://h/api/x", headers={"traceparent": header} if header else {}
    )
    parsed, _ = traceparent.parse(parent)
    trace_id = traceparent.trace_id_in(parent)
    if trace_id is None and rate not in (0.0, 1.0):
        return  # without a trace id the rate decides at random: nothing to compare
    # What the extension decided before it read raw headers: from the parsed context
    # traceparent, written out again, and the request's own headers.
    expected = (not succeeded) or sampling.keep_success(
        mode,
        rate,
        request.headers,
        parsed.header() if parsed is not None else None,
        parsed.trace_id if parsed is not None else None,
    )
    fast = (not succeeded) or sampling.keep_success(
        mode, rate, http_table(request), parent, trace_id
    )
    assert fast == expected


def http_table(request: func.HttpRequest) -> Optional[Mapping[str, str]]:
    from python_worker_extension_framework.toolkit import http

    return http.header_table(request.headers)
