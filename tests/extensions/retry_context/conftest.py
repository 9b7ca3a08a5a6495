"""Each test gets RetryContextExtension alone in an isolated registry, freshly reset, with
extensions enabled and none of its app settings inherited from the machine."""

from __future__ import annotations

import logging
import os
from typing import Any, Iterator, List, Tuple

import pytest
from python_worker_extension_framework.testing import InvocationRecord, RetryOutcome, registered
from python_worker_extension_retry_context import (
    APP_SETTING_PREFIX,
    LOGGER_NAME,
    RetryContextExtension,
)


@pytest.fixture(autouse=True)
def extension(
    extensions_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[type[RetryContextExtension]]:
    for name in list(os.environ):
        if name.startswith(APP_SETTING_PREFIX):
            monkeypatch.delenv(name)
    with registered(RetryContextExtension):
        RetryContextExtension.reset()
        yield RetryContextExtension
    RetryContextExtension.reset()


def retry_logs(record: Any) -> List[logging.LogRecord]:
    """The records the extension emitted (an ``InvocationRecord`` or a ``RetryOutcome``)."""
    assert isinstance(record, (InvocationRecord, RetryOutcome))
    return [r for r in record.records if r.name == LOGGER_NAME]


def retry_lines(record: Any) -> List[str]:
    return [r.getMessage() for r in retry_logs(record)]


class Calls:
    """A callback that records its arguments."""

    def __init__(self) -> None:
        self.calls: List[Tuple[Any, ...]] = []

    def __call__(self, *args: Any) -> None:
        self.calls.append(args)
