"""The hot path's shortcuts give exactly what the general code gives."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any, Dict, List, Optional, Tuple
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
