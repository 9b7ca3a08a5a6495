"""The framework's one redaction (``toolkit.redaction``): examples, then properties.

The properties generate secrets under names from every built-in class (random case,
separators, single or double URL encoding) and secret-shaped values under ordinary
names, and check each kind of input: no secret survives, and nothing but the secret
values changes.
"""

from __future__ import annotations

import io
import json
import logging
import re
from typing import Any, Dict, List, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_worker_extension_framework.host import console
from python_worker_extension_framework.testing import invoke
from python_worker_extension_framework.toolkit import redaction
from python_worker_extension_framework.toolkit.redaction import DEFAULT, REDACTED, Redactor

from ..redaction_strategies import (
    CORES,
    NAMES_BY_CLASS,
    Case,
    cookie_header,
    headers,
    json_body,
    leaks,
    pairs,
    secret_names,
)

SECRET = "Zq9x8W7v6U5t4S"


# -- examples -----------------------------------------------------------------------------


def test_the_issue_s_url_leaks_are_masked() -> None:
    url = (
        "https://app.example/api/x?%2563ode=s1&a=1;sig=s2&api+key=s3&AccountKey=s4"
        "&x-ms-client-principal=s5&conn=AccountName%3Dx%3BAccountKey%3Ds6%3D%3D#access_token=s7"
    )
    assert DEFAULT.url(url) == (
        f"https://app.example/api/x?%2563ode={REDACTED}&a=1;sig={REDACTED}&api+key={REDACTED}"
        f"&AccountKey={REDACTED}&x-ms-client-principal={REDACTED}&conn={REDACTED}"
        f"#access_token={REDACTED}"
    )


def test_url_user_password_and_path_parameters_are_masked() -> None:
    assert DEFAULT.url(f"https://ann:{SECRET}@h/p;jsessionid={SECRET}?q=1") == (
        f"https://ann:{REDACTED}@h/p;jsessionid={REDACTED}?q=1"
    )


def test_ordinary_urls_are_returned_unchanged() -> None:
    url = "https://h/api/items/42?zipcode=12345&keyboard=uk&monkey=1&q=a+b&next=%2Fhome"
    assert DEFAULT.url(url) == url


def test_form_body_with_an_encoded_connection_string() -> None:
    body = f"user=ann&storage=DefaultEndpointsProtocol%3Dhttps%3BAccountKey%3D{SECRET}%2B%2F%3D%3D"
    assert DEFAULT.form(body) == f"user=ann&storage={REDACTED}"


def test_headers_secret_names_whole_and_secret_values_in_others() -> None:
    masked = DEFAULT.headers(
        {
            "X-MS-CLIENT-PRINCIPAL": "eyJhdXRoX3R5cCI6ImFhZCJ9",
            "Accept": "*/*",
            "X-Forwarded-Auth": f"Bearer {SECRET}",
            "X-Config": f"Endpoint=sb://n/;SharedAccessKeyName=Root;SharedAccessKey={SECRET}=",
        }
    )
    assert masked == {
        "x-ms-client-principal": REDACTED,
        "accept": "*/*",
        "x-forwarded-auth": f"Bearer {REDACTED}",
        "x-config": f"Endpoint=sb://n/;SharedAccessKeyName=Root;SharedAccessKey={REDACTED}",
    }


def test_text_masks_secrets_in_exception_messages() -> None:
    message = (
        f"connect failed: Server=db;User ID=u;Password={SECRET}; token "
        f"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.{SECRET} and Authorization: Basic {SECRET}"
    )
    masked = DEFAULT.text(message)
    assert SECRET not in masked
    assert masked.startswith("connect failed: Server=db;User ID=u;Password=[REDACTED];")


def test_json_masks_secret_keys_and_secret_values() -> None:
    value = {"user": "ann", "clientAssertion": SECRET, "cfg": [f"AccountKey={SECRET}"], "n": 1}
    assert DEFAULT.json(value) == {
        "user": "ann",
        "clientAssertion": REDACTED,
        "cfg": [f"AccountKey={REDACTED}"],
        "n": 1,
    }


@pytest.mark.parametrize(
    "name",
    [
        "%2563ode",
        "API+KEY",
        "Client_Assertion",
        "x_ms_client_principal_name",
        "SharedAccessKey",
        "db.passphrase",
        "ASP.NET_SessionId",
        "x-ms-token-aad-id-token",
        "user[password]",
    ],
)
def test_secret_names(name: str) -> None:
    assert DEFAULT.is_secret_name(name)


@pytest.mark.parametrize(
    "name", ["zipcode", "keyboard", "monkey", "partitionKey", "author", "SharedAccessKeyName"]
)
def test_ordinary_names(name: str) -> None:
    assert not DEFAULT.is_secret_name(name)


def test_every_class_has_names_and_fragments() -> None:
    assert len(redaction.NAME_CLASSES) == 8
    for entry in redaction.NAME_CLASSES.values():
        assert entry["names"] and entry["fragments"]
        assert all(DEFAULT.is_secret_name(name) for name in entry["names"])


def test_extra_names_and_patterns_only_add() -> None:
    custom = Redactor(extra_names=["ssn"], extra_patterns=[r"sk-[A-Za-z0-9]{8,}"])
    assert custom.url(f"https://h/?ssn=1&code={SECRET}&q=sk-abcdefgh12") == (
        f"https://h/?ssn={REDACTED}&code={REDACTED}&q={REDACTED}"
    )
    assert custom.text("key sk-abcdefgh12 used") == f"key {REDACTED} used"
    assert not DEFAULT.is_secret_name("ssn")
    assert Redactor(extra_names=[]).is_secret_name("code")


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [("sk-(", "not a valid regular expression"), ("x*", "matches the empty string")],
)
def test_a_bad_pattern_is_refused_with_the_fix(pattern: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        Redactor(extra_patterns=[pattern])


def test_findings_remember_what_was_masked() -> None:
    findings = redaction.Findings()
    DEFAULT.query(f"code={SECRET}", findings)
    assert findings.scrub(f"echo {SECRET}") == f"echo {REDACTED}"


def test_console_lines_are_redacted() -> None:
    stream = io.StringIO()
    handler = console.install_console(stream=stream)
    try:
        logging.getLogger("funcext").info("GET /api/x?sig=%s;conn=AccountKey%%3D%s", SECRET, SECRET)
    finally:
        logging.getLogger().removeHandler(handler)
    assert SECRET not in stream.getvalue()
    assert f"sig={REDACTED};conn={REDACTED}" in stream.getvalue()


def test_harness_records_are_redacted() -> None:
    def logs_a_url() -> str:
        logging.getLogger("app").warning("calling https://h/?code=%s", SECRET)
        return "ok"

    record = invoke(logs_a_url)
    assert record.messages("app") == [f"calling https://h/?code={REDACTED}"]


# -- properties ---------------------------------------------------------------------------


def examples(slow: bool) -> Any:
    return settings(max_examples=2000 if slow else 200, deadline=None)


def test_names_of_every_class_in_any_spelling_are_secret(slow: bool) -> None:
    @examples(slow)
    @given(st.sampled_from(["query", "header", "json"]).flatmap(secret_names))
    def check(generated: Tuple[str, str]) -> None:
        kind, name = generated
        assert DEFAULT.is_secret_name(name), (kind, name)

    check()


def _separated(text: str) -> List[Tuple[str, str]]:
    """``(separator, name)`` of each piece, to compare structure before and after."""
    return [
        (piece.partition("=")[0], sep)
        for sep, piece in zip(["", *re.findall(r"[&;]", text)], re.split(r"[&;]", text))
    ]


@st.composite
def query_strings(draw: st.DrawFn, where: str) -> Tuple[str, List[Case], List[str]]:
    cases: List[Case] = []
    secret = draw(pairs(where, draw(st.integers(1, 12)), cases))
    benign = [f"b{i}={draw(st.sampled_from(['1', 'a+b', 'x%20y', 'c']))}" for i in range(3)]
    items = draw(st.permutations(secret + benign))
    seps = [draw(st.sampled_from("&;")) for _ in items]
    return "".join(s + p for s, p in zip(seps, items))[1:], cases, benign


def test_query_and_form_lose_every_secret_and_keep_everything_else(slow: bool) -> None:
    @examples(slow)
    @given(st.sampled_from(["query", "form"]).flatmap(query_strings))
    def check(generated: Tuple[str, List[Case], List[str]]) -> None:
        text, cases, benign = generated
        for masked in (DEFAULT.query(text), DEFAULT.form(text)):
            assert not leaks(masked, cases), masked
            assert _separated(masked) == _separated(text)  # names, order, separators
            assert all(pair in masked for pair in benign)
            assert masked.count(REDACTED) == len(cases)
        url = f"https://h/api?{text}#{text}"
        assert not leaks(DEFAULT.url(url), cases)
        assert DEFAULT.url(DEFAULT.url(url)) == DEFAULT.url(url)  # masking is stable

    check()


def test_headers_and_cookies_lose_every_secret(slow: bool) -> None:
    @examples(slow)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        cases: List[Case] = []
        sent: Dict[str, str] = data.draw(headers(10, cases))
        sent["Cookie"] = data.draw(cookie_header(3, cases))
        sent["Accept"] = "application/json"
        masked = DEFAULT.headers(sent)
        assert not leaks(json.dumps(masked), cases), masked
        assert masked["accept"] == "application/json"

    check()


def test_json_loses_every_secret_and_keeps_the_rest(slow: bool) -> None:
    @examples(slow)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        cases: List[Case] = []
        body = data.draw(json_body(12, cases))
        masked = DEFAULT.json(body)
        assert not leaks(json.dumps(masked), cases), masked
        assert masked["user"] == "ann"

    check()


def test_free_text_loses_every_secret_shaped_value(slow: bool) -> None:
    @examples(slow)
    @given(st.lists(CORES, min_size=1, max_size=5), st.sampled_from(["; ", "\n", " | "]))
    def check(cores: List[str], joiner: str) -> None:
        pieces = [
            template.format(core)
            for core, template in zip(
                cores,
                [
                    "failed: AccountKey={}==",
                    "Authorization: Bearer {}",
                    "Password={}",
                    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.{}",
                    "next=https%3A%2F%2Fh%2F%3Fsig%3D{}",
                ],
            )
        ]
        masked = DEFAULT.text(joiner.join(pieces))
        assert not leaks(masked, [Case("text", "shape", core) for core in cores]), masked

    check()


def test_every_class_is_generated() -> None:
    assert set(NAMES_BY_CLASS) == set(redaction.NAME_CLASSES)


@pytest.mark.parametrize(
    "text",
    ["x=%" * 3000, "a%" * 5000, "q=" + "%2525" * 2000, "%" * 10000, "a=%25" * 2000],
    ids=["pairs-of-bare-percent", "bare-percents", "deep-encoding", "percents", "escaped"],
)
def test_odd_input_is_handled_without_recursing_or_raising(text: str) -> None:
    assert isinstance(DEFAULT.text(text), str)
    assert isinstance(DEFAULT.url(f"https://h/?{text}"), str)
    assert isinstance(DEFAULT.form(text), str)
    assert isinstance(DEFAULT.json({"a": text, "b": [text]}), dict)


def test_any_text_is_handled(slow: bool) -> None:
    @examples(slow)
    @given(st.text(alphabet=st.sampled_from("%25+=&;:/?#@ aeyJ.Bearer\"'<>\n"), max_size=80))
    def check(text: str) -> None:
        for method in (DEFAULT.text, DEFAULT.url, DEFAULT.query, DEFAULT.form):
            assert isinstance(method(text), str)  # never raises, whatever the text
        assert len(DEFAULT.headers({"x": text})) == 1
        assert isinstance(DEFAULT.json({text: [text]}), dict)

    check()
