"""The Azure Monitor exporter: ``opencensus.ext.azure``'s ``AzureExporter``, shaped for Functions.

``AzureExporter`` already queues spans and sends them from its own thread, so exporting
never blocks an invocation. We add telemetry processors so Application Insights shows
what the Functions host would: the Request item of an invocation is named after the
function (also the operation name), the cloud role is the function app, and an
exception's stack arrives in the field meant for text (``stack``), not ``parsedStack``,
which must be a list of frames. A bounded ``flush(timeout)`` waits for the exporter's
worker to send everything queued before it.
"""

from __future__ import annotations

import queue
import warnings
from typing import Any, Callable, Optional, Sequence

from opencensus.trace.base_exporter import Exporter
from opencensus.trace.span_data import SpanData
from python_worker_extension_framework.toolkit import ExtensionConfigError

from .attributes import FAAS_NAME, STACKTRACE
from .exporters import Counters, flush_worker_queue
from .options import Plan

ROLE_TAG = "ai.cloud.role"
OPERATION_NAME_TAG = "ai.operation.name"
_SUCCESS = 0  # opencensus.ext.azure.common.transport.TransportStatusCode.SUCCESS


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
