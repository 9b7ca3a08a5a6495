"""Every extension records a failed invocation once the function is wrapped, on every platform.

The three configurations that matter in production (see the framework readme's behaviour
matrix): the Python 3.9-3.12 worker with extensions enabled (it runs pre and post hooks but
no post hook when the function raises; the wrapper adds the error phase), the same worker
with the setting off (it runs nothing; the wrapper runs the whole chain), and the 3.13+
worker (no extensions at all; the wrapper runs the whole chain). In each, a raising HTTP
function wrapped with ``with_extensions`` must leave each extension's record of the failure,
exactly once, and the exception must reach the worker unchanged.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Callable, Iterator, List

import azure.functions as func
import pytest
from python_worker_extension_framework.gating import SETTING
from python_worker_extension_framework.testing import make_http_request, registered
from python_worker_extension_framework.wrapper import with_extensions
from python_worker_extension_timer import LOGGER_NAME as TIMER_LOGGER
from python_worker_extension_timer import TimerExtension

from ..framework.worker_like import PY312_OFF, PY312_ON, PY313, WorkerLike

CONFIGURATIONS = (PY312_ON, PY312_OFF, PY313)
FUNCTION = "Checkout"


class Captured(logging.Handler):
    """Every record that reaches the root logger during the test."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self, logger_name: str) -> List[str]:
        return [r.getMessage() for r in self.records if r.name.startswith(logger_name)]


@pytest.fixture
def captured() -> Iterator[Captured]:
    handler = Captured()
    root = logging.getLogger()
    saved_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_level)


@pytest.fixture(params=CONFIGURATIONS, ids=[c.name for c in CONFIGURATIONS])
def worker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> WorkerLike:
    configuration: WorkerLike = request.param
    if configuration.setting is not None:
        monkeypatch.setenv(SETTING, configuration.setting)
    return configuration


def failing_function() -> Callable[..., Any]:
    @with_extensions
    def main(req: func.HttpRequest) -> func.HttpResponse:
        raise KeyError("sku-42")

    return main


def raise_through(worker: WorkerLike, function: Callable[..., Any]) -> KeyError:
    request = make_http_request("POST", f"http://localhost:7071/api/{FUNCTION}", body=b"{}")
    with pytest.raises(KeyError) as raised:
        worker.invoke(function, function_name=FUNCTION, req=request)
    return raised.value


def test_timer_times_a_failed_invocation_once(worker: WorkerLike, captured: Captured) -> None:
    with registered(TimerExtension):
        TimerExtension.reset()
        TimerExtension.configure(append_to_http_response=True)
        exception = raise_through(worker, failing_function())
    assert exception.args == ("sku-42",)
    lines = captured.messages(TIMER_LOGGER)
    assert len(lines) == 1, lines
    assert re.fullmatch(
        rf"Time taken to execute {FUNCTION} is [0-9.e-]+ sec \(raised KeyError\)", lines[0]
    )
