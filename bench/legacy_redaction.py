"""The redaction code ``toolkit.redaction`` replaced, kept only as the benchmark's anchor.

Request logging's ``SecretNames``/``Findings`` and OpenCensus' ``UrlRedactor`` as they were
before the one redaction module (the commit before it), unchanged but for names. Nothing
outside ``bench_redaction`` imports this; it is not used to redact anything.
"""

# ruff: noqa
# mypy: ignore-errors

from __future__ import annotations

import functools
import re
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Mapping, Optional, Set
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

# -- request logging -------------------------------------------------------------------------

REDACTED = "[REDACTED]"

BUILTIN_QUERY_NAMES = (
    "code",
    "sig",
    "token",
    "access_token",
    "key",
    "api_key",
    "password",
    "secret",
)
BUILTIN_HEADER_NAMES = (
    "Authorization",
    "Proxy-Authorization",
    "Cookie",
    "Set-Cookie",
    "x-functions-key",
    "x-api-key",
    "Ocp-Apim-Subscription-Key",
)
# A name containing one of these (after normalisation) is secret-looking wherever it is:
# ``client_secret``, ``refresh_token``, ``X-Auth-Token``, ``dbPassword``, ``AccountKey``.
SECRET_FRAGMENTS = (
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "authorization",
    "cookie",
    "credential",
    "signature",
    "privatekey",
    "accesskey",
    "accountkey",
    "subscriptionkey",
    "functionskey",
    "sessionid",
    "connectionstring",
)
_EXTRA_EXACT_NAMES = ("auth", "pwd", "pass", "passphrase", "sas")

# Values shorter than this are masked where their name says so, but not hunted for
# elsewhere in the record: replacing every "abc" in a log line would destroy it.
MIN_ECHO_LENGTH = 6

_SEPARATORS = re.compile(r"[\s\-_.]+")
_PARTS = re.compile(r"[\[\]/:]+")
_QUERY_SEPARATORS = re.compile(r"([&;])")
_VALUE_PIECES = re.compile(r"[;,]")
# What ``quote`` never encodes, and ``unquote_plus`` never decodes (no ``%``, no ``+``).
_URL_SAFE = re.compile(r"[A-Za-z0-9_.\-~]+").fullmatch

# Patterns for free text (header values, the path, user agent, non-JSON bodies). Each
# yields a name and a value; the value is masked when the name is secret.
_FORM_PAIR = re.compile(r"(?P<name>[\w%.\-\[\]+/:]{1,200})=(?P<value>[^\s&;,\"'<>]*)")
_QUOTED_PAIR = re.compile(
    r"(?P<q>[\"'])(?P<name>[^\"'\\\n]{1,200})(?P=q)\s*[:=]\s*"
    r"(?:\"(?P<dq>(?:[^\"\\]|\\.)*)\"|'(?P<sq>(?:[^'\\]|\\.)*)'|(?P<bare>[^\s,}\]\"'{\[]+))"
)
_HEADER_LINE = re.compile(r"(?m)^[ \t]*(?P<name>[A-Za-z0-9_\-]{1,100})[ \t]*:[ \t]*(?P<value>.*)$")
_XML_ELEMENT = re.compile(
    r"<(?P<name>[A-Za-z_][\w\-.:]{0,100})(?:\s[^<>]*)?>(?P<value>[^<]*)</(?P=name)\s*>"
)
_AUTH_SCHEME = re.compile(
    r"(?i)\b(?P<scheme>bearer|basic|digest|negotiate|sharedkey|sharedaccesssignature)"
    r"(?P<gap>\s+)(?P<value>[A-Za-z0-9\-._~+/]{8,}=*)"
)


def normalise(name: str) -> str:
    """URL-decode (up to three times), trim and lower-case a name."""
    text = name
    for _ in range(3):
        if "%" not in text and "+" not in text:
            break
        decoded = unquote_plus(text)
        if decoded == text:
            break
        text = decoded
    return text.strip().lower()


def _squash(text: str) -> str:
    return _SEPARATORS.sub("", text)


class Findings:
    """The secret values masked during one record's redaction, to hunt for elsewhere."""

    __slots__ = ("_longest_first", "_values")

    def __init__(self) -> None:
        self._values: Set[str] = set()
        self._longest_first: Optional[List[str]] = None

    def add(self, value: object) -> None:
        """Remember one masked value, with its URL-decoded and URL-encoded forms."""
        text = str(value).strip()
        if len(text) < MIN_ECHO_LENGTH or REDACTED in text:
            return
        if _URL_SAFE(text):
            # Letters, digits and ``_.-~``: decoding and both encodings give it unchanged.
            if text not in self._values:
                self._values.add(text)
                self._longest_first = None
            return
        for form in (text, unquote_plus(text), quote(text, safe=""), quote_plus(text)):
            if len(form) >= MIN_ECHO_LENGTH:
                self._values.add(form)
        self._longest_first = None

    def add_compound(self, value: str) -> None:
        """A header value: the whole, each ``name=value`` value, and each credential token."""
        self.add(value)
        for piece in _VALUE_PIECES.split(value):
            piece = piece.strip()
            if not piece:
                continue
            self.add(piece)
            words = piece.split()
            if len(words) > 1:
                self.add(words[-1])
            _, equals, rest = piece.partition("=")
            if equals:
                self.add(rest.strip().strip('"'))

    def add_nested(self, value: Any) -> None:
        """Every scalar inside a masked JSON value."""
        if isinstance(value, dict):
            for item in value.values():
                self.add_nested(item)
        elif isinstance(value, list):
            for item in value:
                self.add_nested(item)
        elif value is not None and not isinstance(value, bool):
            self.add(value)

    def __bool__(self) -> bool:
        return bool(self._values)

    def found_in(self, text: str) -> bool:
        """Whether any remembered value occurs in ``text``."""
        return any(secret in text for secret in self._values)

    def scrub(self, text: str) -> str:
        """Replace every remembered value in ``text`` by the marker, longest first."""
        if not self._values:
            return text
        if self._longest_first is None:
            self._longest_first = sorted(self._values, key=len, reverse=True)
        for secret in self._longest_first:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text


class SecretNames:
    """Decides which names are secret and masks their values in each kind of input."""

    def __init__(self, extra_names: Iterable[str] = ()) -> None:
        names = (*BUILTIN_QUERY_NAMES, *BUILTIN_HEADER_NAMES, *_EXTRA_EXACT_NAMES, *extra_names)
        self.exact: FrozenSet[str] = frozenset(_squash(normalise(n)) for n in names)
        self.fragments = SECRET_FRAGMENTS
        # Names are attacker-chosen (any query parameter), so the cache is bounded.
        self.is_secret: Callable[[str], bool] = functools.lru_cache(maxsize=4096)(self._judge)

    def _judge(self, name: str) -> bool:
        text = normalise(name)
        squashed = _squash(text)
        if not squashed:
            return False
        if squashed in self.exact or any(f in squashed for f in self.fragments):
            return True
        return any(_squash(part) in self.exact for part in _PARTS.split(text) if part)

    # -- URLs ---------------------------------------------------------------------------

    def query(self, query: str, findings: Findings) -> str:
        """A query string with secret parameters' values masked (names kept as sent)."""
        pieces = _QUERY_SEPARATORS.split(query)
        for index in range(0, len(pieces), 2):
            name, equals, value = pieces[index].partition("=")
            if not equals:
                continue
            if self.is_secret(name):
                findings.add(value)
                pieces[index] = f"{name}={REDACTED}"
            elif "%" in value or "=" in value:
                # A URL inside a parameter (``redirect=https%3A...%3Fcode%3D...``).
                decoded = unquote_plus(value)
                scrubbed = self.text(decoded, findings)
                if scrubbed != decoded:
                    pieces[index] = f"{name}={quote(scrubbed, safe='/:[]?')}"
        return "".join(pieces)

    def route_params(self, route_params: Mapping[str, Any], findings: Findings) -> None:
        """Remember the values of secret route parameters (``items/{token}``)."""
        for name, value in route_params.items():
            if value and self.is_secret(str(name)):
                findings.add(value)

    # -- headers ------------------------------------------------------------------------

    def collect_headers(self, headers: Mapping[str, Any], findings: Findings) -> None:
        """Remember the values of every secret header, logged or not."""
        for name, value in headers.items():
            if self.is_secret(str(name)):
                findings.add_compound(str(value))

    def headers(
        self,
        headers: Mapping[str, Any],
        allow: FrozenSet[str],
        findings: Findings,
        max_length: int,
    ) -> Dict[str, str]:
        """The allow-listed headers; secret ones masked whatever the allow-list says."""
        logged: Dict[str, str] = {}
        for name, value in headers.items():
            lowered = str(name).lower()
            if lowered not in allow:
                continue
            if self.is_secret(lowered):
                findings.add_compound(str(value))
                logged[lowered] = REDACTED
            else:
                logged[lowered] = self.text(str(value)[:max_length], findings)
        return logged

    # -- free text ----------------------------------------------------------------------

    def text(self, text: str, findings: Findings) -> str:
        """Mask ``name=value``, ``"name": value``, ``Name: value`` header lines, XML
        elements and ``Bearer``/``Basic`` credentials whose names are secret."""
        if "=" in text:
            text = _FORM_PAIR.sub(lambda m: self._masked(m, "value", findings), text)
        if ":" in text or "=" in text:
            if '"' in text or "'" in text:
                text = _QUOTED_PAIR.sub(lambda m: self._masked_quoted(m, findings), text)
            if ":" in text:
                text = _HEADER_LINE.sub(lambda m: self._masked(m, "value", findings), text)
        if "<" in text:
            text = _XML_ELEMENT.sub(lambda m: self._masked(m, "value", findings), text)
        if " " in text or "\t" in text:
            text = _AUTH_SCHEME.sub(lambda m: self._masked_credential(m, findings), text)
        return text

    def _masked(self, match: re.Match[str], group: str, findings: Findings) -> str:
        value = match.group(group)
        if not value or value == REDACTED or not self.is_secret(match.group("name")):
            return match.group(0)
        findings.add(value)
        start, end = match.span(group)
        offset = match.start(0)
        whole = match.group(0)
        return whole[: start - offset] + REDACTED + whole[end - offset :]

    def _masked_quoted(self, match: re.Match[str], findings: Findings) -> str:
        for group in ("dq", "sq", "bare"):
            if match.group(group) is not None:
                return self._masked(match, group, findings)
        return match.group(0)

    def _masked_credential(self, match: re.Match[str], findings: Findings) -> str:
        value = match.group("value")
        if value == REDACTED:
            return match.group(0)
        findings.add(value)
        return f"{match.group('scheme')}{match.group('gap')}{REDACTED}"

    # -- JSON ---------------------------------------------------------------------------

    def json(self, value: Any, findings: Findings, depth: int = 0) -> Any:
        """A copy of parsed JSON with secret keys' values masked at any depth.

        Also masks ``{"name": "password", "value": ...}`` pairs and secrets inside string
        values (form data or headers carried as text). Beyond 64 levels everything is masked.
        """
        if depth > 64:
            findings.add_nested(value)
            return REDACTED
        if isinstance(value, dict):
            masked: Dict[str, Any] = {}
            pair_name = self._pair_name(value)
            for key, item in value.items():
                if self.is_secret(str(key)) or (pair_name and str(key).lower() == "value"):
                    findings.add_nested(item)
                    masked[key] = REDACTED
                else:
                    masked[key] = self.json(item, findings, depth + 1)
            return masked
        if isinstance(value, list):
            return [self.json(item, findings, depth + 1) for item in value]
        if isinstance(value, str):
            return self.text(value, findings)
        return value

    def _pair_name(self, value: Dict[str, Any]) -> bool:
        """Whether a dict is a ``name``/``value`` pair naming a secret."""
        if len(value) > 8:
            return False
        for key, item in value.items():
            if str(key).lower() in ("name", "key") and isinstance(item, str):
                return self.is_secret(item)
        return False


# -- OpenCensus ------------------------------------------------------------------------------

OPENCENSUS_REDACTED = "REDACTED"

OPENCENSUS_QUERY_NAMES = frozenset(
    {
        "code",
        "sig",
        "signature",
        "token",
        "access_token",
        "id_token",
        "refresh_token",
        "key",
        "apikey",
        "api_key",
        "subscription-key",
        "subscription_key",
        "password",
        "pwd",
        "passwd",
        "secret",
        "client_secret",
        "sas",
        "auth",
        "authorization",
        "credential",
        "credentials",
        "x-functions-key",
    }
)
# A parameter whose name contains one of these is secret too (``db_password``, ``myToken``).
OPENCENSUS_FRAGMENTS = ("password", "passwd", "secret", "token", "apikey", "api_key", "signature")


class UrlRedactor:
    """Removes secrets from URLs: secret query parameter values, user information, and
    the values of secret-named route parameters in the path."""

    def __init__(self, extra_names: Iterable[str] = ()) -> None:
        self.names: FrozenSet[str] = OPENCENSUS_QUERY_NAMES | frozenset(
            n.lower() for n in extra_names
        )
        # Names are chosen by callers (any query parameter), so the cache is bounded.
        self.is_secret: Callable[[str], bool] = functools.lru_cache(maxsize=1024)(self._judge)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UrlRedactor) and other.names == self.names

    def __hash__(self) -> int:
        return hash(self.names)

    def _judge(self, name: str) -> bool:
        text = unquote_plus(name).strip().lower()
        return text in self.names or any(fragment in text for fragment in OPENCENSUS_FRAGMENTS)

    def _query(self, query: str) -> str:
        pieces = query.split("&")
        for index, piece in enumerate(pieces):
            name, equals, _ = piece.partition("=")
            if equals and self.is_secret(name):
                pieces[index] = f"{name}={OPENCENSUS_REDACTED}"
        return "&".join(pieces)

    def url(self, url: str, secret_path_values: Iterable[str] = ()) -> str:
        """``url`` with secrets replaced by ``OPENCENSUS_REDACTED``; never raises."""
        secret_values = [v for v in secret_path_values if v]
        if "@" not in url and not secret_values:
            if "?" not in url and "#" not in url:
                return url
            head, hash_mark, fragment = url.partition("#")
            base, question_mark, query = head.partition("?")
            return base + question_mark + self._query(query) + hash_mark + self._query(fragment)
        try:
            parts = urlsplit(url)
            netloc = parts.netloc.rpartition("@")[2]
            path = parts.path
            for value in secret_values:
                path = _replace_segments(path, value, OPENCENSUS_REDACTED)
            return urlunsplit(
                (parts.scheme, netloc, path, self._query(parts.query), self._query(parts.fragment))
            )
        except ValueError:  # not a URL urllib can split: keep only what cannot hold a secret
            head = url.split("#", 1)[0].split("?", 1)[0]
            scheme, sep, rest = head.partition("://")
            return scheme + sep + rest.rpartition("@")[2] if sep else head.rpartition("@")[2]


def _replace_segments(path: str, value: str, replacement: str) -> str:
    segments = path.split("/")
    wanted = value.split("/")
    size = len(wanted)
    for start in range(len(segments) - size, -1, -1):
        if segments[start : start + size] == wanted:
            segments[start : start + size] = [replacement]
            return "/".join(segments)
    return path
