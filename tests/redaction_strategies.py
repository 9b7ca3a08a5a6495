"""Hypothesis strategies for secrets: names from every built-in class, values of every
secret shape, in random case, separators and single or double URL encoding.

A generated ``Case`` is one secret placed once. Its ``core`` is a distinctive run of
letters and digits (every other character a digit, so no piece of it spells a word that
legitimately appears in a log line); ``needles`` are the strings that must never appear
in any output: the core, every 10-character piece of it, and the exact text placed when
the core itself was percent-encoded.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Dict, List, Tuple
from urllib.parse import quote

from hypothesis import strategies as st

PIECE = 10

# Realistic spellings of names from each built-in class; the strategies vary their case,
# separators and encoding.
NAMES_BY_CLASS: Dict[str, Tuple[str, ...]] = {
    "keys": (
        "code",
        "key",
        "api_key",
        "x-api-key",
        "x-functions-key",
        "Ocp-Apim-Subscription-Key",
        "subscription-key",
        "AccountKey",
        "access_key",
        "private_key",
        "master-key",
        "storage_account_key",
    ),
    "signatures and SAS parameters": ("sig", "signature", "sas", "sas_token", "x-signature"),
    "tokens": (
        "token",
        "access_token",
        "id_token",
        "refresh_token",
        "Authorization",
        "Proxy-Authorization",
        "auth",
        "x-auth-token",
        "jwt",
        "credential",
        "x-csrf-token",
    ),
    "passwords and passphrases": ("password", "pwd", "passwd", "db_password", "passphrase"),
    "client secrets and assertions": (
        "secret",
        "client_secret",
        "client_assertion",
        "app-secret",
    ),
    "connection strings and their key parts": (
        "connection_string",
        "ConnectionString",
        "conn_str",
        "SharedAccessKey",
        "AzureWebJobsStorage_ConnectionString",
    ),
    "cookies and sessions": ("cookie", "session", "session_id", "JSESSIONID", "sid", "sessid"),
    "platform identity and key headers": (
        "x-ms-client-principal",
        "x-ms-client-principal-id",
        "x-ms-client-principal-name",
        "x-ms-token-aad-access-token",
        "x-zumo-auth",
        "x-ms-encryption-key",
    ),
}
CLASSES = tuple(NAMES_BY_CLASS)

# Names that are not secret, for values that are secrets by their shape.
BENIGN_NAMES = ("data", "value", "payload", "next", "settings", "config", "item", "note")
BENIGN_VALUES = st.sampled_from(["alpha", "beta", "42", "blue", "page", "sort", "x y"])

# The shapes of values that are secrets whatever their name; ``{}`` is the core.
VALUE_SHAPES = {
    "storage connection string": (
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={}+/Q==;"
        "EndpointSuffix=core.windows.net"
    ),
    "service bus connection string": (
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManage;"
        "SharedAccessKey={}="
    ),
    "sql connection string": "Server=tcp:db.example,1433;Database=app;User ID=u;Password={};",
    "bearer token": "Bearer {}",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.{}",
}
SHAPES = tuple(VALUE_SHAPES)

CORES = st.text(string.ascii_letters + string.digits, min_size=6, max_size=12).map(
    lambda s: "Zq" + "".join(f"{char}{index % 10}" for index, char in enumerate(s))
)


@dataclass
class Case:
    """One secret placed once: where, under which class, and what must never appear."""

    where: str
    kind: str
    core: str
    placed: str = ""
    needles: Tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        pieces = {self.core[i : i + PIECE] for i in range(len(self.core) - PIECE + 1)}
        extra = {self.placed} if self.placed and self.placed != self.core else set()
        self.needles = (self.core, *sorted(pieces), *sorted(extra))


def leaks(text: str, cases: List[Case]) -> List[Tuple[Case, str]]:
    """Every case whose needle occurs in ``text``, with the needle found."""
    found = []
    for case in cases:
        for needle in case.needles:
            if needle in text:
                found.append((case, needle))
                break
    return found


@st.composite
def random_case(draw: st.DrawFn, text: str) -> str:
    return "".join(c.upper() if draw(st.booleans()) else c.lower() for c in text)


@st.composite
def separators(draw: st.DrawFn, name: str, allowed: str) -> str:
    """``-`` and ``_`` in ``name`` swapped for any of ``allowed`` (each on its own)."""
    return "".join(draw(st.sampled_from(allowed)) if c in "-_" else c for c in name)


@st.composite
def percent_encoded(draw: st.DrawFn, text: str, plus: bool = False) -> str:
    """Some characters as ``%XX`` (upper or lower hex), ``+`` for spaces when ``plus``;
    sometimes everything encoded a second time (``%2563``)."""
    out = []
    for char in text:
        if char == " " and plus:
            out.append("+")
        elif draw(st.integers(0, 2)) == 0 or char in "%&;=+# ":
            code = f"%{ord(char):02X}"
            out.append(code.lower() if draw(st.booleans()) else code)
        else:
            out.append(char)
    encoded = "".join(out)
    if draw(st.booleans()):
        encoded = encoded.replace("%", "%25")
    return encoded


@st.composite
def secret_names(draw: st.DrawFn, where: str) -> Tuple[str, str]:
    """``(class, name)``: a name from a random class, spelled as ``where`` allows.

    ``query``/``form``: any case, separators ``-``, ``_``, ``.``, ``+`` (a space) or none,
    often percent-encoded once or twice. ``header``: any case, ``-`` or ``_``. ``json``:
    any case and separator."""
    kind = draw(st.sampled_from(CLASSES))
    name = draw(random_case(draw(st.sampled_from(NAMES_BY_CLASS[kind]))))
    if where in ("query", "form"):
        name = draw(separators(name, "-_.+"))
        if draw(st.booleans()):
            name = draw(percent_encoded(name))
    elif where == "header":
        name = draw(separators(name, "-_"))
    else:
        name = draw(separators(name, "-_. "))
    return kind, name


@st.composite
def core_as_placed(draw: st.DrawFn, core: str, encode: bool) -> str:
    """The core itself, or (where URL encoding applies) the core partly percent-encoded."""
    if encode and draw(st.integers(0, 3)) == 0:
        return draw(percent_encoded(core))
    return core


@st.composite
def shaped_value(draw: st.DrawFn, core: str) -> Tuple[str, str]:
    """``(shape, value)``: a value that is a secret by its shape, holding ``core``."""
    shape = draw(st.sampled_from(SHAPES))
    return shape, VALUE_SHAPES[shape].format(core)


def url_encode(value: str, times: int) -> str:
    for _ in range(times):
        value = quote(value, safe="")
    return value


@st.composite
def pairs(draw: st.DrawFn, where: str, count: int, cases: List[Case]) -> List[str]:
    """``count`` ``name=value`` pairs for a query string or a form body, each a case:
    a secret name with the core (perhaps encoded), or a benign name with a secret-shaped
    value encoded once or twice."""
    out = []
    for _ in range(count):
        core = draw(CORES)
        if draw(st.integers(0, 2)):
            kind, name = draw(secret_names(where))
            placed = draw(core_as_placed(core, encode=True))
            out.append(f"{name}={placed}")
            cases.append(Case(where, kind, core, placed))
        else:
            shape, value = draw(shaped_value(core))
            times = draw(st.sampled_from([1, 1, 2]))
            out.append(f"{draw(st.sampled_from(BENIGN_NAMES))}={url_encode(value, times)}")
            cases.append(Case(where, f"value: {shape}", core))
    return out


@st.composite
def headers(draw: st.DrawFn, count: int, cases: List[Case]) -> Dict[str, str]:
    """``count`` headers, each a case: a secret name with the core (sometimes after a
    scheme), or a benign ``X-Data-<n>`` name with a secret-shaped value (sometimes
    URL-encoded)."""
    out: Dict[str, str] = {}
    for index in range(count):
        core = draw(CORES)
        if draw(st.integers(0, 2)):
            kind, name = draw(secret_names("header"))
            while name.lower() in {n.lower() for n in out}:
                kind, name = draw(secret_names("header"))
            scheme = draw(st.sampled_from(["", "", "Bearer ", "Basic "]))
            out[name] = scheme + core
            cases.append(Case("header", kind, core))
        else:
            shape, value = draw(shaped_value(core))
            if draw(st.integers(0, 3)) == 0:
                value = url_encode(value, 1)
            out[f"X-Data-{index}"] = value
            cases.append(Case("header", f"value: {shape}", core))
    return out


@st.composite
def cookie_header(draw: st.DrawFn, count: int, cases: List[Case]) -> str:
    """A ``Cookie`` header of ``count`` cookies, each holding a core."""
    cookies = []
    for index in range(count):
        core = draw(CORES)
        name = draw(st.sampled_from(["theme", "ARRAffinity", "session", ".AspNetCore.Auth"]))
        cookies.append(f"{name}{index}={core}")
        cases.append(Case("cookie", "cookies and sessions", core))
    return "; ".join(cookies)


@st.composite
def json_body(draw: st.DrawFn, count: int, cases: List[Case]) -> Dict[str, object]:
    """A JSON object with ``count`` cases at depths 0 to 2: secret keys holding the core
    (or an object holding it), benign keys holding secret-shaped strings."""
    root: Dict[str, object] = {"user": "ann"}
    containers: List[Dict[str, object]] = [root]
    for index in range(count):
        parent = draw(st.sampled_from(containers))
        core = draw(CORES)
        if draw(st.integers(0, 2)):
            kind, name = draw(secret_names("json"))
            value: object = core if draw(st.booleans()) else {"v": [core, 1]}
            if name in parent:  # a fresh object, so no case overwrites another
                fresh: Dict[str, object] = {}
                parent[f"more{index}"] = fresh
                parent = fresh
            parent[name] = value
            cases.append(Case("json", kind, core))
        else:
            shape, text = draw(shaped_value(core))
            if draw(st.integers(0, 3)) == 0:
                text = url_encode(text, 1)
            parent[f"{draw(st.sampled_from(BENIGN_NAMES))}{index}"] = text
            cases.append(Case("json", f"value: {shape}", core))
        if draw(st.integers(0, 3)) == 0 and len(containers) < 4:
            child: Dict[str, object] = {"kept": draw(BENIGN_VALUES)}
            parent[f"nested{index}"] = [child] if draw(st.booleans()) else child
            containers.append(child)
    return root
