"""Reporting the elapsed time in an HTTP response without ever corrupting it.

The body is changed only when appending text is safe: a ``text/*`` body in a charset
that can encode the suffix, with no ``Content-Encoding`` (appending to gzip bytes would
break them), no explicit ``Content-Length`` (it would then be wrong), and a status that
may carry a body (not 1xx, 204, 205 or 304). Every other response keeps its bytes and
gets the time in a header only.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from azure.functions import HttpResponse, Out
from python_worker_extension_framework.toolkit import http

from .options import Plan

ELAPSED_HEADER = "X-Time-Elapsed"
SERVER_TIMING_HEADER = "Server-Timing"


def suffix(seconds: float) -> str:
    """The text appended to a text body, as the tutorial's extension wrote it."""
    return f" (TimeElapsed: {seconds} sec)"


def _suffix_of(seconds_text: str) -> str:
    """``suffix`` from the seconds already written as text (``str(seconds)``)."""
    return f" (TimeElapsed: {seconds_text} sec)"


def server_timing_entry(metric: str, seconds: float) -> str:
    """One W3C Server-Timing entry: ``<metric>;dur=<milliseconds>``."""
    return f"{metric};dur={seconds * 1000.0:.3f}"


def find_response(result: Any, func_args: Mapping[str, Any]) -> Optional[HttpResponse]:
    """The HTTP response the invocation produces: the return value, or one set on an
    ``azure.functions.Out`` output binding (``res.set(HttpResponse(...))``)."""
    if http.is_http_response(result):
        return result  # type: ignore[no-any-return]
    for value in func_args.values():
        if isinstance(value, Out):
            try:
                candidate = value.get()
            except Exception:  # an output binding we do not understand is not ours to touch
                continue
            if http.is_http_response(candidate):
                return candidate  # type: ignore[no-any-return]
    return None


def report(response: HttpResponse, seconds: float, plan: Plan) -> None:
    """Apply the plan to one response: body suffix and headers."""
    if plan.append_to_http_response:
        seconds_text = str(seconds)  # once for the body and the header: the same number
        http.append_text_if_body_can_grow(response, _suffix_of(seconds_text))
        http.set_header(response, ELAPSED_HEADER, seconds_text)
    if plan.server_timing_metric is not None:
        http.add_header_value(
            response,
            SERVER_TIMING_HEADER,
            server_timing_entry(plan.server_timing_metric, seconds),
        )
