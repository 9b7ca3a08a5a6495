"""``Redactor.query``'s common-case path gives exactly what the general path gives.

Queries without ``;``, spaces, tabs or ``eyJ`` (and a redactor without user patterns)
take a shorter path. The reference below is the general path as it stood before
that one was added; every generated query must come out of ``query`` and ``url`` the same,
with the same values remembered in the ``Findings``.
"""

from __future__ import annotations

from typing import List, Optional

from hypothesis import given, settings
from hypothesis import strategies as st
from python_worker_extension_framework.toolkit.redaction import (
    _DISCARD,
    _PLAIN_VALUE,
    _QUERY_SEPARATORS,
    MIN_ECHO_LENGTH,
    REDACTED,
    Findings,
    Redactor,
)


def reference_query(redactor: Redactor, query: str, findings: Optional[Findings] = None) -> str:
    """The general path of ``Redactor.query``, kept here unchanged as the oracle."""
    found = findings if findings is not None else _DISCARD
    if ";" in query:
        pieces, step = _QUERY_SEPARATORS.split(query), 2
    else:
        pieces, step = query.split("&"), 1
    shape_only = not redactor.extra_patterns
    for index in range(0, len(pieces), step):
        piece = pieces[index]
        name, equals, value = piece.partition("=")
        if not equals:
            if redactor._secret_value(piece):
                found.add(piece)
                pieces[index] = REDACTED
            continue
        if not value:
            continue
        if redactor.is_secret_name(name) or (
            not (shape_only and _PLAIN_VALUE(value) and "eyJ" not in value)
            and redactor._secret_value(value)
        ):
            if len(value) >= MIN_ECHO_LENGTH:
                found.add(value)
            pieces[index] = f"{name}={REDACTED}"
    return "".join(pieces) if step == 2 else "&".join(pieces)


SECRET_NAMES = [
    "code",
    "key",
    "api_key",
    "x-functions-key",
    "sig",
    "access_token",
    "client_secret",
    "password",
    "pwd",
    "sid",
    "AccountKey",
    "x-ms-client-principal",
    "user[password]",
    "auth:token",
]
ORDINARY_NAMES = [
    "name",
    "page",
    "q",
    "status",
    "barcode",
    "SharedAccessKeyName",
    "tokentype",
    "keyname",
    "sort",
    "ü",
    "名前",
    "",
    "a.b-c_d",
]
SECRET_SHAPED_VALUES = [
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV",
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "q8Zr1XbT0mYwA3kP9sVe2LhN7uJcD4fG6iOa5yWz==",
    "q8Zr1XbT0mYwA3kP9sVe2LhN7uJcD4fG6iOa5yWz%3D%3D",
    "AccountKey=abcdefgh123;EndpointSuffix=core.windows.net",
    "DefaultEndpointsProtocol=https%3BAccountKey%3Dsecret123",
    "Bearer abcdefghijklmnop",
    "Bearer+abcdefghijklmnop",
    "password=hunter22",
    "a=b",
    "Basic\tdXNlcjpwYXNzd29yZA",
    "AccountKey=abcdefgh123",
    "x sig=abcdef123",
    "AccountKey%3Dsecret123",
    "Bearer%20abcdefghij",
    "sk-abcdefgh12",
]
ORDINARY_VALUES = ["widget", "x", "", "2", "open", "a b", "a\tb", "ünï", "雪", "x:y/z@w,v", "a<b>"]


def _random_case(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if flip else c.lower() for c, flip in zip(text, flips))


@st.composite
def names(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(SECRET_NAMES + ORDINARY_NAMES))
    name = _random_case(draw, name)
    encoding = draw(st.sampled_from(["none", "none", "first", "plus"]))
    if encoding == "first" and name:
        name = f"%{ord(name[0]):02X}{name[1:]}" if ord(name[0]) < 128 else name
    elif encoding == "plus":
        name = name.replace("_", "+")
    return name


VALUE = st.one_of(
    st.sampled_from(ORDINARY_VALUES + SECRET_SHAPED_VALUES),
    st.text(alphabet=st.sampled_from("abcXYZ019=%+ ;:/@,.-_~eyJ\tü"), max_size=24),
)


@st.composite
def queries(draw: st.DrawFn, separators_from: str = "&&;") -> str:
    pieces: List[str] = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        form = draw(st.sampled_from(["pair", "pair", "pair", "bare", "empty"]))
        name = draw(names())
        if form == "pair":
            pieces.append(f"{name}={draw(VALUE)}")
        elif form == "bare":
            pieces.append(name or draw(VALUE))
        else:
            pieces.append(f"{name}=")
    if draw(st.booleans()) and pieces:  # a repeated key
        pieces.append(draw(st.sampled_from(pieces)))
    separators = draw(
        st.lists(st.sampled_from(separators_from), min_size=len(pieces), max_size=len(pieces))
    )
    return "".join(sep + piece for sep, piece in zip(separators, pieces))[1:]


@st.composite
def nearly_plain_queries(draw: st.DrawFn) -> str:
    """Plain pairs (the common case) and one value of any shape, so that every character
    that sends a query down the general path is met alone as well."""
    plain = st.sampled_from([v for v in ORDINARY_VALUES if v.strip() == v and " " not in v])
    pairs = [
        f"{_random_case(draw, draw(st.sampled_from(SECRET_NAMES + ORDINARY_NAMES)))}={v}"
        for v in draw(st.lists(plain, max_size=4))
    ]
    odd = f"{draw(st.sampled_from(ORDINARY_NAMES))}={draw(VALUE)}"
    pairs.insert(draw(st.integers(min_value=0, max_value=len(pairs))), odd)
    return "&".join(pairs)


REDACTORS = [
    Redactor(),
    Redactor(extra_names=["widget", "X-Custom"]),
    Redactor(extra_patterns=[r"sk-[A-Za-z0-9]{6,}"]),
]
ANY_QUERY = st.one_of(
    queries(),
    queries(separators_from="&"),
    nearly_plain_queries(),
    st.text(alphabet=st.sampled_from("ac=&;%2+ eyJ.Code\tü"), max_size=40),
)


def _same(redactor: Redactor, query: str) -> None:
    new_found, old_found = Findings(), Findings()
    assert redactor.query(query) == reference_query(redactor, query)
    assert redactor.query(query, new_found) == reference_query(redactor, query, old_found)
    assert new_found._values == old_found._values
    url = "http://localhost:7071/api/HttpTrigger"
    assert redactor.url(f"{url}?{query}") == f"{url}?{reference_query(redactor, query)}"


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(REDACTORS), ANY_QUERY)
def test_query_matches_the_general_path(redactor: Redactor, query: str) -> None:
    _same(redactor, query)


@given(st.sampled_from(REDACTORS), st.lists(st.text(max_size=12), max_size=5))
@settings(max_examples=300, deadline=None)
def test_arbitrary_unicode_queries_match_the_general_path(
    redactor: Redactor, parts: List[str]
) -> None:
    _same(redactor, "&".join(parts))


def test_the_common_case_masks_by_name_and_keeps_everything_else() -> None:
    found = Findings()
    query = "code=abcdefgh&name=widget&name=&x&Password=a=b&token=eyJ"
    assert Redactor().query(query, found) == (
        f"code={REDACTED}&name=widget&name=&x&Password={REDACTED}&token={REDACTED}"
    )
    assert found.scrub("abcdefgh") == REDACTED
    assert Redactor().query("name=widget&page=2") == "name=widget&page=2"
    # Secret-shaped values under ordinary names are still looked into.
    assert Redactor().query("next=password=hunter22&page=2") == f"next={REDACTED}&page=2"
    assert Redactor().query("h=Bearer abcdefghij&page=2") == f"h={REDACTED}&page=2"
    assert Redactor().query("h=Basic\tabcdefghij") == f"h={REDACTED}"


def test_every_listed_name_and_value_matches_the_general_path() -> None:
    """Each listed value under each listed name, alone and among plain pairs, with each
    redactor: the exhaustive companion of the random tests above."""
    for redactor in REDACTORS:
        for name in SECRET_NAMES + ORDINARY_NAMES:
            for value in ORDINARY_VALUES + SECRET_SHAPED_VALUES:
                for spelling in (name, name.upper()):
                    _same(redactor, f"{spelling}={value}")
                    _same(redactor, f"page=2&{spelling}={value}&sort=desc&{spelling}=")
                    _same(redactor, f"{spelling}=widget&{value}&{spelling}={value}")
            _same(redactor, name)


# Queries with no ``%`` or ``+`` either (nothing decoding changes): the plain path.
PLAIN_QUERY = st.lists(
    st.tuples(
        st.sampled_from(SECRET_NAMES + ORDINARY_NAMES + ["", "a=b"]),
        st.sampled_from(["", "="]),
        st.text(alphabet=st.sampled_from("abcXYZ019=.-_~:/@,!*'()"), max_size=20),
    ),
    max_size=6,
).map(lambda pairs: "&".join(f"{name}{equals}{value}" for name, equals, value in pairs))


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(REDACTORS), PLAIN_QUERY)
def test_plain_queries_match_the_general_path(redactor: Redactor, query: str) -> None:
    """Names secret or not, values with and without ``=``, long enough to be remembered
    or not, pieces without ``=``: the same text and the same findings."""
    _same(redactor, query)


def test_plain_queries_remember_only_long_masked_values() -> None:
    found = Findings()
    query = "code=abcdefgh&key=short&page=2&next=password=hunter22&flag"
    masked = Redactor().query(query, found)
    assert masked == f"code={REDACTED}&key={REDACTED}&page=2&next={REDACTED}&flag"
    assert found.scrub("abcdefgh short password=hunter22") == f"{REDACTED} short {REDACTED}"
