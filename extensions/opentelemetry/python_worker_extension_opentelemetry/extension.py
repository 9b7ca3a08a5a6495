"""``OpenTelemetryExtension``: an invocation span, FaaS metrics and log correlation for
every invocation, continuing the host's trace.

Per invocation, on the thread (or event-loop task) that runs it:

- pre hook: extract the host's ``traceparent``/``tracestate`` with OpenTelemetry's W3C
  propagator, start the invocation span as its child (when the plan records one) and
  attach that context, so user spans and instrumented outgoing calls are its children;
  (a context left current by an earlier invocation that raised under the real worker,
  which runs no post hook then, is dropped first, so it never leaks into this one);
- post hook: the HTTP status (5xx is an error), retry facts, end the span, count the
  invocation, detach the context;
- error hook (the framework's error phase, the in-function wrapper): an ``exception``
  event (message and stack redacted), error status, then the same. The real worker runs
  no post hook for a function that raises: the span is then ended as failed when the
  worker lets go of the invocation's context.
"""

from __future__ import annotations

import time
import weakref
from typing import Any, ClassVar, Dict, Optional, Set

from opentelemetry import context as otel_context
from opentelemetry.trace import Span, Status, StatusCode, set_span_in_context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from python_worker_extension_framework.toolkit import (
    Invocation,
    Settings,
    WorkerExtension,
    http,
    redaction,
)
from python_worker_extension_framework.toolkit.facts import retry_facts

from . import attributes as names
from . import integrations, providers
from .exporters import LOGGER_NAME, FailureLog
from .options import OPTIONS, Plan
from .telemetry import Telemetry

CLOSE_TIMEOUT_SECONDS = 2.0  # when configure() or reset() replaces a configuration
DEFAULT_FLUSH_SECONDS = 5.0
_PROPAGATOR = TraceContextTextMapPropagator()
_TOKEN = "token"
_SPAN = "span"
_START = "start"
_KEY = "key"
_COLD = "cold"
_HTTP = "http"
_TELEMETRY = "telemetry"
_SAFETY_NET = "safety_net"
# Marks the contexts we attach: one still current when a pre hook starts was left by an
# invocation whose post hook never ran (the real worker runs none when a function raises).
_MARK = otel_context.create_key("python_worker_extension_opentelemetry.invocation")
_ABANDONED = "the function raised; the worker ran no post hook (no exception details)"


def _carrier(context: Any) -> Dict[str, str]:
    trace_context = getattr(context, "trace_context", None)
    carrier: Dict[str, str] = {}
    parent = getattr(trace_context, "trace_parent", None) or getattr(
        trace_context, "Traceparent", None
    )
    if parent:
        carrier["traceparent"] = parent
        state = getattr(trace_context, "trace_state", None) or getattr(
            trace_context, "Tracestate", None
        )
        if state:
            carrier["tracestate"] = state
    return carrier


class OpenTelemetryExtension(WorkerExtension):
    """OpenTelemetry for Azure Functions: invocation spans, FaaS metrics, log correlation.

    Configure once, after the import, in ``function_app.py`` (or a function's
    ``__init__.py``)::

        from python_worker_extension_opentelemetry import OpenTelemetryExtension
        OpenTelemetryExtension.configure(exporter="azure_monitor")  # or "otlp", "console",
                                                                    # "jsonl", "none", an exporter

    and use OpenTelemetry as usual: ``trace.get_tracer(__name__).start_as_current_span(...)``
    opens children of the invocation span. Options: see ``options.OPTIONS`` and the readme.
    """

    log_name = LOGGER_NAME
    options = OPTIONS

    _telemetry: ClassVar[Optional[Telemetry]] = None
    _redactor: ClassVar[redaction.Redactor] = redaction.DEFAULT
    _cold: ClassVar[bool] = True
    _failures: ClassVar[FailureLog] = FailureLog()
    _instrumented: ClassVar[Dict[str, str]] = {}
    # Weak references to the contexts of invocations whose span is not ended yet.
    _pending: ClassVar[Set[Any]] = set()

    # -- set-up -----------------------------------------------------------------------------

    @classmethod
    def _on_configure(cls, settings: Settings) -> None:
        plan = Plan.from_settings(
            settings, provider_configured=providers.foreign_provider() is not None
        )
        telemetry = Telemetry(plan, cls._failures)
        redactor = (
            redaction.Redactor(extra_names=tuple(plan.redact_names))
            if plan.redact_names
            else redaction.DEFAULT
        )
        integrations.correlate_logs()
        if plan.instrumentations:
            cls._instrumented.update(integrations.instrument(plan.instrumentations))
        previous = cls._telemetry
        telemetry.activate()
        cls._telemetry, cls._redactor = telemetry, redactor
        if previous is not None:
            previous.deactivate(CLOSE_TIMEOUT_SECONDS)

    @classmethod
    def _on_reset(cls) -> None:
        previous, cls._telemetry = cls._telemetry, None
        cls._cold = True
        cls._failures = FailureLog()
        cls._instrumented = {}
        cls._pending = set()
        integrations.uninstrument()
        if previous is not None:
            previous.deactivate(CLOSE_TIMEOUT_SECONDS)

    @classmethod
    def flush(cls, timeout: float = DEFAULT_FLUSH_SECONDS) -> None:
        """Export what is queued within ``timeout`` seconds; never raises, never waits longer.

        The local host calls it at shutdown; call it yourself before a script exits.
        """
        telemetry = cls._telemetry
        if telemetry is None:
            return
        if not telemetry.flush(float(timeout)):
            cls.log.warning(
                "OpenTelemetryExtension.flush: export did not finish within %.1f s; what is "
                "still queued may be lost if the process exits now.",
                timeout,
            )

    @classmethod
    def export_stats(cls) -> Dict[str, int]:
        """``{"exported": ..., "failed": ..., "failed_batches": ...}`` since import."""
        return cls._failures.snapshot()

    @classmethod
    def instrumentations(cls) -> Dict[str, str]:
        """What happened to each named instrumentation (``instrumented``, ``not installed``...);
        one whose library was imported after ``configure()`` shows how that went."""
        return {**cls._instrumented, **integrations.late_outcomes()}

    @classmethod
    def tracer_provider_reused(cls) -> bool:
        """Whether spans go to a provider someone else configured (the worker's distro)."""
        telemetry = cls._telemetry
        return telemetry is not None and telemetry.sdk_provider is None

    # -- hooks ------------------------------------------------------------------------------

    @classmethod
    def _on_pre_invocation(cls, invocation: Invocation) -> None:
        telemetry = cls._telemetry
        if telemetry is None:
            return
        start = time.time_ns()
        cold = cls._cold
        if cold:
            cls._cold = False
        context = invocation.context
        parent = _PROPAGATOR.extract(_carrier(context), context=otel_context.Context())
        trigger, value = names.find_trigger(invocation.func_args)
        function_name = invocation.function_name
        data = invocation.data
        data[_TELEMETRY] = telemetry
        data[_START] = start
        data[_COLD] = cold
        data[_KEY] = (function_name, trigger)
        current = parent
        if telemetry.plan.invocation_span:
            span_name = function_name
            attributes: Dict[str, Any] = {
                names.FAAS_TRIGGER: trigger,
                names.FAAS_INVOCATION_ID: invocation.invocation_id,
                names.FAAS_NAME: function_name,
                names.FAAS_COLDSTART: cold,
            }
            is_http = trigger == "http" and value is not None
            if is_http:
                span_name, http_attributes = names.http_attributes(
                    value, cls._redactor, telemetry.plan.record_headers
                )
                attributes.update(http_attributes)
            span = telemetry.tracer.start_span(
                span_name,
                context=parent,
                kind=names.span_kind(trigger),
                attributes=attributes,
                start_time=start,
            )
            current = set_span_in_context(span, parent)
            data[_SPAN] = span
            data[_HTTP] = is_http
            if span.is_recording():
                data[_SAFETY_NET] = cls._safety_net(context, telemetry, span, is_http)
        if otel_context.get_value(_MARK) is not None:
            otel_context.attach(otel_context.Context())  # drop what a raising invocation left
        data[_TOKEN] = otel_context.attach(otel_context.set_value(_MARK, True, current))

    @classmethod
    def _on_post_invocation(cls, invocation: Invocation, result: Any) -> None:
        data = invocation.data
        try:
            span: Optional[Span] = data.get(_SPAN)
            failed = False
            if span is not None and data[_HTTP]:
                status = http.response_status(result, invocation.func_args)
                if status is not None:
                    span.set_attribute(names.HTTP_RESPONSE_STATUS_CODE, status)
                    if status >= 500:
                        failed = True
                        span.set_attribute(names.ERROR_TYPE, str(status))
                        span.set_status(Status(StatusCode.ERROR))
            cls._finish(invocation, span, failed)
        finally:
            cls._detach(data)

    @classmethod
    def _on_invocation_error(cls, invocation: Invocation, exception: BaseException) -> None:
        data = invocation.data
        try:
            span: Optional[Span] = data.get(_SPAN)
            if span is not None and span.is_recording():
                if data[_HTTP]:
                    span.set_attribute(
                        names.HTTP_RESPONSE_STATUS_CODE, 500
                    )  # what the worker answers
                details = names.exception_attributes(exception, cls._redactor)
                span.add_event("exception", details)
                span.set_attribute(names.ERROR_TYPE, details[names.EXCEPTION_TYPE])
                span.set_status(
                    Status(
                        StatusCode.ERROR,
                        f"{details[names.EXCEPTION_TYPE]}: {details[names.EXCEPTION_MESSAGE]}",
                    )
                )
            cls._finish(invocation, span, True)
        finally:
            cls._detach(data)

    # -- helpers ----------------------------------------------------------------------------

    @classmethod
    def _finish(cls, invocation: Invocation, span: Optional[Span], failed: bool) -> None:
        data = invocation.data
        telemetry: Optional[Telemetry] = data.get(_TELEMETRY)
        if telemetry is None:
            return
        end = time.time_ns()
        if span is not None:
            net = data.get(_SAFETY_NET)
            if net is not None:
                cls._pending.discard(net)
            facts = retry_facts(invocation.context)
            attempt = getattr(facts, "attempt", None)
            if isinstance(attempt, int):
                span.set_attribute(names.FAAS_RETRY_ATTEMPT, attempt)
                maximum = getattr(facts, "max_retry_count", None)
                if isinstance(maximum, int):
                    span.set_attribute(names.FAAS_RETRY_MAX, maximum)
            span.end(end_time=end)
        telemetry.record(data[_KEY], (end - data[_START]) / 1e9, failed, data[_COLD])

    @staticmethod
    def _detach(data: Dict[str, Any]) -> None:
        token = data.pop(_TOKEN, None)
        if token is not None:
            otel_context.detach(token)

    @classmethod
    def _safety_net(cls, context: Any, telemetry: Telemetry, span: Span, is_http: bool) -> Any:
        """A weak reference to the context whose callback ends the span as failed when the
        worker drops the invocation without a post or error hook (the function raised).

        The callback holds the span and the pipeline, never the context.
        """
        started = time.time_ns()
        attributes_of_span = getattr(span, "attributes", None) or {}
        key = (
            str(attributes_of_span.get(names.FAAS_NAME, "")),
            str(attributes_of_span.get(names.FAAS_TRIGGER, names.OTHER_TRIGGER)),
        )

        def abandoned(reference: Any) -> None:
            if reference not in cls._pending:
                return
            cls._pending.discard(reference)
            try:
                if is_http:
                    span.set_attribute(names.HTTP_RESPONSE_STATUS_CODE, 500)
                span.set_status(Status(StatusCode.ERROR, _ABANDONED))
                end = time.time_ns()
                span.end(end_time=end)
                telemetry.record(key, (end - started) / 1e9, True, False)
            except Exception:  # runs inside garbage collection: never raise
                cls.log.debug("Ending an abandoned invocation span failed", exc_info=True)

        try:
            reference = weakref.ref(context, abandoned)
        except TypeError:  # a context that cannot be weakly referenced: no safety net
            return None
        cls._pending.add(reference)
        return reference
