"""Outgoing-call instrumentation and log correlation, each set up once per process.

Instrumentations: ``requests``, ``httpx``, ``urllib3`` and ``aiohttp`` through their
OpenTelemetry instrumentation packages, Azure SDK calls through
``azure-core-tracing-opentelemetry``. Each is imported only when named and installed, and
skipped when already instrumented (by the distro, the app or an earlier ``configure()``),
so nothing is wrapped twice. They use the global tracer provider, so they follow the
current configuration.

Log correlation: a log record factory adds ``otelTraceID``, ``otelSpanID`` and
``otelTraceSampled`` (the names OpenTelemetry's logging instrumentation uses) to every
record made while a span is current, so a format string can show them; exported log
records carry the ids through the SDK's handler.
"""

from __future__ import annotations

import importlib
import logging
import threading
from typing import Any, Callable, Dict, List, Tuple

from opentelemetry import trace

_lock = threading.Lock()
_factory_installed = False
_instrumented_here: Dict[str, Any] = {}  # name -> the instrumentor this module switched on

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


def _instrument_azure_sdk() -> str:
    try:
        from azure.core.settings import settings
        from azure.core.tracing.ext.opentelemetry_span import OpenTelemetrySpan
    except ImportError:
        return "not installed"
    if settings.tracing_implementation() is not None:
        return "already instrumented"
    settings.tracing_implementation = OpenTelemetrySpan
    _instrumented_here["azure_sdk"] = settings
    return "instrumented"


def uninstrument() -> None:
    """Undo what ``instrument`` switched on (for ``reset()``; never what others did)."""
    with _lock:
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
    error; never raises (a broken instrumentation costs its spans, not the app).
    """
    outcomes: Dict[str, str] = {}
    with _lock:
        for name in names:
            if name == "azure_sdk":
                outcomes[name] = _instrument_azure_sdk()
                continue
            module_name, class_name, _ = INSTRUMENTORS[name]
            try:
                module = importlib.import_module(module_name)
            except ImportError as exc:
                missing = getattr(exc, "name", None) or ""
                # The package itself is absent, or something it imports is (a broken install).
                outcomes[name] = (
                    "not installed"
                    if module_name.startswith(missing) or missing.startswith(module_name)
                    else f"failed: {type(exc).__name__}: {exc}"
                )
                continue
            try:
                instrumentor = getattr(module, class_name)()  # a singleton per class
                if instrumentor.is_instrumented_by_opentelemetry:
                    outcomes[name] = "already instrumented"
                    continue
                instrumentor.instrument()
                _instrumented_here[name] = instrumentor
                outcomes[name] = "instrumented"
            except Exception as exc:  # e.g. the library itself is missing or too old
                outcomes[name] = f"failed: {type(exc).__name__}: {exc}"
    return outcomes


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
