"""The invocation span's name, kind and attributes, after OpenTelemetry's FaaS, cloud and
HTTP semantic conventions, with secrets masked by the framework's shared redaction.

The worker tells extensions nothing about bindings, only the values; the framework's
``triggers`` names the trigger from them. ``http.route`` is the request path with each
route parameter's value put back as ``{name}`` (the route template never reaches the
worker). The cloud attributes come from the platform's environment variables, read once,
and go on the resource (every span, metric and log record carries them), where the
conventions put them; the span itself carries only what differs per invocation.
"""

from __future__ import annotations

import os
import traceback
from typing import Any, Dict, Mapping, Optional, Tuple

from opentelemetry.trace import SpanKind
from python_worker_extension_framework.toolkit import http, redaction, triggers

FAAS_NAME = "faas.name"
FAAS_INVOCATION_ID = "faas.invocation_id"
FAAS_TRIGGER = "faas.trigger"
FAAS_COLDSTART = "faas.coldstart"
FAAS_RETRY_ATTEMPT = "faas.retry.attempt"  # ours: 1-based, from the retry-context extension
FAAS_RETRY_MAX = "faas.retry.max_count"  # ours: the policy's maximum, when bounded
CLOUD_PROVIDER = "cloud.provider"
CLOUD_PLATFORM = "cloud.platform"
CLOUD_REGION = "cloud.region"
CLOUD_RESOURCE_ID = "cloud.resource_id"
HTTP_REQUEST_METHOD = "http.request.method"
HTTP_ROUTE = "http.route"
HTTP_RESPONSE_STATUS_CODE = "http.response.status_code"
URL_PATH = "url.path"
URL_QUERY = "url.query"
USER_AGENT = "user_agent.original"
CLIENT_ADDRESS = "client.address"
ERROR_TYPE = "error.type"
HEADER_PREFIX = "http.request.header."
EXCEPTION_TYPE = "exception.type"
EXCEPTION_MESSAGE = "exception.message"
EXCEPTION_STACKTRACE = "exception.stacktrace"
OTHER_TRIGGER = "other"

_KIND_BY_TRIGGER = {"http": SpanKind.SERVER, "pubsub": SpanKind.CONSUMER}
_KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)


def cloud_attributes(environ: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """Provider and platform, and where the platform says them, region and resource id.

    ``WEBSITE_OWNER_NAME`` is ``<subscription>+<resource group>-<region>webspace...``;
    with ``WEBSITE_RESOURCE_GROUP`` and ``WEBSITE_SITE_NAME`` it names the app's resource.
    """
    env = os.environ if environ is None else environ
    found = {CLOUD_PROVIDER: "azure", CLOUD_PLATFORM: "azure_functions"}
    region = env.get("REGION_NAME", "").strip()
    if region:
        found[CLOUD_REGION] = region.replace(" ", "").lower()
    owner = env.get("WEBSITE_OWNER_NAME", "")
    group = env.get("WEBSITE_RESOURCE_GROUP", "").strip()
    site = env.get("WEBSITE_SITE_NAME", "").strip()
    subscription = owner.split("+", 1)[0].strip()
    if subscription and group and site:
        found[CLOUD_RESOURCE_ID] = (
            f"/subscriptions/{subscription}/resourceGroups/{group}"
            f"/providers/Microsoft.Web/sites/{site}"
        ).lower()
    return found


def find_trigger(func_args: Mapping[str, Any]) -> Tuple[str, Optional[Any]]:
    """``(faas.trigger, trigger value)``; ``("other", None)`` when no value is a trigger."""
    kind, value = triggers.find_trigger(func_args)
    return triggers.FAAS_TRIGGER.get(kind, OTHER_TRIGGER), value


def span_kind(faas_trigger: str) -> SpanKind:
    """SERVER for HTTP, CONSUMER for messages and events, INTERNAL for the rest."""
    return _KIND_BY_TRIGGER.get(faas_trigger, SpanKind.INTERNAL)


def add_http_attributes(
    attributes: Dict[str, Any],
    request: Any,
    redactor: redaction.Redactor,
    record_headers: Tuple[str, ...] = (),
) -> str:
    """Add the current HTTP semantic-convention attributes of an HTTP trigger to
    ``attributes`` (the query and any recorded headers redacted); return the span name,
    ``{method} {route}``. Filled in place: the invocation span's one attribute dict.

    It runs for every HTTP invocation, so the common case takes the short way: a method
    already in upper case is kept as it came, the URL is split inline, and the SDK's own
    request headers are read from their plain dict (``http.header_table``)."""
    url = getattr(request, "url", None)
    if url.__class__ is not str:
        url = url if isinstance(url, str) else str(url or "")
    method = getattr(request, "method", None)
    if method.__class__ is not str or method not in _KNOWN_METHODS:
        method = method.upper() if isinstance(method, str) else str(method or "").upper()
        if method not in _KNOWN_METHODS:
            method = "_OTHER"
    # The path and query of the URL (a fragment dropped, scheme and host taken off).
    if "#" in url:
        url = url.split("#", 1)[0]
    path, _, query = url.partition("?")
    scheme_end = path.find("://")
    if scheme_end >= 0:
        slash = path.find("/", scheme_end + 3)
        path = path[slash:] if slash >= 0 else "/"
    if not path:
        path = "/"
    route = path
    route_params: Mapping[str, Any] = getattr(request, "route_params", None) or {}
    if route_params:
        # A secret-named route value (``/keys/{apiKey}``) never reaches the span as a path.
        for name, value in route_params.items():
            if value and redactor.is_secret_name(str(name)):
                path = http.replace_path_segments(path, str(value), redaction.REDACTED)
        route = http.route_template(path, route_params)
    attributes[HTTP_REQUEST_METHOD] = method
    attributes[URL_PATH] = path
    attributes[HTTP_ROUTE] = route
    if query:  # no query, no redaction
        attributes[URL_QUERY] = redactor.query(query)
    headers: Mapping[str, str] = getattr(request, "headers", None) or {}
    if headers:
        table = http.header_table(headers)
        if table is not None:  # the SDK's headers: lower-case names in a plain dict
            agent = table.get("user-agent")
            forwarded = table.get("x-forwarded-for")
        else:
            # ``in`` and ``[]`` only: all the old code asked of a mapping.
            agent = headers["user-agent"] if "user-agent" in headers else None  # noqa: SIM401
            forwarded = (
                headers["x-forwarded-for"] if "x-forwarded-for" in headers else None  # noqa: SIM401
            )
        if agent:
            attributes[USER_AGENT] = agent
        if forwarded:
            attributes[CLIENT_ADDRESS] = forwarded.split(",", 1)[0].strip()
        if record_headers:
            present = {name: headers[name] for name in record_headers if name in headers}
            for name, value in redactor.headers(present).items():
                attributes[HEADER_PREFIX + name.lower()] = str(value)
    return f"{method} {route}" if method != "_OTHER" else f"HTTP {route}"


def http_attributes(
    request: Any, redactor: redaction.Redactor, record_headers: Tuple[str, ...] = ()
) -> Tuple[str, Dict[str, Any]]:
    """``(span name, attributes)`` of an HTTP trigger (``add_http_attributes`` into a new dict)."""
    attributes: Dict[str, Any] = {}
    name = add_http_attributes(attributes, request, redactor, record_headers)
    return name, attributes


def exception_attributes(exception: BaseException, redactor: redaction.Redactor) -> Dict[str, str]:
    """The ``exception`` event's attributes, message and stack trace redacted."""
    stack = "".join(traceback.format_exception(type(exception), exception, exception.__traceback__))
    return {
        EXCEPTION_TYPE: type(exception).__qualname__,
        EXCEPTION_MESSAGE: redactor.text(str(exception)),
        EXCEPTION_STACKTRACE: redactor.text(stack),
    }
