"""An extension that raises in every hook and one that is slow change no function's
result, and the four extensions around them still do all their work."""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, List

import azure.functions as func
from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.testing import make_context, make_http_request
from python_worker_extension_opencensus import CapturingExporter

from .conftest import four_extensions, marked_function


class RaisingExtension(func.AppExtensionBase):
    """Raises in every hook the worker and the framework call."""

    @classmethod
    def post_function_load_app_level(cls, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("load hook broke")

    @classmethod
    def pre_invocation_app_level(cls, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("pre hook broke")

    @classmethod
    def post_invocation_app_level(cls, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("post hook broke")

    @classmethod
    def on_invocation_error_app_level(cls, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("error hook broke")


class SlowExtension(func.AppExtensionBase):
    """Takes 20 ms in each invocation hook, as a slow exporter call would."""

    @classmethod
    def pre_invocation_app_level(cls, *args: Any, **kwargs: Any) -> None:
        time.sleep(0.02)

    @classmethod
    def post_invocation_app_level(cls, *args: Any, **kwargs: Any) -> None:
        time.sleep(0.02)


THREADS = 8
PER_THREAD = 10


def test_broken_and_slow_extensions_change_nothing_else() -> None:
    exporter = CapturingExporter()
    dispatcher = Dispatcher(error_phase=True, python_version=(3, 12))
    outcomes: Dict[str, Any] = {}
    guard = threading.Lock()

    def work(thread: int) -> None:
        for i in range(PER_THREAD):
            marker = f"t{thread}-{i}"
            fail = i % 4 == 0
            query = f"marker={marker}" + ("&fail=1" if fail else "")
            request = make_http_request("GET", f"http://127.0.0.1/api/mixed?{query}")
            context = make_context("mixed", retry_count=0, max_retry_count=1)
            try:
                result: Any = dispatcher.invoke(
                    marked_function, {"req": request, "context": context}, context
                )
            except ValueError as exc:
                result = exc
            with guard:
                outcomes[marker] = (fail, result)

    with four_extensions(
        exporter, keep_records=True, before=[RaisingExtension], after=[SlowExtension]
    ) as installed:
        dispatcher.load_function("mixed", "/app")
        threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        records = installed.logs.request_logs()
        broken: List[str] = [
            r.getMessage()
            for r in installed.logs.records
            if r.name.startswith("azure_functions_worker") and "broke" in r.getMessage()
        ]

    total = THREADS * PER_THREAD
    failing = sum(1 for fail, _ in outcomes.values() if fail)
    assert len(outcomes) == total
    for marker, (fail, result) in outcomes.items():
        if fail:
            assert isinstance(result, ValueError) and str(result) == f"failure {marker}"
        else:
            body = result.get_body().decode()
            assert body.startswith(f"marker={marker} (TimeElapsed: "), body
    # The others still ran for every invocation.
    assert len(records) == total
    assert len([s for s in exporter.spans if s.name == "mixed"]) == total
    # Each broken hook was logged (and swallowed) every time it ran: the load hook once,
    # pre on every invocation, post on successes, the error hook on failures.
    assert broken.count("pre hook broke") == total
    assert broken.count("post hook broke") == total - failing
    assert broken.count("error hook broke") == failing
