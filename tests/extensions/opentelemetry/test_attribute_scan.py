"""The export scan of a span's attributes (``SpanRedaction.attributes``) decides as each
value's own rule does.

The scan sorts the values in one pass and checks the plain texts joined together with
substring tests; whatever the mix of names, kinds, texts, numbers, sequences and bytes, its
result must equal masking every value alone (``SpanRedaction.value``) with a fresh
redaction of the same configuration, with and without the names' kinds already known."""

from __future__ import annotations

import re
import string
from typing import Any, Callable, Dict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_worker_extension_framework.toolkit.redaction import Redactor
from python_worker_extension_opentelemetry.redacting import SpanRedaction, redactor_for

S = "Q9sEcReT42"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"
FRAGMENTS = [
    "plain",
    " ",
    "a b",
    f"password={S}",
    f"Bearer {S}",
    f"Basic {S}",
    f"Bearer\t{S}",
    f"Bearer\xa0{S}",
    f"token\u2028{S}",
    JWT,
    "ey",
    "J",
    f"AccountKey={S};x=1",
    f"https://h/p?sig={S}&a=1",
    f"https://u:{S}@h/p",
    f"code={S}&page=2",
    "k=v",
    "%3D",
    f"api%5Fkey%3D{S}",
    "x:y",
    f"Authorization: Bearer {S}",
    f"<password>{S}</password>",
    f'{{"token": "{S}"}}',
    f"ORD-{S[:4]}1234",
    "|",
    "\x00",
    "\u200b",
    "",
]
KEYS = [
    "note",
    "db.statement",
    "url.full",
    "http.url",
    "http.target",
    "url.query",
    "password",
    "http.request.header.authorization",
    "x-tenant-ref",
    "tags",
]
texts = (
    st.lists(st.sampled_from(FRAGMENTS), max_size=3).map("".join)
    | st.text(alphabet=string.ascii_letters + "=:;&?%<>| \t\n\x1c\x85\xa0\u3000", max_size=12)
    | st.text(max_size=8)
)
plain_values = texts | st.integers(-5, 5) | st.booleans() | st.floats(allow_nan=False)
values = plain_values | st.lists(texts, max_size=3) | texts.map(str.encode)
REDACTIONS: Dict[str, Callable[[], SpanRedaction]] = {
    "default": lambda: SpanRedaction(),
    "redact_names": lambda: SpanRedaction(redactor_for(["x-tenant-ref", "note"])),
    "user pattern": lambda: SpanRedaction(Redactor(extra_patterns=[r"ORD-\w{4}\d{4}"])),
}


@pytest.mark.parametrize("redaction_name", list(REDACTIONS))
@settings(max_examples=300, deadline=None)
@given(attributes=st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), values))
def test_attributes_in_one_pass_mask_as_each_value_alone(
    redaction_name: str, attributes: Dict[str, Any]
) -> None:
    redaction = REDACTIONS[redaction_name]()
    before = dict(attributes)
    for _ in range(2):  # a first time, and once the names' kinds are known
        masked = redaction.attributes(attributes)
        alone = REDACTIONS[redaction_name]()
        expected = {key: alone.value(key, value) for key, value in attributes.items()}
        assert (attributes if masked is None else masked) == expected
        assert (masked is None) == (expected == attributes)  # a copy only when needed
        assert masked is not attributes and attributes == before  # never the caller's dict


def test_every_whitespace_but_the_space_is_unprintable() -> None:
    """What the one search over the joined texts relies on to stand for ``\\s``: every
    character it matches but the space is one ``str.isprintable`` refuses, and the joiner
    (``|``) is printable and neither a suspect character nor part of ``eyJ``."""
    whitespace = re.compile(r"\s").match
    matched = [chr(code) for code in range(0x110000) if whitespace(chr(code))]
    assert " " in matched and "\t" in matched and "\xa0" in matched
    assert [c for c in matched if c != " " and c.isprintable()] == []
    assert "|".isprintable() and not any(c in "|" for c in "=:<% eyJ")
