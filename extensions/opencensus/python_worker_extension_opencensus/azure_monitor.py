"""The Azure Monitor exporter: ``opencensus.ext.azure``'s ``AzureExporter``, shaped for Functions.

``AzureExporter`` already queues spans and sends them from its own thread, so exporting
never blocks an invocation. We add telemetry processors so Application Insights shows
what the Functions host would: the Request item of an invocation is named after the
function (also the operation name), the cloud role is the function app, and an
exception's stack arrives in the field meant for text (``stack``), not ``parsedStack``,
which must be a list of frames. A bounded ``flush(timeout)`` waits for the exporter's
worker to send everything queued before it.

``opencensus.ext.azure`` logs a line for every failed send and retry (ten in half a
second when the endpoint is down); those lines are let through at most once a minute,
the next one saying how many were held back, as our own export errors are.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import warnings
from typing import Any, Callable, Optional, Sequence

from opencensus.trace.base_exporter import Exporter
from opencensus.trace.span_data import SpanData
from python_worker_extension_framework.toolkit import ExtensionConfigError

from .attributes import FAAS_NAME, STACKTRACE
from .exporters import ERROR_LOG_INTERVAL_SECONDS, Counters, flush_worker_queue
from .options import Plan

ROLE_TAG = "ai.cloud.role"
OPERATION_NAME_TAG = "ai.operation.name"
_SUCCESS = 0  # opencensus.ext.azure.common.transport.TransportStatusCode.SUCCESS
# The modules of opencensus.ext.azure that log about sending (each has its own logger).
LIBRARY_LOGGERS = (
    "opencensus.ext.azure.common",
    "opencensus.ext.azure.common.transport",
    "opencensus.ext.azure.common.storage",
    "opencensus.ext.azure.common.processor",
    "opencensus.ext.azure.trace_exporter",
)


class OncePerMinute(logging.Filter):
    """Lets one warning-or-worse record through per ``interval`` seconds (all the
    library's loggers together) and counts the others; lower levels pass untouched."""

    def __init__(
        self,
        interval: float = ERROR_LOG_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.interval = interval
        self.clock = clock
        self.held_back = 0
        self._last: Optional[float] = None
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        with self._lock:
            now = self.clock()
            if self._last is not None and now - self._last < self.interval:
                self.held_back += 1
                return False
            self._last = now
            held, self.held_back = self.held_back, 0
        suffix = f"; {held} similar line(s) held back" if held else ""
        record.msg = (
            f"{record.msg} (Azure Monitor exporter{suffix}; its lines appear at most once a minute)"
        )
        return True


LIBRARY_LOG_FILTER = OncePerMinute()


def quiet_library_logs(log_filter: logging.Filter = LIBRARY_LOG_FILTER) -> None:
    """Put ``log_filter`` on each of ``opencensus.ext.azure``'s loggers (once)."""
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if log_filter not in logger.filters:
            logger.addFilter(log_filter)


def shape_envelope(cloud_role: Optional[str]) -> Callable[[Any], bool]:
    """The telemetry processor: role name, request names, exception stacks."""

    def process(envelope: Any) -> bool:
        if cloud_role:
            envelope.tags[ROLE_TAG] = cloud_role
        data = envelope.data
        base = data.baseData
        if data.baseType == "RequestData":
            properties = base.properties
            function_name = properties.get(FAAS_NAME)
            if function_name:
                base.name = function_name
                envelope.tags[OPERATION_NAME_TAG] = function_name
                properties.pop("request.name", None)
            properties.pop(STACKTRACE, None)  # it is in the Exception item already
        elif data.baseType == "ExceptionData":
            for details in base.exceptions:
                stack = details.get("parsedStack")
                if isinstance(stack, str):
                    details["stack"] = stack
                    del details["parsedStack"]
        return True

    return process


class AzureMonitorExporter(Exporter):  # type: ignore[misc]
    """``AzureExporter`` with the Functions shaping, ``flush(timeout)`` and ``close(timeout)``.

    Spans are put on the exporter's queue without waiting; when it is full they are
    dropped and counted. Each transmission's outcome is counted too (``written`` envelopes
    accepted, ``errors`` failed sends); ``AzureExporter`` itself logs why a send failed
    and, with local storage on, keeps the envelopes to retry.
    """

    def __init__(self, plan: Plan, counters: Optional[Counters] = None) -> None:
        # Imported here: it brings requests, azure-core and psutil, which only this needs.
        with warnings.catch_warnings():
            # Its utils module calls locale.getdefaultlocale() at import (deprecated in 3.11).
            warnings.simplefilter("ignore", DeprecationWarning)
            from opencensus.ext.azure.common import Options
            from opencensus.ext.azure.common.utils import validate_instrumentation_key
            from opencensus.ext.azure.trace_exporter import AzureExporter

        self.counters = counters or Counters()
        quiet_library_logs()
        options = plan.azure_exporter_options()
        try:
            # Checked before AzureExporter() runs: it starts its sending thread before
            # checking, and a failed one leaves that thread behind.
            validate_instrumentation_key(Options(**options).instrumentation_key)
            self.exporter = AzureExporter(**options)
        except ValueError as exc:
            # AzureExporter's messages do not say where to look; its inputs may hold keys.
            raise ExtensionConfigError(
                f"OpenCensusExtension: the Azure Monitor exporter rejected its settings "
                f"({exc}). Check the connection_string option or the app setting "
                "APPLICATIONINSIGHTS_CONNECTION_STRING: it looks like "
                "'InstrumentationKey=<uuid>;IngestionEndpoint=https://...'."
            ) from None
        self.exporter.add_telemetry_processor(shape_envelope(plan.cloud_role_name))
        self.exporter._transmit = self._counting(self.exporter._transmit)

    def _counting(self, transmit: Callable[[Any], Any]) -> Callable[[Any], Any]:
        counters = self.counters

        def counted(envelopes: Any) -> Any:
            status = transmit(envelopes)
            if status == _SUCCESS:
                counters.add(written=len(envelopes) if envelopes else 0)
            elif envelopes:
                counters.add(errors=1)
            return status

        return counted

    def export(self, span_datas: Sequence[SpanData]) -> None:
        spans = self.exporter._queue._queue
        for index, span_data in enumerate(span_datas):
            try:
                spans.put_nowait(span_data)
            except queue.Full:
                self.counters.failure(
                    "Queueing spans for Azure Monitor",
                    RuntimeError(f"the queue holds {spans.maxsize} spans already"),
                    len(span_datas) - index,
                )
                return

    def emit(self, span_datas: Sequence[SpanData]) -> None:
        self.export(span_datas)

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until everything queued so far has been sent."""
        return flush_worker_queue(self.exporter, timeout)

    def close(self, timeout: float) -> bool:
        """Flush (bounded), then let the exporter's worker and storage stop."""
        done = self.flush(timeout)
        self.exporter._stop(0)
        return done
