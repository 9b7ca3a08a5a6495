"""Outgoing-call instrumentation and log correlation, each set up once per process.

Instrumentations: ``requests``, ``httpx``, ``urllib3`` and ``aiohttp`` through their
OpenTelemetry instrumentation packages, Azure SDK calls through
``azure-core-tracing-opentelemetry``. Each is imported only when named and installed, and
skipped when already instrumented (by the distro, the app or an earlier ``configure()``),
so nothing is wrapped twice. They use the global tracer provider, so they follow the
current configuration. Those we instrument get our request hook (``redacting.url_hook``),
which masks secrets in the span's URL before any exporter sees it.

A client library the app has not imported yet at ``configure()`` is instrumented when it is
imported (a post-import hook runs before the importer gets the module, so every call is
still traced): importing the instrumentation packages, the libraries themselves and what
they pull in (``pkg_resources`` for the older ones) costs a cold start some 200 ms, which
an app that never uses those clients should not pay. Such an instrumentation is reported
``instrumented`` at once; should it fail when the library arrives, ``late_outcomes()`` says
so and a warning is logged.

Log correlation: a log record factory adds ``otelTraceID``, ``otelSpanID`` and
``otelTraceSampled`` (the names OpenTelemetry's logging instrumentation uses) to every
record made while a span is current, so a format string can show them; exported log
records carry the ids through the SDK's handler.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import logging
import sys
import threading
from typing import Any, Callable, Dict, List, Set, Tuple

from opentelemetry import trace

from .exporters import LOGGER_NAME
from .redacting import azure_span_class, request_hooks

_lock = threading.RLock()  # an instrumentation imported at a library's import may import another
_factory_installed = False
_instrumented_here: Dict[str, Any] = {}  # name -> the instrumentor this module switched on
_waiting: Set[str] = set()  # names to instrument when their library is imported
_hooked: Set[str] = set()  # names whose post-import hook is registered (once per process)
_late: Dict[str, str] = {}  # name -> the outcome of an instrumentation done at import
_log = logging.getLogger(LOGGER_NAME)

# name -> (module, class) of the instrumentor; the distribution it comes in, for messages.
INSTRUMENTORS: Dict[str, Tuple[str, str, str]] = {
    "requests": (
        "opentelemetry.instrumentation.requests",
        "RequestsInstrumentor",
        "opentelemetry-instrumentation-requests",
    ),
    "httpx": (
        "opentelemetry.instrumentation.httpx",
        "HTTPXClientInstrumentor",
        "opentelemetry-instrumentation-httpx",
    ),
    "urllib3": (
        "opentelemetry.instrumentation.urllib3",
        "URLLib3Instrumentor",
        "opentelemetry-instrumentation-urllib3",
    ),
    "aiohttp": (
        "opentelemetry.instrumentation.aiohttp_client",
        "AioHttpClientInstrumentor",
        "opentelemetry-instrumentation-aiohttp-client",
    ),
}


# name -> the module whose import an instrumentation waits for, and the module it needs.
LIBRARIES: Dict[str, Tuple[str, str]] = {
    "azure_sdk": ("azure.core", "azure.core.tracing.ext.opentelemetry_span"),
    **{name: (name, module) for name, (module, _, _) in INSTRUMENTORS.items()},
}


def _findable(module: str) -> bool:
    """Whether ``module`` is installed, found without importing it or its parent packages
    (``importlib.util.find_spec`` imports the parents: ``azure.core`` costs ~15 ms)."""
    parts = module.split(".")
    path: Any = None
    for depth in range(1, len(parts) + 1):
        name = ".".join(parts[:depth])
        loaded = sys.modules.get(name)
        try:
            if loaded is not None:
                spec = loaded.__spec__
            elif depth == 1:
                spec = importlib.util.find_spec(name)
            else:
                spec = importlib.machinery.PathFinder.find_spec(name, path)
        except (ImportError, ValueError):
            return False
        if spec is None:
            return False
        path = spec.submodule_search_locations
        if path is None and depth < len(parts):
            return False
    return True


def _can_wait(name: str) -> bool:
    """Whether ``name``'s library is installed but not imported yet (with what instruments it)."""
    library, instrumentation = LIBRARIES[name]
    return library not in sys.modules and _findable(library) and _findable(instrumentation)


def _on_import(name: str) -> Callable[[Any], None]:
    def instrument_now(_module: Any) -> None:
        with _lock:
            if name not in _waiting:
                return  # reset() since, or done already
            _waiting.discard(name)
            try:
                outcome = _instrument(name)
            except Exception as exc:  # never fail the app's import
                outcome = f"failed: {type(exc).__name__}: {exc}"
            if outcome not in ("instrumented", "already instrumented"):
                _late[name] = outcome
        if name in _late:
            _log.warning("The %s instrumentation, on its import: %s", name, _late[name])

    return instrument_now


def late_outcomes() -> Dict[str, str]:
    """Instrumentations reported ``instrumented`` at ``configure()`` that failed once their
    library was imported: ``{name: outcome}``."""
    with _lock:
        return dict(_late)


def _instrument_azure_sdk() -> str:
    try:
        from azure.core.settings import settings
        from azure.core.tracing.ext.opentelemetry_span import OpenTelemetrySpan
    except ImportError:
        return "not installed"
    if settings.tracing_implementation() is not None:
        return "already instrumented"
    settings.tracing_implementation = azure_span_class(OpenTelemetrySpan)  # URLs masked
    _instrumented_here["azure_sdk"] = settings
    return "instrumented"


def uninstrument() -> None:
    """Undo what ``instrument`` switched on (for ``reset()``; never what others did)."""
    with _lock:
        _waiting.clear()
        _late.clear()
        for name, instrumentor in list(_instrumented_here.items()):
            try:
                if name == "azure_sdk":
                    instrumentor.tracing_implementation = None
                else:
                    instrumentor.uninstrument()
            except Exception:  # best effort: a test's clean-up must not fail the next test
                pass
            del _instrumented_here[name]


def instrument(names: Tuple[str, ...]) -> Dict[str, str]:
    """Instrument the named clients whose packages are installed; ``{name: outcome}``.

    Outcomes: ``instrumented``, ``already instrumented``, ``not installed``, or the
    error; never raises (a broken instrumentation costs its spans, not the app). A library
    not imported yet is instrumented when it is (see the module docstring).
    """
    outcomes: Dict[str, str] = {}
    register: List[str] = []
    with _lock:
        for name in names:
            if name in _waiting:
                outcomes[name] = "already instrumented"  # by an earlier configure(), on import
            elif _can_wait(name):
                _waiting.add(name)
                outcomes[name] = "instrumented"
                if name not in _hooked:
                    _hooked.add(name)
                    register.append(name)
            else:
                outcomes[name] = _instrument(name)
    if register:
        from wrapt import register_post_import_hook

        for name in register:  # outside the lock: a hook runs at once if imported meanwhile
            register_post_import_hook(_on_import(name), LIBRARIES[name][0])
    return outcomes


def _instrument(name: str) -> str:
    """Instrument ``name`` now (its library is imported or absent); the outcome."""
    if name == "azure_sdk":
        return _instrument_azure_sdk()
    module_name, class_name, _ = INSTRUMENTORS[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        missing = getattr(exc, "name", None) or ""
        # The package itself is absent, or something it imports is (a broken install).
        return (
            "not installed"
            if module_name.startswith(missing) or missing.startswith(module_name)
            else f"failed: {type(exc).__name__}: {exc}"
        )
    try:
        instrumentor = getattr(module, class_name)()  # a singleton per class
        if instrumentor.is_instrumented_by_opentelemetry:
            return "already instrumented"
        # Our request hook masks the span's URL as it starts (secrets in the query), so
        # every exporter sees it masked, including another provider's.
        instrumentor.instrument(**request_hooks(name))
        _instrumented_here[name] = instrumentor
        return "instrumented"
    except Exception as exc:  # e.g. the library itself is missing or too old
        return f"failed: {type(exc).__name__}: {exc}"


def instrumented(outcomes: Dict[str, str]) -> List[str]:
    return [name for name, outcome in outcomes.items() if outcome == "instrumented"]


def _correlating(previous: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    get_current_span = trace.get_current_span

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        context = get_current_span().get_span_context()
        if context.trace_id:
            record.otelTraceID = f"{context.trace_id:032x}"
            record.otelSpanID = f"{context.span_id:016x}"
            record.otelTraceSampled = context.trace_flags.sampled
        return record

    factory._python_worker_extension_opentelemetry = True  # type: ignore[attr-defined]
    return factory


def correlate_logs() -> None:
    """Install the correlating log record factory, once (on top of any other factory)."""
    global _factory_installed
    with _lock:
        if _factory_installed:
            return
        current = logging.getLogRecordFactory()
        if not getattr(current, "_python_worker_extension_opentelemetry", False):
            logging.setLogRecordFactory(_correlating(current))
        _factory_installed = True
