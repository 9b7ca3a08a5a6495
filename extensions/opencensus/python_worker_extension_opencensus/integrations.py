"""Tracing outgoing ``requests`` calls, switched on once per process, when ``requests`` is
imported.

``opencensus-ext-requests`` wraps ``requests.Session.request`` each time its
``trace_integration()`` runs; calling it twice makes every call two nested client spans.
``configure()`` may run many times (tests, reloads), and the app may have switched the
integration on itself, so we look at ``Session.request`` before wrapping: if opencensus'
wrapper is already there, nothing is done.

Importing ``requests`` (and urllib3, charset_normalizer, idna...) costs a cold start some
30 ms, which an app that never calls out should not pay: when ``requests`` is not imported
yet at ``configure()``, the wrapping waits for the app to import it (a post-import hook),
so every ``requests`` call is still traced.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
from typing import Any

from .exporters import LOGGER_NAME

_lock = threading.Lock()
_wanted = False  # the last configure() asked for the integration
_hook_registered = False


def _wrapped_by_opencensus(function: Any, wrapper: Any) -> bool:
    """Whether ``function`` is (at any depth) a wrapt wrapper around opencensus' wrapper."""
    seen = 0
    while function is not None and seen < 16:
        if getattr(function, "_self_wrapper", None) is wrapper:
            return True
        function = getattr(function, "__wrapped__", None)
        seen += 1
    return False


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _switch_on(_module: Any = None) -> None:
    """Wrap ``requests.Session.request`` unless opencensus' wrapper is already there (or
    the integration is no longer wanted)."""
    if not _wanted:
        return
    try:
        import requests
        from opencensus.ext.requests import trace
    except ImportError:  # a broken install: no integration, as before
        return
    with _lock:
        if not _wanted:
            return
        current = vars(requests.Session).get("request")
        if not _wrapped_by_opencensus(current, trace.wrap_session_request):
            trace.trace_integration()


def _switch_on_at_import(module: Any) -> None:
    """The post-import hook: a failure costs the integration, never the app's import."""
    try:
        _switch_on(module)
    except Exception as exc:
        logging.getLogger(LOGGER_NAME).warning(
            "Tracing requests calls could not be switched on: %s: %s", type(exc).__name__, exc
        )


def trace_requests(wanted: bool = True) -> bool:
    """Switch on the ``requests`` integration unless it is on already, now if ``requests``
    is imported, else as soon as it is; True when it is (or will be) on. ``wanted=False``
    cancels a switch-on still waiting for the import (a wrapping done cannot be undone)."""
    global _wanted, _hook_registered
    with _lock:
        _wanted = wanted
    if not wanted or not (_installed("requests") and _installed("opencensus.ext.requests")):
        return False
    if "requests" in sys.modules:
        _switch_on()
        return True
    with _lock:
        register = not _hook_registered
        _hook_registered = True
    if register:
        from wrapt import register_post_import_hook

        # Runs at once if requests was imported meanwhile.
        register_post_import_hook(_switch_on_at_import, "requests")
    return True
