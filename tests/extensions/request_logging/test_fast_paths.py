"""The hot path's shortcuts give exactly what the general code gives."""

from __future__ import annotations

import ipaddress
import logging
from typing import Optional
from urllib.parse import quote, quote_plus, unquote_plus

import azure.functions as func
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_worker_extension_framework.testing import make_context, make_http_request
from python_worker_extension_framework.toolkit.redaction import Findings
from python_worker_extension_request_logging import RECORD_ATTRIBUTE, RequestLoggingExtension
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
