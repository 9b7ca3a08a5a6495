"""The invocation span's attributes: OpenTelemetry FaaS and HTTP conventions, secrets removed.

The worker tells extensions nothing about bindings, only the values: a value's type names
the trigger (``HttpRequest`` is ``http``, ``TimerRequest`` is ``timer``, a queue message is
``pubsub`` ...). For HTTP triggers the URL goes into ``http.url`` without user
information and masked by the framework's redaction (secret query and fragment values,
secret route values, secret-shaped values such as connection strings); ``http.route`` is
the path with route parameter values put back as ``{name}``, since the route template
itself never reaches the worker.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple

from python_worker_extension_framework.toolkit import http, redaction, triggers

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
REDACTED = redaction.REDACTED

OTHER_TRIGGER = "other"
_NO_PARAMS: Mapping[str, Any] = {}
# The methods as sent -> upper case, without str.upper() for the usual ones.
_METHODS = {
    spelling: method
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
    for spelling in (method, method.lower())
}

# The framework's built-in secret names (one list for every output; see
# ``python_worker_extension_framework.toolkit.redaction.NAME_CLASSES``).
SECRET_QUERY_NAMES = frozenset(redaction.BUILTIN_NAMES)


def find_trigger(func_args: Mapping[str, Any]) -> Tuple[str, Optional[Any]]:
    """``(faas.trigger, trigger value)``: ``("other", None)`` when no value is a trigger."""
    kind, value = triggers.find_trigger(func_args)
    return triggers.FAAS_TRIGGER.get(kind, OTHER_TRIGGER), value


def url_path(url: str) -> str:
    """The path of a URL (``/`` when it has none), without query or fragment."""
    head = url.partition("#")[0].partition("?")[0]
    scheme_end = head.find("://")
    if scheme_end < 0:
        return head or "/"
    slash = head.find("/", scheme_end + 3)
    return head[slash:] if slash >= 0 else "/"


def add_http_attributes(
    attributes: Dict[str, Any], request: Any, redactor: redaction.Redactor
) -> None:
    """``http.method``, ``http.route`` and the redacted ``http.url`` of an HTTP trigger,
    written into ``attributes`` (the invocation span's, as it is built)."""
    url = getattr(request, "url", "") or ""
    if url.__class__ is not str:
        url = str(url)
    method = getattr(request, "method", "") or ""
    route_params: Mapping[str, Any] = getattr(request, "route_params", None) or _NO_PARAMS
    path = url_path(url)
    attributes[HTTP_METHOD] = (method.__class__ is str and _METHODS.get(method)) or str(
        method
    ).upper()
    attributes[HTTP_ROUTE] = http.route_template(path, route_params) if route_params else path
    attributes[HTTP_URL] = redact_url(url, route_params, redactor)


def redact_url(url: str, route_params: Mapping[str, Any], redactor: redaction.Redactor) -> str:
    """``url`` through the redactor, without user information, and with the values of
    secret-named route parameters (``/api/reset/{token}``) in its path masked too."""
    if "@" in url:
        scheme, sep, rest = url.partition("://")
        if sep:
            authority, slash, tail = rest.partition("/")
            if "@" in authority:
                url = f"{scheme}{sep}{authority.rpartition('@')[2]}{slash}{tail}"
    for name, value in route_params.items():
        if value and redactor.is_secret_name(str(name)):
            head, mark, tail = url.partition("?")
            url = http.replace_path_segments(head, str(value), REDACTED) + mark + tail
    return redactor.url(url)
