"""One configuration's OpenTelemetry pipeline: tracer, span processor, metrics, log export.

Built by ``configure()``, switched in as a whole, and shut down (bounded) when replaced or
at host shutdown. Metrics are the FaaS semantic conventions' ``faas.invocations``,
``faas.errors`` and ``faas.coldstarts`` (counted in a small locked table and reported by
observable counters) and the ``faas.invoke_duration`` histogram (aggregated in the same
table and put into each collection by our reader, see ``metrics``), each per ``faas.name``
and ``faas.trigger``: an invocation costs one locked table update instead of SDK
instrument calls.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, List, Optional, Tuple

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits, SpanProcessor
from opentelemetry.sdk.trace import Tracer as SdkTracer
from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Tracer

from . import attributes, providers, redacting
from .batching import QueueingSpanProcessor
from .exporters import LOGGER_NAME, NOISY_LOGGERS, Backend, FailureLog, QuietFilter, build_backend
from .feed import FeedingProcessor
from .invocation_span import InvocationSpans
from .light_tracer import light_tracer
from .options import Plan
from .sampling import InvocationSampler
from .version import VERSION

INSTRUMENTATION_SCOPE = "python_worker_extension_opentelemetry"
# Loggers (and their children) whose records are not exported as the app's logs: the SDK's
# and exporters' own (no loops), and the worker's and local host's system logs.
_NOT_EXPORTED = (
    "opentelemetry",
    "azure.monitor",
    "azure.core",
    "urllib3",
    "azure_functions_worker",
    "funcext",
    "uvicorn",
)


def run_bounded(action: Callable[[], Any], timeout: float) -> bool:
    """Run ``action`` on a daemon thread and wait at most ``timeout`` seconds for it."""
    outcome: List[bool] = []

    def target() -> None:
        try:
            result = action()
            outcome.append(result is not False)
        except Exception:
            outcome.append(False)

    worker = threading.Thread(target=target, name="otel-extension-flush", daemon=True)
    worker.start()
    worker.join(max(timeout, 0.0))
    return bool(outcome) and outcome[0]


class _NotOurs(logging.Filter):
    """Keeps the SDK's, the exporters' and the host's own records out of the log export."""

    def filter(self, record: logging.LogRecord) -> bool:
        name = record.name
        return not any(name == n or name.startswith(n + ".") for n in _NOT_EXPORTED)


class Telemetry:
    """The tracer, processor, meter and log handler of one configuration."""

    def __init__(self, plan: Plan, failures: FailureLog) -> None:
        self.plan = plan
        self.failures = failures
        # Every span and log record this configuration exports, or shows on the dashboard,
        # is masked by it (see ``redacting``).
        self.redaction = redacting.SpanRedaction(redacting.redactor_for(plan.redact_names))
        self.backend: Optional[Backend] = build_backend(plan, failures, self.redaction)
        self.resource = Resource.create(
            {
                "service.name": plan.service_name,
                "service.version": VERSION,
                **attributes.cloud_attributes(),
            }
        )
        self.tally: Any = None  # a metrics.Tally when metrics are recorded
        self.processor: Optional[SpanProcessor] = None
        self.sdk_provider: Optional[SdkTracerProvider] = None
        self.limits: Optional[SpanLimits] = None  # our provider's
        self.slot: Optional[providers.SwitchingProcessor] = None
        # Starts the invocation span on our own provider (None on a foreign one).
        self.spans: Optional[InvocationSpans] = None
        self.meter_provider: Any = None
        self.owns_meter_provider = False
        self.log_handler: Optional[logging.Handler] = None
        self.log_provider: Any = None
        self.quiet = QuietFilter(failures)
        if self.backend is not None:
            self.processor = QueueingSpanProcessor(
                self.backend.spans,
                max_queue_size=plan.queue_size,
                max_export_batch_size=min(512, plan.queue_size),
            )
        # Every span also reaches the framework's span feed (the local dashboard), exported
        # or not: the processor is always there, a no-op where nobody listens.
        self.processor = FeedingProcessor(self.processor, self.redaction)
        self.tracer = self._tracer()
        self.duration: Any = None
        if plan.metrics:
            self._metrics()
        if plan.export_logs and self.backend is not None and self.backend.logs is not None:
            self._logs(self.backend.logs)

    # -- set-up -------------------------------------------------------------------------------

    def _tracer(self) -> Tracer:
        foreign = providers.foreign_provider()
        if foreign is not None:  # the worker's (or the app's): reuse, add our processor
            if self.plan.left_to_worker:
                logging.getLogger(LOGGER_NAME).info(
                    "OpenTelemetryExtension: the worker's OpenTelemetry mode already sends "
                    "to this Application Insights resource; spans and metrics go through "
                    "its providers and are not exported a second time."
                )
            if self.processor is not None:
                self.slot = providers.processor_slot(foreign)
            if isinstance(self.processor, FeedingProcessor):
                # Its exporters are not ours: mask what a span starts with, at the source.
                self.processor.mask_at_start = True
            return foreign.get_tracer(INSTRUMENTATION_SCOPE, VERSION)
        # The provider's parts are built here and handed to it, so the invocation span
        # (``InvocationSpans``) and the user's light spans (``light_tracer``) use the very
        # sampler, limits (read from the environment once, as the SDK does) and active
        # processor its tracers use: a processor a user adds to this provider sees them too.
        sampler = InvocationSampler(self.plan.sampling_ratio)
        limits = SpanLimits()
        active = providers.ActiveProcessor()
        self.sdk_provider = SdkTracerProvider(
            sampler=sampler,
            resource=self.resource,
            shutdown_on_exit=False,
            active_span_processor=active,
            span_limits=limits,
        )
        if self.processor is not None:
            self.sdk_provider.add_span_processor(self.processor)
        self.limits = limits
        tracer = self.sdk_provider.get_tracer(INSTRUMENTATION_SCOPE, VERSION)
        if isinstance(tracer, SdkTracer):  # not when OTEL_SDK_DISABLED=true (a no-op tracer)
            self.spans = InvocationSpans(
                active,
                sampler,
                self.sdk_provider.id_generator,
                limits,
                self.sdk_provider.resource,
                InstrumentationScope(INSTRUMENTATION_SCOPE, VERSION, None, None),
                tracer.instrumentation_info,
            )
        return tracer

    def light_tracer(self, *args: Any, **kwargs: Any) -> Tracer:
        """What user code gets from ``trace.get_tracer(...)`` (same arguments) while this
        configuration is in use on its own provider: a tracer of light spans
        (``light_tracer``), as light as the invocation span."""
        assert self.sdk_provider is not None and self.limits is not None
        sdk_tracer = self.sdk_provider.get_tracer(*args, **kwargs)
        attributes = args[3] if len(args) > 3 else kwargs.get("attributes")
        return light_tracer(sdk_tracer, self.limits, attributes)

    def _metrics(self) -> None:
        backend = self.backend
        configured = providers.foreign_meter_provider()
        foreign = configured is not None
        if (backend is None or backend.metrics is None) and not foreign:
            return  # nowhere to send metrics: record none (the SDK is not even imported)
        from opentelemetry.sdk.metrics import MeterProvider

        from .metrics import (
            DURATION_DESCRIPTION,
            DURATION_NAME,
            DURATION_UNIT,
            DurationReader,
            Tally,
        )

        self.tally = Tally()
        if backend is not None and backend.metrics is not None:
            reader = DurationReader(
                backend.metrics,
                self.plan.metric_export_interval * 1000.0,
                self.tally,
                InstrumentationScope(INSTRUMENTATION_SCOPE, VERSION, None, None),
                self.resource,
                self._drain,
            )
            self.meter_provider = MeterProvider(metric_readers=[reader], resource=self.resource)
            self.owns_meter_provider = True
        else:  # the worker's distro set one up: our instruments go there
            self.meter_provider = configured
        meter = self.meter_provider.get_meter(INSTRUMENTATION_SCOPE, VERSION)
        self.duration = meter.create_histogram(
            DURATION_NAME, unit=DURATION_UNIT, description=DURATION_DESCRIPTION
        )
        meter.create_observable_counter(
            "faas.invocations",
            callbacks=[self.tally.observe(0)],
            unit="{invocation}",
            description="Number of invocations",
        )
        meter.create_observable_counter(
            "faas.errors",
            callbacks=[self.tally.observe(1)],
            unit="{error}",
            description="Number of invocation errors",
        )
        meter.create_observable_counter(
            "faas.coldstarts",
            callbacks=[self.tally.observe(2)],
            unit="{coldstart}",
            description="Number of invocation cold starts",
        )

    def _logs(self, exporter: Any) -> None:
        from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler

        class _NonBlockingHandler(LoggingHandler):
            """``logging`` flushes handlers while holding its module lock (``dictConfig``,
            ``logging.shutdown``); the SDK's flush waits for the export thread, which may
            need that lock to log: a deadlock. Export is flushed by ``flush()`` instead."""

            def flush(self) -> None:
                pass

        from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

        self.log_provider = LoggerProvider(resource=self.resource, shutdown_on_exit=False)
        self.log_provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
        handler = _NonBlockingHandler(level=logging.NOTSET, logger_provider=self.log_provider)
        handler.addFilter(_NotOurs())
        self.log_handler = handler

    def record(self, key: Tuple[str, str], seconds: float, failed: bool, cold: bool) -> None:
        """Count one finished invocation of ``key`` and its duration (see ``metrics``)."""
        tally = self.tally
        if tally is None:
            return
        now = tally.add(key, seconds, failed, cold)
        if now is not None:
            self.duration.record(seconds, now)

    def _drain(self) -> None:
        duration = self.duration
        if duration is not None:
            for attrs, seconds in self.tally.drain():
                duration.record(seconds, attrs)

    # -- switching --------------------------------------------------------------------------

    def activate(self) -> None:
        """Make this configuration the one spans, metrics and logs go to."""
        switching = providers.switching_provider() if self.sdk_provider is not None else None
        if switching is not None:
            # User spans are light where the invocation span is (not with the SDK disabled).
            switching.use(self.sdk_provider, self.light_tracer if self.spans is not None else None)
        redacting.use(self.redaction)  # for the instrumentations' request hooks
        # Our meter provider becomes the user's too, unless the worker (or the app) set one.
        meters = providers.switching_meter_provider() if self.owns_meter_provider else None
        if meters is not None:
            meters.current = self.meter_provider
        if self.slot is not None:
            self.slot.current = self.processor
        if self.log_handler is not None:
            logging.getLogger().addHandler(self.log_handler)
        if self.backend is not None:
            for name in NOISY_LOGGERS:
                logging.getLogger(name).addFilter(self.quiet)

    def deactivate(self, timeout: float) -> None:
        """Stop routing to this configuration and shut it down within ``timeout`` seconds."""
        switching = providers.switching_provider() if self.sdk_provider is not None else None
        if switching is not None and switching.current is self.sdk_provider:
            switching.use(None)
        meters = providers.switching_meter_provider() if self.owns_meter_provider else None
        if meters is not None and meters.current is self.meter_provider:
            meters.current = None
        if self.slot is not None and self.slot.current is self.processor:
            self.slot.current = None
        if self.log_handler is not None:
            logging.getLogger().removeHandler(self.log_handler)
        for name in NOISY_LOGGERS:
            logging.getLogger(name).removeFilter(self.quiet)
        run_bounded(self._shutdown, timeout)

    def _shutdown(self) -> None:
        if self.sdk_provider is not None:
            self.sdk_provider.shutdown()  # type: ignore[no-untyped-call]
        elif self.processor is not None:
            self.processor.shutdown()
        if self.owns_meter_provider and self.meter_provider is not None:
            self.meter_provider.shutdown()
        if self.log_provider is not None:
            self.log_provider.shutdown()

    def flush(self, timeout: float) -> bool:
        """Export what is queued (spans, metrics, logs) within ``timeout`` seconds."""
        millis = int(max(timeout, 0.0) * 1000)

        def everything() -> bool:
            done = True
            if self.processor is not None:
                done = self.processor.force_flush(millis) and done
            if self.owns_meter_provider and self.meter_provider is not None:
                done = bool(self.meter_provider.force_flush(millis)) and done
            if self.log_provider is not None:
                done = bool(self.log_provider.force_flush(millis)) and done
            return done

        return run_bounded(everything, timeout)
