"""The invocation span's attributes: OpenTelemetry FaaS and HTTP conventions, secrets removed.

The worker tells extensions nothing about bindings, only the values: a value's type names
the trigger (``HttpRequest`` is ``http``, ``TimerRequest`` is ``timer``, a queue message is
``pubsub`` ...). For HTTP triggers the URL goes into ``http.url`` with the values of secret
query parameters (``code``, ``sig``, ``token`` ...), user information and secret route
values replaced by ``REDACTED``; ``http.route`` is the path with route parameter values put
back as ``{name}``, since the route template itself never reaches the worker.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict, FrozenSet, Iterable, Mapping, Optional, Tuple
from urllib.parse import unquote, unquote_plus, urlsplit, urlunsplit

import azure.functions as func
from python_worker_extension_framework.toolkit import http, triggers

# OpenTelemetry semantic conventions (FaaS, cloud, HTTP, exceptions) and our one addition.
FAAS_NAME = "faas.name"
FAAS_INVOCATION_ID = "faas.invocation_id"
FAAS_TRIGGER = "faas.trigger"
FAAS_COLDSTART = "faas.coldstart"
FAAS_RETRY_ATTEMPT = "faas.retry.attempt"  # ours: 1-based attempt, from the retry extension
CLOUD_PROVIDER = "cloud.provider"
CLOUD_PLATFORM = "cloud.platform"
HTTP_METHOD = "http.method"
HTTP_ROUTE = "http.route"
HTTP_URL = "http.url"
HTTP_STATUS_CODE = "http.status_code"
# The names opencensus-ext-azure reads to build an Exception item for a failed request.
ERROR_NAME = "error.name"
ERROR_MESSAGE = "error.message"
STACKTRACE = "stacktrace"

CLOUD_ATTRIBUTES = ((CLOUD_PROVIDER, "azure"), (CLOUD_PLATFORM, "azure_functions"))
REDACTED = "REDACTED"

OTHER_TRIGGER = "other"

SECRET_QUERY_NAMES = frozenset(
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
SECRET_FRAGMENTS = ("password", "passwd", "secret", "token", "apikey", "api_key", "signature")


def find_trigger(func_args: Mapping[str, Any]) -> Tuple[str, Optional[Any]]:
    """``(faas.trigger, trigger value)``: ``("other", None)`` when no value is a trigger."""
    kind, value = triggers.find_trigger(func_args)
    return triggers.FAAS_TRIGGER.get(kind, OTHER_TRIGGER), value


class UrlRedactor:
    """Removes secrets from URLs: secret query parameter values, user information, and
    the values of secret-named route parameters in the path."""

    def __init__(self, extra_names: Iterable[str] = ()) -> None:
        self.names: FrozenSet[str] = SECRET_QUERY_NAMES | frozenset(n.lower() for n in extra_names)
        # Names are chosen by callers (any query parameter), so the cache is bounded.
        self.is_secret: Callable[[str], bool] = functools.lru_cache(maxsize=1024)(self._judge)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UrlRedactor) and other.names == self.names

    def __hash__(self) -> int:
        return hash(self.names)

    def _judge(self, name: str) -> bool:
        text = unquote_plus(name).strip().lower()
        return text in self.names or any(fragment in text for fragment in SECRET_FRAGMENTS)

    def _query(self, query: str) -> str:
        pieces = query.split("&")
        for index, piece in enumerate(pieces):
            name, equals, _ = piece.partition("=")
            if equals and self.is_secret(name):
                pieces[index] = f"{name}={REDACTED}"
        return "&".join(pieces)

    def url(self, url: str, secret_path_values: Iterable[str] = ()) -> str:
        """``url`` with secrets replaced by ``REDACTED``; never raises."""
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
                path = _replace_segments(path, value, REDACTED)
            return urlunsplit(
                (parts.scheme, netloc, path, self._query(parts.query), self._query(parts.fragment))
            )
        except ValueError:  # not a URL urllib can split: keep only what cannot hold a secret
            head = url.split("#", 1)[0].split("?", 1)[0]
            scheme, sep, rest = head.partition("://")
            return scheme + sep + rest.rpartition("@")[2] if sep else head.rpartition("@")[2]


def url_path(url: str) -> str:
    """The path of a URL (``/`` when it has none), without query or fragment."""
    head = url.split("#", 1)[0].split("?", 1)[0]
    scheme_end = head.find("://")
    if scheme_end < 0:
        return head or "/"
    slash = head.find("/", scheme_end + 3)
    return head[slash:] if slash >= 0 else "/"


def _replace_segments(path: str, value: str, replacement: str) -> str:
    """Replace the last run of path segments that spells ``value`` (a route parameter's
    decoded value, possibly several segments for a catch-all) by ``replacement``."""
    segments = path.split("/")
    wanted = value.split("/")
    size = len(wanted)
    for start in range(len(segments) - size, -1, -1):
        if [unquote(s) for s in segments[start : start + size]] == wanted:
            segments[start : start + size] = [replacement]
            return "/".join(segments)
    return path


def route_template(path: str, route_params: Mapping[str, Any]) -> str:
    """The request path with each route parameter's value put back as ``{name}``."""
    for name, value in route_params.items():
        if value:
            path = _replace_segments(path, str(value), "{" + str(name) + "}")
    return path


def http_attributes(request: Any, redactor: UrlRedactor) -> Dict[str, Any]:
    """``http.method``, ``http.route`` and the redacted ``http.url`` of an HTTP trigger."""
    url = str(getattr(request, "url", "") or "")
    route_params: Mapping[str, Any] = getattr(request, "route_params", None) or {}
    path = url_path(url)
    secret_values = [str(v) for k, v in route_params.items() if v and redactor.is_secret(str(k))]
    return {
        HTTP_METHOD: str(getattr(request, "method", "") or "").upper(),
        HTTP_ROUTE: route_template(path, route_params),
        HTTP_URL: redactor.url(url, secret_values),
    }


def response_status(result: Any, func_args: Mapping[str, Any]) -> Optional[int]:
    """The status code an HTTP function's outcome produces: an ``HttpResponse`` returned or
    set on an output binding; 200 for any other value the worker turns into a response;
    None when the function produced nothing we can see."""
    status = http.status_code(result)
    if status is not None:
        return status
    for value in func_args.values():
        if isinstance(value, func.Out):
            try:
                status = http.status_code(value.get())
            except Exception:  # an output binding we do not understand is not ours
                continue
            if status is not None:
                return status
    return None if result is None else 200
