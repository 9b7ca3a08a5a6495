"""The one redaction every output uses: which names are secret, and masking their values.

Request logging, the tracing extensions, the host's console and the testing harness all
mask secrets through a ``Redactor`` from here, so they agree on what a secret is.

Names. A name is secret when, after URL decoding (repeated until it stops changing, ``+``
read as a space), lower-casing and dropping ``-``, ``_``, ``.`` and spaces, it equals a
built-in or user-added name (whole, or one ``[..]``, ``/`` or ``:`` separated part of it),
or contains a built-in fragment such as ``password`` or ``token``. The built-ins come in
the classes of ``NAME_CLASSES``; extra names and patterns only ever add to them.

Values. Some values are secrets whatever their name: connection strings' key parts
(``AccountKey=``, ``SharedAccessKey=``, ``Password=`` ...), ``Bearer``/``Basic``
credentials, JWT-looking tokens, and whatever a user pattern matches. Query values, form
values, header values, JSON strings and free text are scanned for them, after the same
repeated decoding.

Masking replaces a value in the original text by ``REDACTED`` and changes nothing else:
names keep their spelling and encoding, other parameters their order and separators.

Every value masked can be remembered in a ``Findings``; a caller building one record from
many parts (request logging) finally replaces any other occurrence of those values (an
echo in a response body, a ``Referer`` header) with the marker too.
"""

from __future__ import annotations

import functools
import re
from typing import (
    Any,
    Callable,
    Dict,
    FrozenSet,
    Iterable,
    List,
    Mapping,
    Optional,
    Pattern,
    Set,
    Tuple,
    Union,
)
from urllib.parse import quote, unquote, unquote_plus

__all__ = [
    "BUILTIN_FRAGMENTS",
    "BUILTIN_NAMES",
    "DEFAULT",
    "NAME_CLASSES",
    "REDACTED",
    "Findings",
    "Redactor",
    "compile_patterns",
    "decode",
    "normalise",
]

REDACTED = "[REDACTED]"

# The built-in secret names, by class. ``names`` match a whole (normalised) name or one
# ``[..]``/``/``/``:`` part of it; ``fragments`` match anywhere inside a normalised name.
# Normalising drops ``-``, ``_``, ``.`` and spaces and lower-cases, so ``api_key``,
# ``API-Key`` and ``apiKey`` are one name.
NAME_CLASSES: Mapping[str, Mapping[str, Tuple[str, ...]]] = {
    "keys": {
        "names": (
            "code",
            "key",
            "apikey",
            "x-api-key",
            "x-functions-key",
            "functionkey",
            "hostkey",
            "masterkey",
            "ocp-apim-subscription-key",
            "subscription-key",
        ),
        "fragments": (
            "apikey",
            "accesskey",
            "accountkey",
            "subscriptionkey",
            "functionskey",
            "functionkey",
            "privatekey",
            "sharedkey",
            "masterkey",
            "signingkey",
            "encryptionkey",
            "primarykey",
            "secondarykey",
            "clientkey",
            "appkey",
        ),
    },
    "signatures and SAS parameters": {
        "names": ("sig", "sas", "signature"),
        "fragments": ("signature", "sastoken", "sasurl", "sasuri"),
    },
    "tokens": {
        "names": ("authorization", "proxy-authorization", "auth", "jwt", "bearer", "xsrf", "csrf"),
        "fragments": ("token", "authorization", "credential", "bearer"),
    },
    "passwords and passphrases": {
        "names": ("pwd", "pass", "passwd", "pin"),
        "fragments": ("password", "passwd", "passphrase", "passcode"),
    },
    "client secrets and assertions": {
        "names": ("secret", "assertion"),
        "fragments": ("secret", "assertion"),
    },
    "connection strings and their key parts": {
        "names": ("connstr", "sharedaccesskey", "accountkey"),
        "fragments": ("connectionstring", "connstring", "sharedaccesskey"),
    },
    "cookies and sessions": {
        "names": ("cookie", "set-cookie", "session", "sid", "sessid"),
        "fragments": ("cookie", "sessionid", "sessid", "sessionkey", "sessiontoken"),
    },
    "platform identity and key headers": {
        "names": (
            "x-ms-client-principal",
            "x-ms-client-principal-id",
            "x-ms-client-principal-name",
            "x-ms-client-principal-idp",
            "x-zumo-auth",
            "x-ms-encryption-key",
        ),
        "fragments": ("clientprincipal", "xmstoken", "zumoauth", "xmsencryption"),
    },
}

# ``SharedAccessKeyName=RootManageSharedAccessKey`` names a key; it is not one.
_KEY_NAME_SUFFIXES = ("keyname", "tokenname", "secretname", "tokentype")

# Values shorter than this are masked where their name says so, but not hunted for
# elsewhere in a record: replacing every "abc" in a log line would destroy it.
MIN_ECHO_LENGTH = 6
# Beyond this depth a JSON value is masked whole (it cannot be walked cheaply).
MAX_JSON_DEPTH = 64

_SEPARATORS = re.compile(r"[\s\-_.]+")
_PARTS = re.compile(r"[\[\]/:]+")
_QUERY_SEPARATORS = re.compile(r"([&;])")
_VALUE_PIECES = re.compile(r"[;,]")
# What ``quote`` never encodes, and ``unquote_plus`` never decodes (no ``%``, no ``+``).
_URL_SAFE = re.compile(r"[A-Za-z0-9_.\-~]+").fullmatch
# A value made only of these can hold no secret by its shape (only by its name).
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.\-~:/@,]*").fullmatch

# Patterns for free text (header values, the path, user agent, non-JSON bodies,
# exception messages). Each yields a name and a value; the value is masked when the name
# is secret.
_FORM_PAIR = re.compile(r"(?P<name>[\w%.\-\[\]+/:]{1,200})=(?P<value>[^\s&;,\"'<>]*)")
_QUOTED_PAIR = re.compile(
    r"(?P<q>[\"'])(?P<name>[^\"'\\\n]{1,200})(?P=q)\s*[:=]\s*"
    r"(?:\"(?P<dq>(?:[^\"\\]|\\.)*)\"|'(?P<sq>(?:[^'\\]|\\.)*)'|(?P<bare>[^\s,}\]\"'{\[]+))"
)
_HEADER_LINE = re.compile(r"(?m)^[ \t]*(?P<name>[A-Za-z0-9_\-]{1,100})[ \t]*:[ \t]*(?P<value>.*)$")
_XML_ELEMENT = re.compile(
    r"<(?P<name>[A-Za-z_][\w\-.:]{0,100})(?:\s[^<>]*)?>(?P<value>[^<]*)</(?P=name)\s*>"
)
# Secret values whatever their name.
_AUTH_SCHEME = re.compile(
    r"(?i)\b(?P<scheme>bearer|basic|digest|negotiate|sharedkey|sharedaccesssignature)"
    r"(?P<gap>\s+)(?P<value>[A-Za-z0-9\-._~+/]{8,}=*)"
)
# A connection string's secret part: up to the next ``;`` (or the end of the text).
_CONNECTION_PART = re.compile(
    r"(?i)(?P<name>\b(?:account\s*key|shared\s*access\s*key|shared\s*access\s*signature|"
    r"password|pwd|access\s*key|client\s*secret|sig))\s*=\s*(?P<value>[^;\s\"'<>&,]+)"
)
# A word (looked at decoded when it holds a ``%XX``); found in one linear pass, the
# ``%XX`` test comes after, so no input can make the search backtrack.
_WORD = re.compile(r"[^\s\"'<>]+")
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}").search
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*")

PatternLike = Union[str, Pattern[str]]


def decode(text: str, plus_is_space: bool = True) -> str:
    """URL-decode ``text`` until it stops changing (``%2563`` is ``c``; ``+`` a space).

    Each round either shortens the text or turns ``+`` into spaces, so it ends."""
    unquote_one = unquote_plus if plus_is_space else unquote
    while "%" in text or (plus_is_space and "+" in text):
        decoded = unquote_one(text)
        if decoded == text:
            break
        text = decoded
    return text


def normalise(name: str) -> str:
    """A name decoded, trimmed and lower-cased (``%2563ODE`` is ``code``)."""
    return decode(name).strip().lower()


def _squash(text: str) -> str:
    return _SEPARATORS.sub("", text)


def _builtin_names() -> Tuple[FrozenSet[str], Tuple[str, ...]]:
    names: Set[str] = set()
    fragments: List[str] = []
    for entry in NAME_CLASSES.values():
        names.update(_squash(normalise(n)) for n in entry["names"])
        fragments.extend(f for f in entry["fragments"] if f not in fragments)
    return frozenset(names), tuple(fragments)


_BUILTIN_NAMES, BUILTIN_FRAGMENTS = _builtin_names()
# Every built-in name as spelled in ``NAME_CLASSES`` (the fragments are in
# ``BUILTIN_FRAGMENTS``).
BUILTIN_NAMES: Tuple[str, ...] = tuple(
    name for entry in NAME_CLASSES.values() for name in entry["names"]
)


def compile_patterns(patterns: Iterable[PatternLike]) -> Tuple[Pattern[str], ...]:
    """User patterns, compiled; a bad one raises ``ValueError`` naming it and the fix."""
    compiled: List[Pattern[str]] = []
    for pattern in patterns:
        if isinstance(pattern, re.Pattern):
            compiled.append(pattern)
            continue
        if not isinstance(pattern, str) or not pattern:
            raise ValueError(
                f"redaction pattern {pattern!r} is not a regular expression; "
                "give a non-empty string such as r'sk-[A-Za-z0-9]{20,}'"
            )
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise ValueError(
                f"redaction pattern {pattern!r} is not a valid regular expression ({exc}); "
                "fix it or escape it with re.escape()"
            ) from None
        if regex.search(""):
            raise ValueError(
                f"redaction pattern {pattern!r} matches the empty string, so it would mask "
                "nothing useful; make it match the secret itself, e.g. r'sk-[A-Za-z0-9]+'"
            )
        compiled.append(regex)
    return tuple(compiled)


def _encodings(text: str) -> Tuple[str, str]:
    """``(quote(text, safe=""), quote_plus(text))`` for the price of one ``quote``: they
    differ only in a space, ``%20`` against ``+`` (no other ``%20`` can occur, since a
    ``%`` in the text is encoded as ``%25``)."""
    quoted = quote(text, safe="")
    return quoted, quoted.replace("%20", "+") if " " in text else quoted


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
        once = unquote_plus(text) if "%" in text or "+" in text else text
        decoded = decode(once)
        forms = {text, once, decoded, *_encodings(text)}
        if decoded != text:
            forms.update(_encodings(decoded))
        self._values.update(form for form in forms if len(form) >= MIN_ECHO_LENGTH)
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


class _Discard(Findings):
    """Findings nobody reads: the public one-shot methods use it."""

    __slots__ = ()

    def add(self, value: object) -> None:
        return None


_DISCARD = _Discard()
_MASKED_VALUE = "=" + REDACTED  # a masked query value, after its name


class Redactor:
    """Masks secrets in URLs, query strings, headers, form and JSON bodies and free text.

    ``extra_names`` and ``extra_patterns`` (regular expressions matching secret values)
    are added to the built-ins; nothing switches a built-in off. Every method returns a
    masked copy and never raises on odd input.
    """

    def __init__(
        self, extra_names: Iterable[str] = (), extra_patterns: Iterable[PatternLike] = ()
    ) -> None:
        extra = tuple(str(name) for name in extra_names if str(name).strip())
        self.extra_names: Tuple[str, ...] = extra
        self.extra_patterns: Tuple[Pattern[str], ...] = compile_patterns(extra_patterns)
        self.exact: FrozenSet[str] = _BUILTIN_NAMES | frozenset(
            _squash(normalise(n)) for n in extra
        )
        self.fragments: Tuple[str, ...] = BUILTIN_FRAGMENTS
        # Names are attacker-chosen (any query parameter), so the cache is bounded.
        self.is_secret_name: Callable[[str], bool] = functools.lru_cache(maxsize=4096)(self._judge)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Redactor) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __repr__(self) -> str:
        return (
            f"Redactor(extra_names={self.extra_names!r}, "
            f"extra_patterns={tuple(p.pattern for p in self.extra_patterns)!r})"
        )

    def _identity(self) -> Tuple[FrozenSet[str], Tuple[Tuple[str, int], ...]]:
        return self.exact, tuple((p.pattern, p.flags) for p in self.extra_patterns)

    def _judge(self, name: str) -> bool:
        text = normalise(name)
        squashed = _squash(text)
        if not squashed:
            return False
        if squashed in self.exact:
            return True
        if squashed.endswith(_KEY_NAME_SUFFIXES):
            # ``SharedAccessKeyName``: the name of a key, not the key.
            return False
        if any(f in squashed for f in self.fragments):
            return True
        return any(_squash(part) in self.exact for part in _PARTS.split(text) if part)

    # -- URLs ---------------------------------------------------------------------------

    def url(self, url: str, findings: Optional[Findings] = None) -> str:
        """``url`` with secret query and fragment values, the user-information password
        and secret ``;name=value`` path parameters masked; never raises."""
        found = findings if findings is not None else _DISCARD
        head, hash_mark, fragment = url.partition("#")
        base, question_mark, query = head.partition("?")
        if "@" in base:
            base = self._userinfo(base, found)
        if "=" in base or "%" in base or "eyJ" in base:
            base = self.text(base, found)
        if question_mark:
            query = self.query(query, found)
        if hash_mark:
            fragment = self.query(fragment, found)
        return base + question_mark + query + hash_mark + fragment

    def _userinfo(self, base: str, findings: Findings) -> str:
        scheme, sep, rest = base.partition("://")
        if not sep:
            return base
        authority, slash, path = rest.partition("/")
        userinfo, at, host = authority.rpartition("@")
        if not at:
            return base
        user, colon, password = userinfo.partition(":")
        if colon and password:
            findings.add(password)
            userinfo = f"{user}:{REDACTED}"
        return f"{scheme}{sep}{userinfo}@{host}{slash}{path}"

    def query(self, query: str, findings: Optional[Findings] = None) -> str:
        """A query string (``&`` or ``;`` separated) with secret values masked, names and
        everything else kept as sent.

        The common case, no user pattern and no ``;``, space, tab or ``eyJ`` anywhere in
        the query, is done here with less work per parameter and the same result as the
        general path (``_any_query``). There ``_secret_value`` can only say yes to a value
        that holds ``=`` or that decoding changes (``%``, ``+``): nothing else can make a
        JWT, a credential or a ``name=value`` pair. Only those values are looked into,
        every other one is judged by its name alone, and a query with nothing to mask is
        returned as it came."""
        if self.extra_patterns or ";" in query or " " in query or "\t" in query or "eyJ" in query:
            return self._any_query(query, findings if findings is not None else _DISCARD)
        if "%" in query or "+" in query:
            return self._encoded_query(query, findings if findings is not None else _DISCARD)
        # Plain: decoding changes no value, so a value is secret by its name or, holding
        # ``=``, by what ``text`` masks in it; a piece without ``=`` is kept as it is.
        pieces = query.split("&")
        is_secret_name = self.is_secret_name
        masked = False
        index = 0  # counted by hand: cheaper than ``enumerate`` on every invocation
        for piece in pieces:
            name, _, value = piece.partition("=")
            if value and (is_secret_name(name) or ("=" in value and self._secret_value(value))):
                if findings is not None and len(value) >= MIN_ECHO_LENGTH:
                    findings.add(value)  # shorter ones ``add`` would not keep
                pieces[index] = name + _MASKED_VALUE
                masked = True
            index += 1  # noqa: SIM113
        return "&".join(pieces) if masked else query

    def _encoded_query(self, query: str, found: Findings) -> str:
        """``query``'s common case with ``%`` or ``+`` in it: only values holding ``=``
        or that decoding changes are looked into, the others judged by their name."""
        pieces = query.split("&")
        is_secret_name = self.is_secret_name
        masked = False
        for index, piece in enumerate(pieces):
            name, equals, value = piece.partition("=")
            if value:
                if is_secret_name(name) or (
                    ("=" in value or "%" in value or "+" in value) and self._secret_value(value)
                ):
                    if len(value) >= MIN_ECHO_LENGTH:  # shorter ones ``add`` would not keep
                        found.add(value)
                    pieces[index] = f"{name}={REDACTED}"
                    masked = True
            elif not equals and self._secret_value(piece):
                found.add(piece)
                pieces[index] = REDACTED
                masked = True
        return "&".join(pieces) if masked else query

    def _any_query(self, query: str, found: Findings) -> str:
        """``query`` for any input: ``;`` separators, encoded names and values, values
        of a secret shape under ordinary names, user patterns."""
        if ";" in query:
            pieces, step = _QUERY_SEPARATORS.split(query), 2  # separators kept in pieces
        else:
            pieces, step = query.split("&"), 1
        is_secret_name = self.is_secret_name
        # ``_secret_value``'s first test, done here: most values are plain.
        shape_only = not self.extra_patterns
        for index in range(0, len(pieces), step):
            piece = pieces[index]
            name, equals, value = piece.partition("=")
            if not equals:
                if self._secret_value(piece):
                    found.add(piece)
                    pieces[index] = REDACTED
                continue
            if not value:
                continue
            if is_secret_name(name) or (
                not (shape_only and _PLAIN_VALUE(value) and "eyJ" not in value)
                and self._secret_value(value)
            ):
                if len(value) >= MIN_ECHO_LENGTH:  # shorter ones ``add`` would not keep
                    found.add(value)
                pieces[index] = f"{name}={REDACTED}"
        return "".join(pieces) if step == 2 else "&".join(pieces)

    def form(self, body: str, findings: Optional[Findings] = None) -> str:
        """An ``application/x-www-form-urlencoded`` body, masked as a query string is."""
        return self.query(body, findings)

    def _secret_value(self, value: str) -> bool:
        """Whether a value (of a name that is not secret) is a secret by its shape: a
        connection string, a credential, a JWT, a user pattern's match, or an encoded
        URL or form holding a secret parameter."""
        if _PLAIN_VALUE(value) and "eyJ" not in value and not self.extra_patterns:
            return False
        text = decode(value)
        if self.extra_patterns and any(p.search(text) for p in self.extra_patterns):
            return True
        if "eyJ" in text and _JWT.search(text):
            return True
        if "=" in text or " " in text or "\t" in text:
            return self.text(text) != text
        return False

    # -- headers ------------------------------------------------------------------------

    def headers(
        self,
        headers: Mapping[str, Any],
        findings: Optional[Findings] = None,
        *,
        allow: Optional[FrozenSet[str]] = None,
        max_length: Optional[int] = None,
    ) -> Dict[str, str]:
        """Headers by lower-case name: secret ones masked whole, the others scanned.

        With ``allow`` only those (lower-case) names are kept, a secret one still masked;
        ``max_length`` caps each kept value before it is scanned."""
        found = findings if findings is not None else _DISCARD
        masked: Dict[str, str] = {}
        for name, value in headers.items():
            lowered = str(name).lower()
            if allow is not None and lowered not in allow:
                continue
            if self.is_secret_name(lowered):
                found.add_compound(str(value))
                masked[lowered] = REDACTED
            else:
                text = str(value) if max_length is None else str(value)[:max_length]
                masked[lowered] = self.text(text, found)
        return masked

    def collect_headers(self, headers: Mapping[str, Any], findings: Findings) -> None:
        """Remember the values of every secret header, logged or not."""
        for name, value in headers.items():
            if self.is_secret_name(str(name)):
                findings.add_compound(str(value))

    def route_params(self, route_params: Mapping[str, Any], findings: Findings) -> None:
        """Remember the values of secret route parameters (``items/{token}``)."""
        for name, value in route_params.items():
            if value and self.is_secret_name(str(name)):
                findings.add(value)

    # -- free text ----------------------------------------------------------------------

    def text(self, text: str, findings: Optional[Findings] = None) -> str:
        """Free text (a header value, a path, a log line, an exception message) with
        ``name=value``, ``"name": value``, ``Name: value`` lines and XML elements of
        secret names masked, and connection-string key parts, credentials, JWTs and user
        patterns masked whatever their name."""
        found = findings if findings is not None else _DISCARD
        if "=" in text:
            text = _FORM_PAIR.sub(lambda m: self._masked_pair(m, found), text)
            text = _CONNECTION_PART.sub(lambda m: self._masked(m, "value", found), text)
        if ":" in text or "=" in text:
            if '"' in text or "'" in text:
                text = _QUOTED_PAIR.sub(lambda m: self._masked_quoted(m, found), text)
            if ":" in text:
                text = _HEADER_LINE.sub(lambda m: self._masked_named(m, "value", found), text)
        if "<" in text:
            text = _XML_ELEMENT.sub(lambda m: self._masked_named(m, "value", found), text)
        if " " in text or "\t" in text:
            text = _AUTH_SCHEME.sub(lambda m: self._masked_credential(m, found), text)
        if "eyJ" in text:
            text = _JWT.sub(lambda m: self._masked(m, 0, found), text)
        for pattern in self.extra_patterns:
            text = pattern.sub(lambda m: self._masked(m, 0, found), text)
        if "%" in text:
            text = _WORD.sub(lambda m: self._masked_encoded(m, found), text)
        return text

    def _masked_encoded(self, match: re.Match[str], findings: Findings) -> str:
        """A URL-encoded word (``AccountKey%3Dabc``) that holds a secret once decoded."""
        word = match.group(0)
        if "%" not in word or not _PERCENT_ESCAPE(word) or REDACTED in word:
            return word
        if not self._secret_value(word):
            return word
        findings.add(word)
        return REDACTED

    def _masked(self, match: re.Match[str], group: Union[str, int], findings: Findings) -> str:
        value = match.group(group)
        if not value or value == REDACTED:
            return match.group(0)
        findings.add(value)
        start, end = match.span(group)
        offset = match.start(0)
        whole = match.group(0)
        return whole[: start - offset] + REDACTED + whole[end - offset :]

    def _masked_named(self, match: re.Match[str], group: str, findings: Findings) -> str:
        if not self.is_secret_name(match.group("name")):
            return match.group(0)
        return self._masked(match, group, findings)

    def _masked_pair(self, match: re.Match[str], findings: Findings) -> str:
        value = match.group("value")
        if not value or value == REDACTED:
            return match.group(0)
        # Only a value that decoding changes is looked into (once decoded it has no
        # ``%XX`` and no ``+`` left, so this never recurses twice).
        if self.is_secret_name(match.group("name")) or (
            ("+" in value or ("%" in value and _PERCENT_ESCAPE(value) is not None))
            and self._secret_value(value)
        ):
            return self._masked(match, "value", findings)
        return match.group(0)

    def _masked_quoted(self, match: re.Match[str], findings: Findings) -> str:
        for group in ("dq", "sq", "bare"):
            if match.group(group) is not None:
                return self._masked_named(match, group, findings)
        return match.group(0)

    def _masked_credential(self, match: re.Match[str], findings: Findings) -> str:
        value = match.group("value")
        if value == REDACTED:
            return match.group(0)
        findings.add(value)
        return f"{match.group('scheme')}{match.group('gap')}{REDACTED}"

    # -- JSON ---------------------------------------------------------------------------

    def json(self, value: Any, findings: Optional[Findings] = None) -> Any:
        """A copy of parsed JSON with secret keys' values masked at any depth.

        Also masks ``{"name": "password", "value": ...}`` pairs and secrets inside string
        values (form data, headers or connection strings carried as text). Beyond
        ``MAX_JSON_DEPTH`` levels everything is masked."""
        return self._json(value, findings if findings is not None else _DISCARD, 0)

    def _json(self, value: Any, findings: Findings, depth: int) -> Any:
        if depth > MAX_JSON_DEPTH:
            findings.add_nested(value)
            return REDACTED
        if isinstance(value, dict):
            masked: Dict[str, Any] = {}
            pair_name = self._pair_name(value)
            for key, item in value.items():
                if self.is_secret_name(str(key)) or (pair_name and str(key).lower() == "value"):
                    findings.add_nested(item)
                    masked[key] = REDACTED
                else:
                    masked[key] = self._json(item, findings, depth + 1)
            return masked
        if isinstance(value, list):
            return [self._json(item, findings, depth + 1) for item in value]
        if isinstance(value, str):
            return self._json_string(value, findings)
        return value

    def _json_string(self, value: str, findings: Findings) -> str:
        if _PLAIN_VALUE(value) and "eyJ" not in value and not self.extra_patterns:
            return value
        masked = self.text(value, findings)
        if masked == value and ("%" in value or "+" in value) and self._secret_value(value):
            findings.add(value)
            return REDACTED
        return masked

    def _pair_name(self, value: Dict[str, Any]) -> bool:
        """Whether a dict is a ``name``/``value`` pair naming a secret."""
        if len(value) > 8:
            return False
        for key, item in value.items():
            if str(key).lower() in ("name", "key") and isinstance(item, str):
                return self.is_secret_name(item)
        return False


DEFAULT = Redactor()
