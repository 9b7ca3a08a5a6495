"""``OpenCensusExtension``: OpenCensus tracing for every invocation, exported to Azure Monitor
or locally.

Per invocation, on the thread that runs it:

- pre hook: clear the thread's opencensus context, read the caller's ``traceparent``
  (a malformed one starts a new trace with one warning), decide sampling, set
  ``context.tracer`` and, when recorded, open the invocation span (SERVER kind, FaaS and
  HTTP attributes) as the current span, so user spans and ``requests`` calls are its
  children;
- post hook: the HTTP status, the retry attempt, end the span (and any the function left
  open), export, clear the thread's context;
- error hook (framework's error phase): the exception's type, message and stack, then
  the same. The real worker has no error phase and runs no post hook for a function that
  raises: the span is then ended as failed when the worker lets go of the invocation.
"""

from __future__ import annotations

import contextlib
import weakref
from typing import Any, ClassVar, Dict, NamedTuple, Optional, Set

from opencensus.trace.span import Span
from python_worker_extension_framework.toolkit import (
    Invocation,
    Settings,
    WorkerExtension,
    http,
    traceparent,
)
from python_worker_extension_framework.toolkit.facts import retry_attempt

from . import integrations, propagation, tracing
from .attributes import (
    CLOUD_ATTRIBUTES,
    FAAS_COLDSTART,
    FAAS_INVOCATION_ID,
    FAAS_NAME,
    FAAS_RETRY_ATTEMPT,
    FAAS_TRIGGER,
    add_http_attributes,
    find_trigger,
)
from .azure_monitor import AzureMonitorExporter
from .exporters import (
    LOGGER_NAME,
    Counters,
    JsonLinesExporter,
    NoopExporter,
    SafeExporter,
)
from .options import OPTIONS, Plan

CLOSE_TIMEOUT_SECONDS = 1.0  # when configure() or reset() replaces an exporter
DEFAULT_FLUSH_SECONDS = 5.0
_TRACER = "tracer"
_SPAN = "span"
_HTTP = "http"
_SAFETY_NET = "safety_net"
_ABANDONED_MESSAGE = "the function raised; the worker ran no post hook (no error details)"
_CLOUD = dict(CLOUD_ATTRIBUTES)
_MAX_FUNCTIONS = 1024  # functions per app are few; a bound all the same


class _Function(NamedTuple):
    """What the invocation span needs that is the same for every invocation of a function."""

    argument: Optional[str]  # the argument holding the trigger (None: look each time)
    value_type: type  # its type, checked on each invocation
    trigger: str  # faas.trigger
    template: Dict[str, Any]  # the span attributes that only depend on the function


def build_exporter(plan: Plan) -> SafeExporter:
    """The exporter a plan names, wrapped so it never fails an invocation."""
    choice = plan.exporter
    if choice == "azure":
        exporter = AzureMonitorExporter(plan)
        return SafeExporter(exporter, owned=True, label="the Azure Monitor exporter")
    if choice in ("jsonl", "console"):
        exporter = JsonLinesExporter(
            plan.jsonl_path if choice == "jsonl" else None,
            capacity=plan.queue_capacity,
            cloud_role=plan.cloud_role_name,
        )
        return SafeExporter(exporter, owned=True, label=f"the {choice} exporter")
    if choice == "none":
        return SafeExporter(NoopExporter(), owned=True, label="the 'none' exporter")
    return SafeExporter(choice, owned=False, label=type(choice).__name__)


class OpenCensusExtension(WorkerExtension):
    """OpenCensus tracing for Azure Functions; drop-in for ``opencensus-extension-azure-functions``.

    Configure once, after the import, in ``function_app.py`` or a function's ``__init__.py``::

        from python_worker_extension_opencensus import OpenCensusExtension
        OpenCensusExtension.configure()              # Azure Monitor, connection string
                                                     # from APPLICATIONINSIGHTS_CONNECTION_STRING
        OpenCensusExtension.configure(exporter="jsonl", jsonl_path="spans.jsonl")  # local

    and open spans with ``context.tracer``::

        with context.tracer.span("parent"):
            ...

    Options (``configure()`` checks them all and raises naming the bad one; the app setting
    ``PYTHON_WORKER_EXTENSION_OPENCENSUS_<NAME>`` applies when an option is not passed):
    ``connection_string`` (else ``APPLICATIONINSIGHTS_CONNECTION_STRING``), ``exporter``
    (``'azure'``, ``'jsonl'``, ``'console'``, ``'none'`` or an exporter object),
    ``jsonl_path``, ``sampling_rate``, ``honor_unsampled_parent``, ``cloud_role_name``
    (else ``WEBSITE_SITE_NAME``), ``trace_requests``, ``redact_query_params``,
    ``queue_capacity``, ``only``/``exclude``, and every keyword option of
    ``opencensus.ext.azure``'s ``AzureExporter`` (``export_interval``,
    ``enable_local_storage``, ...), passed to it unchanged. Any other name is rejected.

    Limitations: the worker runs no post hook for a function that raises, so without the
    framework's error phase the failure is recorded without exception details, when the
    worker releases the invocation. Spans opened on threads the function starts are not
    children of the invocation (OpenCensus keeps its context per thread).
    """

    log_name = LOGGER_NAME
    options = OPTIONS

    _plan: ClassVar[Optional[Plan]] = None
    _exporter: ClassVar[Optional[SafeExporter]] = None
    _cold: ClassVar[bool] = True
    # Weak references to the contexts of recorded invocations not yet ended (see
    # _safety_net); kept here, not on the context, so the callback survives the context.
    _pending: ClassVar[Set[Any]] = set()
    # What stays the same for every invocation of a function, by function name.
    _functions: ClassVar[Dict[str, _Function]] = {}

    # -- set-up -----------------------------------------------------------------------------

    @classmethod
    def _on_configure(cls, settings: Settings) -> None:
        plan = Plan.from_settings(settings)
        exporter = build_exporter(plan)
        integrations.trace_requests(plan.trace_requests)
        cls._replace_state(plan, exporter)

    @classmethod
    def _on_reset(cls) -> None:
        cls._replace_state(None, None)
        cls._cold = True
        cls._functions = {}

    @classmethod
    def _replace_state(cls, plan: Optional[Plan], exporter: Optional[SafeExporter]) -> None:
        previous = cls._exporter
        cls._plan, cls._exporter = plan, exporter
        if previous is not None and previous is not exporter:
            previous.close(CLOSE_TIMEOUT_SECONDS)

    @classmethod
    def flush(cls, timeout: float = DEFAULT_FLUSH_SECONDS) -> None:
        """Wait at most ``timeout`` seconds for the spans exported so far to be sent or written.

        The local host calls this on every extension that has it when it shuts down; call
        it yourself before a process exits some other way (a script, a test). It never
        raises and never waits longer than ``timeout``: what is not sent in time is left
        to the exporter (Azure Monitor's keeps it in local storage when that is on) and a
        warning says so.
        """
        exporter = cls._exporter
        if exporter is None:
            return
        if not exporter.flush(max(float(timeout), 0.0)):
            cls.log.warning(
                "OpenCensusExtension.flush: %s did not finish within %.1f s; spans still "
                "queued may be lost if the process exits now.",
                exporter.label,
                timeout,
            )

    @classmethod
    def export_stats(cls) -> Dict[str, int]:
        """``{"written": ..., "dropped": ..., "errors": ...}`` of the current exporter."""
        exporter = cls._exporter
        if exporter is None:
            return Counters().snapshot()
        return exporter.counters.snapshot()

    # -- hooks ------------------------------------------------------------------------------

    @classmethod
    def _after_pre_invocation(cls, context: Any) -> None:
        # Functions call context.tracer.span(...) unconditionally: give excluded ones, and
        # every one while the extension is inactive, a tracer that does nothing, and clear
        # whatever an earlier invocation left on this thread.
        if getattr(context, "tracer", None) is None:
            tracing.leave()
            with contextlib.suppress(AttributeError):
                context.tracer = tracing.inert_tracer()

    @classmethod
    def _on_pre_invocation(cls, invocation: Invocation) -> None:
        plan, exporter = cls._plan, cls._exporter
        if plan is None or exporter is None:
            return
        context = invocation.context
        cold = cls._cold
        if cold:
            cls._cold = False
        incoming, problem = propagation.read(context)
        if problem is not None:
            cls._warn_about_headers(invocation, incoming, problem)
        trace_id = incoming.trace_id if incoming is not None else propagation.new_trace_id()
        data = invocation.data
        if not propagation.should_record(
            incoming, trace_id, plan.sample_bound, plan.honor_unsampled_parent
        ):
            tracer = tracing.SilentTracer(trace_id, incoming, exporter)
            tracing.enter(tracer)
            context.tracer = data[_TRACER] = tracer
            return
        tracer = tracing.recording_tracer(trace_id, incoming, exporter, plan.redactor)
        tracing.enter(tracer)
        name = invocation.function_name
        func_args = invocation.func_args
        known = cls._functions.get(name)
        if (
            known is not None
            and known.argument is not None
            and func_args.get(known.argument).__class__ is known.value_type
        ):
            trigger, trigger_value = known.trigger, func_args[known.argument]
        else:
            trigger, trigger_value = find_trigger(func_args)
            known = cls._learn(name, func_args, trigger, trigger_value)
        attributes = known.template.copy()
        attributes[FAAS_INVOCATION_ID] = invocation.invocation_id
        if cold:
            attributes[FAAS_COLDSTART] = True
        is_http = trigger == "http"
        if is_http:
            add_http_attributes(attributes, trigger_value, plan.redactor)
        span = tracer.tracer.start_invocation_span(name, attributes)
        context.tracer = data[_TRACER] = tracer
        data[_SPAN] = span
        data[_HTTP] = is_http
        data[_SAFETY_NET] = cls._safety_net(context, tracer.tracer, span, is_http)

    @classmethod
    def _on_post_invocation(cls, invocation: Invocation, result: Any) -> None:
        try:
            data = invocation.data
            span = data.get(_SPAN)
            if span is not None:
                if data[_HTTP]:
                    status = http.response_status(result, invocation.func_args)
                    if status is not None:
                        tracing.set_http_status(span, status)
                cls._end(invocation, span)
        finally:
            cls._leave(invocation)

    @classmethod
    def _on_invocation_error(cls, invocation: Invocation, exception: BaseException) -> None:
        try:
            span = invocation.data.get(_SPAN)
            if span is not None:
                if invocation.data[_HTTP]:
                    tracing.set_http_status(span, 500)  # what the worker answers
                recorder = invocation.data[_TRACER].tracer
                tracing.record_exception(span, exception, recorder.redactor)
                cls._end(invocation, span)
        finally:
            cls._leave(invocation)

    # -- helpers ----------------------------------------------------------------------------

    @classmethod
    def _learn(
        cls, name: str, func_args: Dict[str, Any], trigger: str, trigger_value: Any
    ) -> _Function:
        """What stays the same for every invocation of a function: which argument holds the
        trigger (its bindings are fixed), and the span attributes that only depend on the
        function (its name, trigger, the cloud), in their order."""
        argument = next((key for key, value in func_args.items() if value is trigger_value), None)
        known = _Function(
            argument if trigger_value is not None else None,
            type(trigger_value),
            trigger,
            {
                FAAS_NAME: name,
                FAAS_INVOCATION_ID: "",
                FAAS_TRIGGER: trigger,
                FAAS_COLDSTART: False,
                **_CLOUD,
            },
        )
        if len(cls._functions) < _MAX_FUNCTIONS:
            cls._functions[name] = known
        return known

    @classmethod
    def _end(cls, invocation: Invocation, span: Span) -> None:
        cls._pending.discard(invocation.data.get(_SAFETY_NET))
        attempt = retry_attempt(invocation.context)
        if attempt is not None:
            span.add_attribute(FAAS_RETRY_ATTEMPT, attempt)
        invocation.data[_TRACER].tracer.end_invocation(span)

    @classmethod
    def _leave(cls, invocation: Invocation) -> None:
        tracing.leave()
        context = invocation.context
        tracer = invocation.data.get(_TRACER)
        if tracer is not None and getattr(context, "tracer", None) is tracer:
            try:  # noqa: SIM105 (cheaper than contextlib.suppress on every invocation)
                del context.tracer
            except AttributeError:
                pass

    @classmethod
    def _safety_net(cls, context: Any, recorder: Any, span: Span, is_http: bool) -> Any:
        """A weak reference to the context whose callback ends the span as failed when
        the worker drops the invocation without a post or error hook (it raised).

        The callback holds the recorder and span, never the context.
        """

        def abandoned(reference: Any) -> None:
            cls._pending.discard(reference)
            if span.end_time is not None:
                return
            try:
                if is_http:
                    tracing.set_http_status(span, 500)
                tracing.set_failed(span, _ABANDONED_MESSAGE)
                recorder.end_invocation(span)
            except Exception:  # runs inside garbage collection: never raise
                cls.log.debug("Ending an abandoned invocation span failed", exc_info=True)

        try:
            reference = weakref.ref(context, abandoned)
        except TypeError:  # a context that cannot be weakly referenced: no safety net
            return None
        cls._pending.add(reference)
        return reference

    @classmethod
    def _warn_about_headers(
        cls, invocation: Invocation, incoming: Optional[propagation.Incoming], problem: str
    ) -> None:
        if incoming is None:
            cls.log.warning(
                "%s (invocation %s): ignoring the incoming traceparent %s: %s. Starting a new "
                "trace; outgoing calls carry a new, valid traceparent.",
                invocation.function_name,
                invocation.invocation_id,
                propagation.describe(traceparent.header_of(invocation.context)),
                problem,
            )
        else:
            cls.log.warning(
                "%s (invocation %s): dropping the incoming tracestate: %s. The trace "
                "continues without it.",
                invocation.function_name,
                invocation.invocation_id,
                problem,
            )
