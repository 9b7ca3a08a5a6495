"""Building the record of one ended invocation: a flat dict with stable keys.

Every value that comes from the request or the response passes through redaction before
it is stored, and at the end any value masked in one place is hunted for, and masked, in
every other field. The record never holds an exception message (messages often carry the
data that failed, secrets included); the worker logs the traceback itself.
"""

from __future__ import annotations

import operator
from typing import Any, Dict, List, Mapping, Optional, Tuple

import azure.functions as func
from python_worker_extension_framework.toolkit import Invocation, facts
from python_worker_extension_framework.toolkit.redaction import Findings

from .bodies import excerpt, mimetype_of
from .formatting import duration_text, json_line, text_line
from .http_fields import (
    body_of,
    client_ip,
    header,
    response_of,
    response_size,
    route_and_path,
    status_of,
)
from .options import Plan

# Always present, in this order (``null`` when not applicable).
RECORD_KEYS = (
    "function",
    "invocation_id",
    "trigger",
    "outcome",
    "status_code",
    "duration_ms",
    "trace_id",
    "exception_type",
    "method",
    "route",
    "path",
    "query",
    "request_bytes",
    "response_bytes",
    "client_ip",
    "user_agent",
)
# Present only when known: the 1-based retry attempt, from the retry facts another
# extension (python-worker-extension-retry-context) shares through the framework.
ATTEMPT_KEY = "attempt"
# Present only when enabled: headers with ``log_headers``, bodies with ``log_body``.
OPTIONAL_KEYS = ("request_headers", "response_headers", "request_body", "response_body")

# The record's only values that are dicts (of header values).
_DICT_KEYS = ("request_headers", "response_headers")
# The text values of an HTTP record that its text line shows (after scrubbing).
_LINE_TEXTS = operator.itemgetter(
    "function",
    "invocation_id",
    "outcome",
    "trace_id",
    "exception_type",
    "method",
    "route",
    "path",
    "query",
    "client_ip",
    "user_agent",
)

MAX_URL_CHARS = 2048
MAX_USER_AGENT_CHARS = 512
MAX_HEADER_CHARS = 512


class Ending:
    """How an invocation ended, as far as the record's level and sampling care."""

    __slots__ = ("outcome", "response", "status_code")

    def __init__(self, outcome: str, status_code: Optional[int], response: Any = None) -> None:
        self.outcome = outcome
        self.status_code = status_code
        self.response = response


def ending_of(
    request: Optional[func.HttpRequest],
    result: Any,
    exception: Optional[BaseException],
    func_args: Dict[str, Any],
) -> Ending:
    """Outcome and status: a raised exception is 500 for HTTP (no status otherwise)."""
    if exception is not None:
        return Ending("exception", 500 if request is not None else None)
    if request is None:
        return Ending("success", None)
    response = response_of(result, func_args)
    status = status_of(response)
    if status >= 500:
        outcome = "server_error"
    elif status >= 400:
        outcome = "client_error"
    else:
        outcome = "success"
    return Ending(outcome, status, response)


def exception_name(exception: BaseException) -> str:
    """``ValueError`` for built-ins, ``module.Class`` otherwise."""
    kind = type(exception)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def build(
    invocation: Invocation,
    plan: Plan,
    trigger: str,
    request: Optional[func.HttpRequest],
    headers: Optional[Mapping[str, str]],
    url: Tuple[str, str],
    ending: Ending,
    exception: Optional[BaseException],
    duration_ms: Optional[float],
    trace_id: Optional[str],
) -> Tuple[Dict[str, Any], str]:
    """The record, redacted, and the message that carries it: its JSON object
    (``format="json"``) or its text line. ``headers`` (the request's, by lower-case
    name: its headers or the plain dict behind them) and ``url``, ``(path, query)``, are
    the request's (unused otherwise). In the common case (an HTTP record without headers
    or bodies whose values need no escaping) the text line is written from the values at
    hand, the same text as ``text_line(record)``, which is then not needed."""
    want_line = not plan.json
    exception_type = exception_name(exception) if exception is not None else None
    attempt = facts.retry_attempt(invocation.context)
    function = invocation.function_name
    invocation_id = invocation.invocation_id
    if request is None:
        record: Dict[str, Any] = {
            "function": function,
            "invocation_id": invocation_id,
            "trigger": trigger,
            "outcome": ending.outcome,
            "status_code": ending.status_code,
            "duration_ms": duration_ms,
            "trace_id": trace_id,
            "exception_type": exception_type,
            "method": None,
            "route": None,
            "path": None,
            "query": None,
            "request_bytes": None,
            "response_bytes": None,
            "client_ip": None,
            "user_agent": None,
        }
        if attempt is not None:
            record[ATTEMPT_KEY] = attempt
        return record, _message(record, plan)

    findings = Findings()
    redactor = plan.redactor
    path, raw_query = url
    route_params = request.route_params
    if route_params:
        redactor.route_params(route_params, findings)
        route, path = route_and_path(path, route_params, redactor)
    else:
        route = path
    if "=" in path or ":" in path or "%" in path or "eyJ" in path:
        path = redactor.text(path, findings)
    route = route[:MAX_URL_CHARS]
    path = path[:MAX_URL_CHARS]
    query = redactor.query(raw_query, findings)[:MAX_URL_CHARS] or None if raw_query else None
    if headers is None:
        headers = request.headers
    user_agent = header(headers, "user-agent")
    user_agent = redactor.text(user_agent[:MAX_USER_AGENT_CHARS], findings) if user_agent else None
    forwarded_for = client_ip(headers) if "x-forwarded-for" in headers else None
    body = request.get_body() or b""
    response_bytes = None if exception is not None else response_size(ending.response)
    method = request.method
    status_code = ending.status_code
    record = {
        "function": function,
        "invocation_id": invocation_id,
        "trigger": trigger,
        "outcome": ending.outcome,
        "status_code": status_code,
        "duration_ms": duration_ms,
        "trace_id": trace_id,
        "exception_type": exception_type,
        "method": method,
        "route": route,
        "path": path,
        "query": query,
        "request_bytes": len(body),
        "response_bytes": response_bytes,
        "client_ip": forwarded_for,
        "user_agent": user_agent,
    }
    if attempt is not None:
        record[ATTEMPT_KEY] = attempt
    if plan.header_allow or plan.log_body:
        _add_optional(record, plan, request, headers, body, ending, findings)
        want_line = False  # the optional fields are escaped by ``text_line``
    outcome = ending.outcome
    if findings:
        _scrub_everywhere(record, findings)
        # A value masked elsewhere may have been masked here too: use the record's text.
        (
            function,
            invocation_id,
            outcome,
            trace_id,
            exception_type,
            method,
            route,
            path,
            query,
            forwarded_for,
            user_agent,
        ) = _LINE_TEXTS(record)
    if not want_line or type(method) is not str:
        return record, _message(record, plan)
    # ``text_line`` escapes a value only when it is not printable or (bare) has a space;
    # when none needs it, the line is these values as they are (the same text).
    bare = f"{method}{path}{query or ''}{function}{outcome}{route}{invocation_id}{trace_id or ''}"
    if forwarded_for is not None:
        bare += forwarded_for
    if exception_type is not None:
        bare += exception_type
    if not bare.isprintable() or " " in bare:
        return record, _message(record, plan)
    if user_agent is not None and (
        not user_agent.isprintable() or '"' in user_agent or "\\" in user_agent
    ):
        return record, _message(record, plan)
    # One f-string: the optional fields are empty when absent (the same text as appending).
    return (
        record,
        f"{method} {f'{path}?{query}' if query else path} {status_code} "
        f"{duration_text(duration_ms)} function={function} outcome={outcome} route={route}"
        f" request_bytes={len(body)}"
        f"{'' if response_bytes is None else f' response_bytes={response_bytes}'}"
        f"{'' if forwarded_for is None else f' client_ip={forwarded_for}'}"
        f"""{"" if user_agent is None else f' user_agent="{user_agent}"'}"""
        f"{'' if exception_type is None else f' exception_type={exception_type}'}"
        f"{'' if attempt is None else f' attempt={attempt}'}"
        f"{'' if trace_id is None else f' trace_id={trace_id}'}"
        f" invocation_id={invocation_id}",
    )


def _message(record: Dict[str, Any], plan: Plan) -> str:
    """The record's message written from the record itself."""
    return json_line(record) if plan.json else text_line(record)


def _add_optional(
    record: Dict[str, Any],
    plan: Plan,
    request: func.HttpRequest,
    headers: Mapping[str, str],
    body: bytes,
    ending: Ending,
    findings: Findings,
) -> None:
    """Headers (``log_headers``) and bodies (``log_body``): every secret header's value is
    remembered first, logged or not, so an echo of it in another field is masked too."""
    redactor = plan.redactor
    response_headers = (
        ending.response.headers if isinstance(ending.response, func.HttpResponse) else {}
    )
    redactor.collect_headers(headers, findings)
    redactor.collect_headers(response_headers, findings)
    if plan.header_allow:
        record["request_headers"] = redactor.headers(
            headers, findings, allow=plan.header_allow, max_length=MAX_HEADER_CHARS
        )
        record["response_headers"] = redactor.headers(
            response_headers, findings, allow=plan.header_allow, max_length=MAX_HEADER_CHARS
        )
    if plan.log_body:
        limit = plan.max_body_chars
        content_type = mimetype_of(header(headers, "content-type"))
        record["request_body"] = excerpt(body, content_type, limit, redactor, findings)
        response_body, response_type = body_of(ending.response)
        record["response_body"] = excerpt(
            response_body, mimetype_of(response_type), limit, redactor, findings
        )


def _scrub_everywhere(record: Dict[str, Any], findings: Findings) -> None:
    # One look over all the text first: usually no masked value occurs anywhere else
    # (the places it was masked hold the marker), and then nothing needs replacing. The
    # separator can only cause a false alarm, which the field-by-field pass settles.
    texts: List[str] = [value for value in record.values() if isinstance(value, str)]
    for key in _DICT_KEYS:
        value = record.get(key)
        if isinstance(value, dict):
            texts.extend(item for item in value.values() if isinstance(item, str))
    if not findings.found_in("\n".join(texts)):
        return
    for key, value in record.items():
        if isinstance(value, str):
            record[key] = findings.scrub(value)
        elif isinstance(value, dict):
            record[key] = {k: findings.scrub(v) for k, v in value.items()}
