"""Each test gets RequestLoggingExtension alone in an isolated registry, freshly reset,
with extensions enabled, and helpers that run a function and return our log records."""

from __future__ import annotations

import logging
from typing import Any, Callable, Iterator, List

import pytest
from python_worker_extension_framework.testing import InvocationRecord, invoke, registered
from python_worker_extension_request_logging import LOGGER_NAME, RequestLoggingExtension


@pytest.fixture(autouse=True)
def extension(extensions_enabled: None) -> Iterator[type[RequestLoggingExtension]]:
    with registered(RequestLoggingExtension):
        RequestLoggingExtension.reset()
        yield RequestLoggingExtension
    RequestLoggingExtension.reset()


def request_logs(record: InvocationRecord) -> List[logging.LogRecord]:
    """The records the extension emitted during one invocation."""
    return [r for r in record.records if r.name == LOGGER_NAME]


RunFunction = Callable[..., List[logging.LogRecord]]


@pytest.fixture
def run() -> RunFunction:
    """``run(function, **func_args)``: invoke through the dispatcher (error phase on) and
    return the extension's log records."""

    def run_function(function: Callable[..., Any], **kwargs: Any) -> List[logging.LogRecord]:
        return request_logs(invoke(function, capture_exception=True, **kwargs))

    return run_function
