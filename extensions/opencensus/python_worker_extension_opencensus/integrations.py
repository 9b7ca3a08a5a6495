"""Tracing outgoing ``requests`` calls, switched on once per process.

``opencensus-ext-requests`` wraps ``requests.Session.request`` each time its
``trace_integration()`` runs; calling it twice makes every call two nested client spans.
``configure()`` may run many times (tests, reloads), and the app may have switched the
integration on itself, so we look at ``Session.request`` before wrapping: if opencensus'
wrapper is already there, nothing is done.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()


def _wrapped_by_opencensus(function: Any, wrapper: Any) -> bool:
    """Whether ``function`` is (at any depth) a wrapt wrapper around opencensus' wrapper."""
    seen = 0
    while function is not None and seen < 16:
        if getattr(function, "_self_wrapper", None) is wrapper:
            return True
        function = getattr(function, "__wrapped__", None)
        seen += 1
    return False


def trace_requests() -> bool:
    """Switch on the ``requests`` integration unless it is on already; True when it is on."""
    try:
        import requests
        from opencensus.ext.requests import trace
    except ImportError:
        return False
    with _lock:
        current = vars(requests.Session).get("request")
        if not _wrapped_by_opencensus(current, trace.wrap_session_request):
            trace.trace_integration()
    return True
