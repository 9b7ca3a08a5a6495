"""``OpenTelemetryExtension``: an invocation span, FaaS metrics and log correlation for
every invocation, continuing the host's trace.

Per invocation, on the thread (or event-loop task) that runs it:

- pre hook: read the host's ``traceparent``/``tracestate`` (the W3C propagator's
  decisions, ``propagation``), start the invocation span as its child (when the plan
  records one; every attribute known then passed at the start; on our own provider an
  ``InvocationSpan``, see ``invocation_span``) and attach that context, so user spans and
  instrumented outgoing calls are its children;
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
from typing import Any, ClassVar, Dict, Optional, Tuple

from opentelemetry import context as otel_context
from opentelemetry.trace import Span, Status, StatusCode, set_span_in_context
from python_worker_extension_framework.toolkit import (
    Invocation,
    Settings,
    WorkerExtension,
    http,
    redaction,
    triggers,
)
from python_worker_extension_framework.toolkit.facts import retry_facts

from . import attributes as names
from . import integrations, propagation, providers
from .exporters import LOGGER_NAME, FailureLog
from .options import OPTIONS, Plan
from .telemetry import Telemetry

CLOSE_TIMEOUT_SECONDS = 2.0  # when configure() or reset() replaces a configuration
DEFAULT_FLUSH_SECONDS = 5.0
_RUNNING = "running"
# Marks the contexts we attach: one still current when a pre hook starts was left by an
# invocation whose post hook never ran (the real worker runs none when a function raises).
_MARK = otel_context.create_key("python_worker_extension_opentelemetry.invocation")
_EMPTY = otel_context.Context()
_MARKED = otel_context.set_value(_MARK, True, _EMPTY)  # contexts are immutable: built once
_FAAS_TRIGGER = triggers.FAAS_TRIGGER
_ABANDONED = "the function raised; the worker ran no post hook (no exception details)"


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
    # Weak references to the contexts of invocations whose span is not ended yet, each
    # with that invocation's state (for ending the span when the worker drops the context).
    _pending: ClassVar[Dict[Any, _Running]] = {}

    # -- set-up -----------------------------------------------------------------------------

    @classmethod
    def _on_configure(cls, settings: Settings) -> None:
        plan = Plan.from_settings(
            settings, provider_configured=providers.foreign_provider() is not None
        )
        telemetry = Telemetry(plan, cls._failures)
        integrations.correlate_logs()
        if plan.instrumentations:
            cls._instrumented.update(integrations.instrument(plan.instrumentations))
        previous = cls._telemetry
        telemetry.activate()
        # One redactor per configuration: the one that also masks what is exported.
        cls._telemetry, cls._redactor = telemetry, telemetry.redaction.redactor
        if previous is not None:
            previous.deactivate(CLOSE_TIMEOUT_SECONDS)

    @classmethod
    def _on_reset(cls) -> None:
        previous, cls._telemetry = cls._telemetry, None
        cls._cold = True
        cls._failures = FailureLog()
        cls._instrumented = {}
        cls._pending = {}
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
        remote = propagation.remote_parent(*propagation.headers(context))
        trigger_type, value = triggers.find_trigger(invocation.func_args)
        trigger = _FAAS_TRIGGER.get(trigger_type, names.OTHER_TRIGGER)  # ``names.find_trigger``
        function_name = invocation.function_name
        running = _Running(telemetry, start, cold, (function_name, trigger))
        invocation.data[_RUNNING] = running
        current: Optional[Span] = remote
        if telemetry.plan.invocation_span:
            if remote is None:
                parent, caller = _EMPTY, None
            else:
                parent, caller = set_span_in_context(remote, _EMPTY), remote.get_span_context()
            is_http = trigger == "http" and value is not None
            kind = names.span_kind(trigger)
            spans = telemetry.spans  # ``InvocationSpans`` on our own provider, else None
            if (
                caller is not None
                and not caller.trace_flags.sampled
                and telemetry.sdk_provider is not None
            ):
                # Our own sampler follows the caller's "not sampled": the span will not
                # record, so nothing is computed for it.
                if spans is not None:
                    span = spans.start(function_name, parent, caller, kind, None, start)
                else:
                    span = telemetry.tracer.start_span(function_name, context=parent, kind=kind)
            else:
                # Every attribute known at the start passed when the span starts.
                attributes: Dict[str, Any] = {
                    names.FAAS_TRIGGER: trigger,
                    names.FAAS_INVOCATION_ID: invocation.invocation_id,
                    names.FAAS_NAME: function_name,
                    names.FAAS_COLDSTART: cold,
                }
                span_name = function_name
                if is_http:
                    span_name = names.add_http_attributes(
                        attributes, value, cls._redactor, telemetry.plan.record_headers
                    )
                if spans is not None:
                    span = spans.start(span_name, parent, caller, kind, attributes, start)
                else:
                    span = telemetry.tracer.start_span(
                        span_name,
                        context=parent,
                        kind=kind,
                        attributes=attributes,
                        start_time=start,
                    )
            current = running.span = span
            running.is_http = is_http
            if span.is_recording():
                # The safety net (see ``_abandoned``): a weak reference to the context whose
                # callback ends the span as failed when the worker drops the invocation
                # without a post or error hook (the function raised). What the callback
                # needs waits in ``_pending`` under the reference, never the context itself.
                try:
                    reference = weakref.ref(context, cls._abandoned)
                except TypeError:  # a context that cannot be weakly referenced: no net
                    pass
                else:
                    cls._pending[reference] = running
                    running.safety_net = reference
        if otel_context.get_current().get(_MARK) is not None:
            otel_context.attach(otel_context.Context())  # drop what a raising invocation left
        running.token = otel_context.attach(
            _MARKED if current is None else set_span_in_context(current, _MARKED)
        )

    @classmethod
    def _on_post_invocation(cls, invocation: Invocation, result: Any) -> None:
        running: Optional[_Running] = invocation.data.get(_RUNNING)
        if running is None:
            return
        try:
            span = running.span
            failed = False
            if span is not None and running.is_http:
                status = http.status_code(result)  # an ``HttpResponse`` returned: the usual
                if status is None:
                    status = http.response_status(result, invocation.func_args)
                if status is not None:
                    if status >= 500:
                        failed = True
                        span.set_attributes(
                            {
                                names.HTTP_RESPONSE_STATUS_CODE: status,
                                names.ERROR_TYPE: str(status),
                            }
                        )
                        span.set_status(Status(StatusCode.ERROR))
                    else:
                        span.set_attribute(names.HTTP_RESPONSE_STATUS_CODE, status)
            cls._finish(invocation, running, failed)
        finally:
            token, running.token = running.token, None  # ``_detach``, inline
            if token is not None:
                otel_context.detach(token)

    @classmethod
    def _on_invocation_error(cls, invocation: Invocation, exception: BaseException) -> None:
        running: Optional[_Running] = invocation.data.get(_RUNNING)
        if running is None:
            return
        try:
            span = running.span
            if span is not None and span.is_recording():
                if running.is_http:
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
            cls._finish(invocation, running, True)
        finally:
            cls._detach(running)

    # -- helpers ----------------------------------------------------------------------------

    @classmethod
    def _finish(cls, invocation: Invocation, running: _Running, failed: bool) -> None:
        end = time.time_ns()
        span = running.span
        if span is not None:
            if running.safety_net is not None:
                cls._pending.pop(running.safety_net, None)
            facts = retry_facts(invocation.context)
            if facts is not None:
                attempt = getattr(facts, "attempt", None)
                if isinstance(attempt, int):
                    span.set_attribute(names.FAAS_RETRY_ATTEMPT, attempt)
                    maximum = getattr(facts, "max_retry_count", None)
                    if isinstance(maximum, int):
                        span.set_attribute(names.FAAS_RETRY_MAX, maximum)
            span.end(end_time=end)
        running.telemetry.record(running.key, (end - running.start) / 1e9, failed, running.cold)

    @staticmethod
    def _detach(running: _Running) -> None:
        token, running.token = running.token, None
        if token is not None:
            otel_context.detach(token)

    @classmethod
    def _abandoned(cls, reference: Any) -> None:
        """The safety net's callback (one for every invocation): the worker dropped an
        invocation's context with its span not ended, as it does when the function raises
        (no post hook); the span is ended as failed."""
        running = cls._pending.pop(reference, None)
        if running is None or running.span is None:
            return
        span = running.span
        running.span = None
        try:
            if running.is_http:
                span.set_attribute(names.HTTP_RESPONSE_STATUS_CODE, 500)
            span.set_status(Status(StatusCode.ERROR, _ABANDONED))
            end = time.time_ns()
            span.end(end_time=end)
            running.telemetry.record(running.key, (end - running.start) / 1e9, True, False)
        except Exception:  # runs inside garbage collection: never raise
            cls.log.debug("Ending an abandoned invocation span failed", exc_info=True)


class _Running:
    """One invocation's state between its hooks, kept in ``Invocation.data``: the
    configuration it started under, its span and the context token to detach."""

    __slots__ = ("cold", "is_http", "key", "safety_net", "span", "start", "telemetry", "token")

    def __init__(self, telemetry: Telemetry, start: int, cold: bool, key: Tuple[str, str]) -> None:
        self.telemetry = telemetry
        self.start = start
        self.cold = cold
        self.key = key
        self.span: Optional[Span] = None
        self.is_http = False
        self.safety_net: Any = None
        self.token: Any = None
