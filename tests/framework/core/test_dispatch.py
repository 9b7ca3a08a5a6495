"""The dispatcher beyond the worker: the error phase, the trace of hook calls, and the chain
run ungated."""

from __future__ import annotations

from typing import Any, List

import pytest
from azure.functions import AppExtensionBase
from python_worker_extension_framework import (
    Dispatcher,
    HookTrace,
    Invocation,
    WorkerExtension,
)
from python_worker_extension_framework.core.gating import SETTING
from python_worker_extension_framework.testing import (
    invoke,
    make_context,
)

from ..recorders import (
    FUNCTION,
    LOAD_ORDER,
    SUCCESS_ORDER,
    Journal,
    counts,
    hooks,
    make_recorder,
)


def test_error_phase_calls_error_hooks_and_exception_propagates_unchanged(
    extensions_enabled: None,
) -> None:
    calls: List[Any] = []
    make_recorder(calls)
    failure = KeyError("missing")

    def main() -> None:
        raise failure

    context = make_context("f")
    with pytest.raises(KeyError, match="missing") as raised:
        Dispatcher(error_phase=True, python_version=(3, 12)).invoke(main, {}, context)
    assert raised.value is failure
    assert calls == [
        ("pre", "Recorder", "f"),
        ("error", "Recorder", failure, context.invocation_id),
    ]


def test_error_phase_is_off_by_default_as_in_the_worker(extensions_enabled: None) -> None:
    calls: List[Any] = []
    make_recorder(calls)

    def main() -> None:
        raise RuntimeError("x")

    with pytest.raises(RuntimeError, match=r"^x$"):
        Dispatcher(python_version=(3, 12)).invoke(main, {}, make_context("f"))
    assert [c[0] for c in calls] == ["pre"]


def test_error_phase_runs_for_third_party_extensions_with_the_hook(
    extensions_enabled: None,
) -> None:
    seen: List[Any] = []

    class ThirdParty(AppExtensionBase):
        @classmethod
        def on_invocation_error_app_level(
            cls, logger: Any, context: Any, func_args: Any, exc: Any, *a: Any, **k: Any
        ) -> None:
            seen.append((logger.name, exc.args))

    def main() -> None:
        raise ValueError("bad")

    with pytest.raises(ValueError, match=r"^bad$"):
        Dispatcher(error_phase=True, python_version=(3, 12)).invoke(main, {}, make_context("f"))
    assert seen == [("azure_functions_worker.extension.ThirdParty", ("bad",))]


def test_error_hook_that_raises_does_not_replace_the_function_exception(
    extensions_enabled: None, caplog: pytest.LogCaptureFixture
) -> None:
    class BadErrorHook(WorkerExtension):
        @classmethod
        def _on_invocation_error(cls, invocation: Invocation, exception: BaseException) -> None:
            raise RuntimeError("error hook broke")

    def main() -> None:
        raise ValueError("original")

    with pytest.raises(ValueError, match="original"):
        Dispatcher(error_phase=True, python_version=(3, 12)).invoke(main, {}, make_context("f"))
    assert any("error hook broke" in r.getMessage() for r in caplog.records)


def test_async_function_error_phase(extensions_enabled: None) -> None:
    calls: List[Any] = []
    make_recorder(calls)

    async def main() -> None:
        raise LookupError("async failure")

    record = invoke(
        main,
        capture_exception=True,
        dispatcher=Dispatcher(error_phase=True, python_version=(3, 12)),
    )
    assert isinstance(record.exception, LookupError)
    assert [c[0] for c in calls] == ["pre", "error"]


def test_trace_reports_time_per_extension_hook(extensions_enabled: None) -> None:
    make_recorder([], "Timed")
    trace = HookTrace()
    Dispatcher(python_version=(3, 12)).invoke(lambda: None, {}, make_context("f"), trace=trace)
    assert trace.names() == [
        ("pre_invocation_app_level", "Timed"),
        ("post_invocation_app_level", "Timed"),
    ]
    assert all(call.seconds >= 0 for call in trace.calls)
    assert set(trace.seconds_by_extension()) == {"Timed"}


def test_ungated_dispatcher_runs_hooks_whatever_the_setting(journal: Journal) -> None:
    chain = Dispatcher(environ={SETTING: "0"}, python_version=(3, 13), gated=False)
    assert chain.enabled()
    chain.load_function(FUNCTION, "/app")
    chain.invoke(lambda: journal.append(("function",)), {}, make_context(FUNCTION))
    assert hooks(journal) == LOAD_ORDER + SUCCESS_ORDER


def test_nested_error_phase_dispatchers_run_the_error_hooks_once(
    extensions_enabled: None, journal: Journal
) -> None:
    failure = ValueError("once")
    outer = Dispatcher(error_phase=True, python_version=(3, 12))
    inner = Dispatcher(error_phase=True, gated=False)
    context = make_context(FUNCTION)

    def failing() -> None:
        raise failure

    def main() -> None:
        inner.invoke(failing, {}, context)

    with pytest.raises(ValueError, match=r"^once$"):
        outer.invoke(main, {}, context)
    assert counts(journal)["error_app:Alpha"] == 1
    # a later failure on the same context is a new one: its error hooks run
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        outer.invoke(lambda: 1 / 0, {}, context)
    assert counts(journal)["error_app:Alpha"] == 2
