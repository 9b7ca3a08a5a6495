"""All four extensions configured together, their output captured without pytest's help.

Load tests run many thousands of invocations: log records go to small handlers of our own
on each extension's logger (not propagated, so pytest's log capture holds nothing), and
spans go to the exporter the test chooses.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Sequence

import azure.functions as func
import pytest
from opencensus.trace import execution_context
from python_worker_extension_framework.testing import registered
from python_worker_extension_opencensus import OpenCensusExtension
from python_worker_extension_request_logging import LOGGER_NAME as REQUEST_LOGGER
from python_worker_extension_request_logging import RECORD_ATTRIBUTE, RequestLoggingExtension
from python_worker_extension_retry_context import LOGGER_NAME as RETRY_LOGGER
from python_worker_extension_retry_context import RetryContextExtension
from python_worker_extension_timer import LOGGER_NAME as TIMER_LOGGER
from python_worker_extension_timer import TimerExtension

ALL_FOUR = (TimerExtension, RequestLoggingExtension, OpenCensusExtension, RetryContextExtension)
LOGGERS = (TIMER_LOGGER, REQUEST_LOGGER, RETRY_LOGGER, "azure_functions_worker")


class Collector(logging.Handler):
    """Keeps records (``keep=True``) or only counts them by logger, thread-safely."""

    def __init__(self, keep: bool) -> None:
        super().__init__(logging.DEBUG)
        self.keep = keep
        self.records: List[logging.LogRecord] = []
        self.counts: Dict[str, int] = {}
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        record.getMessage()  # format as a real handler would
        with self._guard:
            self.counts[record.name] = self.counts.get(record.name, 0) + 1
            if self.keep:
                self.records.append(record)

    def count(self, prefix: str) -> int:
        return sum(n for name, n in self.counts.items() if name.startswith(prefix))

    def request_logs(self) -> List[Dict[str, Any]]:
        return [getattr(r, RECORD_ATTRIBUTE) for r in self.records if r.name == REQUEST_LOGGER]


@dataclass
class FourExtensions:
    logs: Collector
    final_failures: int = 0  # a count, not a list: the soak test must not retain per call


@contextlib.contextmanager
def four_extensions(
    exporter: Any, keep_records: bool, before: Sequence[type] = (), after: Sequence[type] = ()
) -> Iterator[FourExtensions]:
    """The four extensions registered and configured as an app would configure them, with
    ``before`` and ``after`` registered around them (imported earlier and later)."""
    collector = Collector(keep_records)
    state = FourExtensions(collector)
    saved: List[tuple] = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate))
        logger.setLevel(logging.INFO)
        logger.propagate = False
        logger.addHandler(collector)
    execution_context.clean()
    try:
        with registered(*before, *ALL_FOUR, *after):
            for extension in ALL_FOUR:
                extension.reset()
            TimerExtension.configure(append_to_http_response=True)
            RequestLoggingExtension.configure(format="json")
            OpenCensusExtension.configure(exporter=exporter, trace_requests=False)

            def count_final_failure(info: Any, context: Any, exception: BaseException) -> None:
                state.final_failures += 1

            RetryContextExtension.configure(on_final_failure=count_final_failure)
            yield state
            OpenCensusExtension.flush(10.0)
            for extension in ALL_FOUR:
                extension.reset()
    finally:
        for logger, level, propagate in saved:
            logger.removeHandler(collector)
            logger.setLevel(level)
            logger.propagate = propagate
        execution_context.clean()


def marked_function(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    """Echoes its marker, opens a user span, and raises when asked (``fail=1``)."""
    marker = req.params["marker"]
    with context.tracer.span("work") as span:  # type: ignore[attr-defined]
        span.add_attribute("marker", marker)
        if req.params.get("fail") == "1":
            raise ValueError(f"failure {marker}")
    return func.HttpResponse(f"marker={marker}")


@pytest.fixture(autouse=True)
def _extensions_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_ENABLE_WORKER_EXTENSIONS", "1")
    monkeypatch.setenv("APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL", "true")
    monkeypatch.delenv("APPLICATIONINSIGHTS_CONNECTION_STRING", raising=False)
