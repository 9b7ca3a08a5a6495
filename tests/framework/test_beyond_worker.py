"""What the dispatcher and base class do beyond the worker: error phase, checks, filters, views."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, List

import pytest
from azure.functions import AppExtensionBase
from python_worker_extension_framework import (
    Dispatcher,
    ExtensionDefinitionWarning,
    HookTrace,
    Invocation,
    WorkerExtension,
    format_hook_chain,
    hook_chain,
)
from python_worker_extension_framework.core._attributes import STATE as STATE_PREFIX
from python_worker_extension_framework.testing import invoke, make_context
from python_worker_extension_framework.toolkit import invocation_state as state


class Recorder(WorkerExtension):
    """Records every step it sees; redefined per test by the registry isolation."""


def make_recorder(calls: List[Any], name: str = "Recorder") -> type:
    def pre(cls: Any, invocation: Invocation) -> None:
        invocation.data["marker"] = invocation.invocation_id
        calls.append(("pre", name, invocation.function_name))

    def post(cls: Any, invocation: Invocation, result: Any) -> None:
        calls.append(("post", name, result, invocation.data.get("marker")))

    def error(cls: Any, invocation: Invocation, exception: BaseException) -> None:
        calls.append(("error", name, exception, invocation.data.get("marker")))

    return type(
        name,
        (WorkerExtension,),
        {
            "__module__": __name__,
            "_on_pre_invocation": classmethod(pre),
            "_on_post_invocation": classmethod(post),
            "_on_invocation_error": classmethod(error),
        },
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
    with pytest.raises(KeyError) as raised:
        Dispatcher(error_phase=True).invoke(main, {}, context)
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

    with pytest.raises(RuntimeError):
        Dispatcher().invoke(main, {}, make_context("f"))
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

    with pytest.raises(ValueError):
        Dispatcher(error_phase=True).invoke(main, {}, make_context("f"))
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
        Dispatcher(error_phase=True).invoke(main, {}, make_context("f"))
    assert any("error hook broke" in r.getMessage() for r in caplog.records)


def test_async_function_error_phase(extensions_enabled: None) -> None:
    calls: List[Any] = []
    make_recorder(calls)

    async def main() -> None:
        raise LookupError("async failure")

    record = invoke(main, capture_exception=True)
    assert isinstance(record.exception, LookupError)
    assert [c[0] for c in calls] == ["pre", "error"]


def test_state_lives_on_the_context_and_is_gone_after_post_and_error(
    extensions_enabled: None,
) -> None:
    make_recorder([])
    ok = invoke(lambda: "fine", capture_exception=True)
    failed = invoke(lambda: 1 / 0, capture_exception=True)
    assert isinstance(failed.exception, ZeroDivisionError)
    assert state.owners(ok.context) == {} and state.owners(failed.context) == {}
    assert not [name for name in vars(ok.context) if name.startswith(STATE_PREFIX)]


def test_state_without_error_phase_stays_only_on_the_dead_context(extensions_enabled: None) -> None:
    recorder = make_recorder([])
    context = make_context("f")
    with pytest.raises(ZeroDivisionError):
        Dispatcher().invoke(lambda: 1 / 0, {}, context)
    assert list(state.owners(context)) == [recorder._state_key]
    assert not any(
        isinstance(v, dict) and v for k, v in vars(recorder).items() if not k.startswith("__")
    )


def test_32_concurrent_invocations_each_see_their_own_state(extensions_enabled: None) -> None:
    calls: List[Any] = []
    lock = threading.Lock()

    class Pairing(WorkerExtension):
        @classmethod
        def _on_pre_invocation(cls, invocation: Invocation) -> None:
            invocation.data["id"] = invocation.invocation_id

        @classmethod
        def _on_post_invocation(cls, invocation: Invocation, result: Any) -> None:
            with lock:
                calls.append((invocation.data["id"], result))

    barrier = threading.Barrier(32)

    def main(context: Any) -> str:
        barrier.wait(timeout=10)
        return str(context.invocation_id)

    dispatcher = Dispatcher()

    def one(i: int) -> None:
        context = make_context("f", invocation_id=f"inv-{i}")
        dispatcher.invoke(main, {"context": context}, context)

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(one, range(32)))
    assert len(calls) == 32
    assert all(seen == returned for seen, returned in calls)


def test_async_hook_in_subclass_warns_at_definition() -> None:
    with pytest.warns(
        ExtensionDefinitionWarning, match=r"AsyncPre\.pre_invocation_app_level is 'async def'"
    ):

        class AsyncPre(WorkerExtension):
            @classmethod
            async def pre_invocation_app_level(cls, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
                pass


def test_hook_that_cannot_take_worker_arguments_warns_at_definition() -> None:
    with pytest.warns(
        ExtensionDefinitionWarning, match=r"Narrow\.post_invocation_app_level cannot accept"
    ):

        class Narrow(WorkerExtension):
            @classmethod
            def post_invocation_app_level(cls, logger: Any, context: Any) -> None:  # type: ignore[override]
                pass


def test_misspelled_hook_name_warns_with_the_right_name() -> None:
    with pytest.warns(ExtensionDefinitionWarning, match="'pre_invocation_app_level'"):

        class Typo(WorkerExtension):
            @classmethod
            def pre_invokation_app_level(cls, *args: Any) -> None:
                pass


def test_function_level_hook_name_on_app_extension_warns() -> None:
    with pytest.warns(ExtensionDefinitionWarning, match="name it 'post_invocation_app_level'"):

        class WrongScope(WorkerExtension):
            @classmethod
            def post_invocation(cls, *args: Any) -> None:
                pass


def test_correct_extension_defines_without_warnings(recwarn: pytest.WarningsRecorder) -> None:
    make_recorder([], "Clean")
    assert not [w for w in recwarn if issubclass(w.category, ExtensionDefinitionWarning)]


@pytest.mark.parametrize(
    ("options", "function_name", "expected"),
    [
        ({"only": ["HttpTrigger"]}, "httptrigger", True),
        ({"only": ["HttpTrigger"]}, "other", False),
        ({"exclude": "health"}, "Health", False),
        ({"exclude": "health"}, "orders", True),
        ({"only": lambda name: name.startswith("api_")}, "api_users", True),
        ({"only": lambda name: name.startswith("api_")}, "timer", False),
    ],
)
def test_function_filters(
    extensions_enabled: None, options: Any, function_name: str, expected: bool
) -> None:
    calls: List[Any] = []
    recorder = make_recorder(calls)
    recorder.configure(**options)
    invoke(lambda: None, function_name=function_name)
    assert bool(calls) is expected


def test_bad_filter_value_is_rejected_at_configure() -> None:
    recorder = make_recorder([])
    with pytest.raises(ValueError, match=r"Recorder.configure\(only=...\): option 'only'.*strings"):
        recorder.configure(only=["a", 3])


def test_hook_chain_view_lists_extensions_in_order_with_their_hooks() -> None:
    make_recorder([], "First")

    class Second(WorkerExtension):
        @classmethod
        def _on_post_invocation(cls, invocation: Invocation, result: Any) -> None:
            pass

    Second.configure(exclude=["health"])
    chain = hook_chain("health")
    assert [(e.extension, e.applies) for e in chain] == [("First", True), ("Second", False)]
    assert chain[1].hooks == ["post_invocation"]
    table = format_hook_chain("health")
    assert "First" in table and "pre_invocation, post_invocation, invocation_error" in table


def test_trace_reports_time_per_extension_hook(extensions_enabled: None) -> None:
    make_recorder([], "Timed")
    trace = HookTrace()
    Dispatcher().invoke(lambda: None, {}, make_context("f"), trace=trace)
    assert trace.names() == [
        ("pre_invocation_app_level", "Timed"),
        ("post_invocation_app_level", "Timed"),
    ]
    assert all(call.seconds >= 0 for call in trace.calls)
    assert set(trace.seconds_by_extension()) == {"Timed"}


def test_extension_logger_is_customer_visible() -> None:
    recorder = make_recorder([])
    assert not recorder.log.name.startswith("azure_functions_worker")
    assert recorder.log.name == __name__.split(".")[0]
    assert isinstance(recorder.log, logging.Logger)
