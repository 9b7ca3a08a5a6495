"""The in-function wrapper: every hook once per invocation on every platform configuration.

Each behaviour is checked under every ``WorkerLike`` configuration: the worker-identical
dispatcher simulating Python 3.9-3.12 with the setting on (the worker runs the chain), with
it off or unset (the worker runs nothing), and no dispatcher at all (the 3.13+ worker).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import typing
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Tuple

import azure.functions as func
import pytest
from azure.functions import AppExtensionBase
from python_worker_extension_framework import Dispatcher, Invocation, WorkerExtension
from python_worker_extension_framework.core.gating import SETTING
from python_worker_extension_framework.testing import (
    invoke,
    make_context,
    make_http_request,
)
from python_worker_extension_framework.toolkit import invocation_state as state
from python_worker_extension_framework.wrapper import _proxy as wrapper_module
from python_worker_extension_framework.wrapper import (
    is_wrapped,
    with_extensions,
)

from ..recorders import (
    FAILURE_ORDER,
    FUNCTION,
    LOAD_ORDER,
    SUCCESS_ORDER,
    Journal,
    counts,
    hooks,
    once_each,
)
from ..worker_like import (
    PY312_ON,
    PY313,
    PY313_SETTING_ON,
    OutValue,
    WorkerLike,
    index_like_worker,
    worker_arguments,
)

# -- every hook exactly once per invocation, on every configuration ---------------------------


def test_each_hook_runs_once_per_invocation(worker: WorkerLike, journal: Journal) -> None:
    @with_extensions
    def main(req: str) -> str:
        journal.append(("function",))
        return f"hello {req}"

    worker.load(FUNCTION)
    results = [worker.invoke(main, function_name=FUNCTION, req=str(n)) for n in range(3)]

    assert results == ["hello 0", "hello 1", "hello 2"]
    assert counts(journal) == {
        **once_each("load_app", "load_func"),
        **once_each("pre_app", "pre_func", "post_func", "post_app", times=3),
    }
    assert hooks(journal)[:10] == LOAD_ORDER + SUCCESS_ORDER


def test_error_phase_runs_once_and_the_exception_propagates_unchanged(
    worker: WorkerLike, journal: Journal
) -> None:
    failure = LookupError("no such item")

    @with_extensions
    def main(req: str) -> str:
        journal.append(("function",))
        raise failure

    worker.load(FUNCTION)
    with pytest.raises(LookupError, match="no such item") as raised:
        worker.invoke(main, function_name=FUNCTION, req="x")

    assert raised.value is failure
    assert hooks(journal) == LOAD_ORDER + FAILURE_ORDER
    assert [entry[2] for entry in journal if entry[0].startswith("error")] == [failure] * 3


def test_async_function_hooks_run_once(worker: WorkerLike, journal: Journal) -> None:
    loop_threads: List[int] = []

    @with_extensions
    async def main(req: str) -> str:
        await asyncio.sleep(0)
        loop_threads.append(threading.get_ident())
        journal.append(("function",))
        return req.upper()

    worker.load(FUNCTION)
    assert worker.invoke(main, function_name=FUNCTION, req="a") == "A"
    assert worker.invoke(main, function_name=FUNCTION, req="b") == "B"
    assert counts(journal) == {
        **once_each("load_app", "load_func"),
        **once_each("pre_app", "pre_func", "post_func", "post_app", times=2),
    }
    assert hooks(journal)[:10] == LOAD_ORDER + SUCCESS_ORDER


def test_async_function_error_phase(worker: WorkerLike, journal: Journal) -> None:
    failure = TimeoutError("upstream")

    @with_extensions
    async def main(req: str) -> None:
        journal.append(("function",))
        raise failure

    worker.load(FUNCTION)
    with pytest.raises(TimeoutError, match="upstream") as raised:
        worker.invoke(main, function_name=FUNCTION, req="x")
    assert raised.value is failure
    assert hooks(journal) == LOAD_ORDER + FAILURE_ORDER


def test_the_wrapper_runs_the_chain_exactly_where_the_worker_does_not(
    worker: WorkerLike, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran_by_wrapper: List[str] = []
    real_calls = wrapper_module._calls

    class SpyCalls:
        """The wrapper's view of the call loop, noting when it runs the whole chain."""

        def __getattr__(self, name: str) -> Any:
            return getattr(real_calls, name)

        def invocation(self, *args: Any, **kwargs: Any) -> Any:
            if kwargs.get("around", True):
                ran_by_wrapper.append("chain")
            return real_calls.invocation(*args, **kwargs)

    monkeypatch.setattr(wrapper_module, "_calls", SpyCalls())

    @with_extensions
    def main(req: str) -> str:
        return req

    worker.invoke(main, req="x")
    assert bool(ran_by_wrapper) is not worker.runs_extensions


def test_an_app_sees_the_same_hook_sequence_with_and_without_the_worker(
    monkeypatch: pytest.MonkeyPatch, journal: Journal
) -> None:
    monkeypatch.setenv(SETTING, "1")

    @with_extensions
    def main(req: str) -> str:
        journal.append(("function",))
        if req == "fail":
            raise ValueError(req)
        return req

    sequences = []
    for configuration in (PY312_ON, PY313_SETTING_ON):
        journal.clear()
        configuration.invoke(main, function_name=FUNCTION, req="ok")
        with pytest.raises(ValueError, match=r"^fail$"):
            configuration.invoke(main, function_name=FUNCTION, req="fail")
        sequences.append(
            [entry[:2] for entry in journal if entry[0] not in ("load_app", "load_func")]
        )
    assert sequences[0] == sequences[1]


def test_the_harness_error_phase_dispatcher_and_the_wrapper_run_error_hooks_once(
    extensions_enabled: None, journal: Journal
) -> None:
    @with_extensions
    def main() -> None:
        raise KeyError("k")

    record = invoke(
        main, capture_exception=True, function_name=FUNCTION
    )  # Dispatcher(error_phase=True)
    assert isinstance(record.exception, KeyError)
    assert counts(journal) == once_each(
        "load_func", "load_app", "pre_app", "pre_func", "error_func", "error_app"
    )


def test_hook_errors_are_logged_and_swallowed_when_the_wrapper_runs_the_chain(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(AppExtensionBase):
        @classmethod
        def pre_invocation_app_level(cls, *args: Any, **kwargs: Any) -> None:
            raise RuntimeError("pre hook broke")

        @classmethod
        def on_invocation_error_app_level(cls, *args: Any, **kwargs: Any) -> None:
            raise RuntimeError("error hook broke")

    @with_extensions
    def main(req: str) -> str:
        if req == "fail":
            raise ValueError("original")
        return req

    assert PY313.invoke(main, req="ok") == "ok"
    with pytest.raises(ValueError, match="original"):
        PY313.invoke(main, req="fail")
    broken = [r for r in caplog.records if r.name == "azure_functions_worker.extension.Broken"]
    assert [str(r.msg) for r in broken] == ["pre hook broke", "pre hook broke", "error hook broke"]


def test_pre_hooks_change_what_the_function_gets_and_see_context_in_func_args(
    worker: WorkerLike,
) -> None:
    seen: List[List[str]] = []

    class Rewriter(AppExtensionBase):
        @classmethod
        def pre_invocation_app_level(
            cls, logger: Any, context: Any, func_args: Dict[str, Any], *a: Any, **k: Any
        ) -> None:
            seen.append(sorted(func_args))
            func_args["req"] = func_args["req"] + "!"

    @with_extensions
    def main(req: str) -> str:
        return req

    assert worker.invoke(main, req="hi") == "hi!"
    assert seen == [["context", "req"]]


def test_state_and_marks_are_gone_after_every_invocation(worker: WorkerLike) -> None:
    notes: List[Any] = []

    class Keeper(WorkerExtension):
        @classmethod
        def _on_pre_invocation(cls, invocation: Invocation) -> None:
            invocation.data["started"] = invocation.invocation_id

        @classmethod
        def _on_post_invocation(cls, invocation: Invocation, result: Any) -> None:
            notes.append(("post", invocation.data.get("started"), invocation.saw_pre_hook))

        @classmethod
        def _on_invocation_error(cls, invocation: Invocation, exception: BaseException) -> None:
            notes.append(("error", invocation.data.get("started"), invocation.saw_pre_hook))

    @with_extensions
    def main(req: str) -> str:
        if req == "fail":
            raise ValueError(req)
        return req

    ok, failed = make_context(FUNCTION), make_context(FUNCTION)
    worker.invoke(main, ok, req="ok")
    with pytest.raises(ValueError, match=r"^fail$"):
        worker.invoke(main, failed, req="fail")
    assert notes == [("post", ok.invocation_id, True), ("error", failed.invocation_id, True)]
    for context in (ok, failed):
        assert state.owners(context) == {}
        assert not [name for name in vars(context) if "worker_ran_hooks" in name]


def test_sync_hooks_run_in_the_functions_thread(worker: WorkerLike) -> None:
    threads: List[Tuple[str, int]] = []

    class Where(AppExtensionBase):
        @classmethod
        def pre_invocation_app_level(cls, *args: Any, **kwargs: Any) -> None:
            threads.append(("pre", threading.get_ident()))

        @classmethod
        def on_invocation_error_app_level(cls, *args: Any, **kwargs: Any) -> None:
            threads.append(("error", threading.get_ident()))

    @with_extensions
    def main() -> None:
        threads.append(("function", threading.get_ident()))
        raise ValueError("x")

    with pytest.raises(ValueError, match=r"^x$"):
        worker.invoke(main)
    assert [name for name, _ in threads] == ["pre", "function", "error"]
    assert len({ident for _, ident in threads}) == 1


# -- load hooks -------------------------------------------------------------------------------


def test_load_hooks_run_once_when_first_invocations_race(journal: Journal) -> None:
    @with_extensions
    def main(req: int) -> int:
        return req

    barrier = threading.Barrier(8)

    def first_invocation(n: int) -> int:
        barrier.wait()
        return int(PY313.invoke(main, function_name=FUNCTION, req=n))

    with ThreadPoolExecutor(8) as pool:
        assert sorted(pool.map(first_invocation, range(8))) == list(range(8))
    assert counts(journal)["load_app:Alpha"] == 1
    assert counts(journal)["load_func:FunctionRecorder"] == 1
    assert counts(journal)["pre_app:Alpha"] == 8
    first_pre = hooks(journal).index("pre_app")
    assert set(hooks(journal)[first_pre:]).isdisjoint({"load_app", "load_func"})


def test_load_hooks_run_once_per_function_name_with_the_context_directory(journal: Journal) -> None:
    loads: List[Tuple[str, str]] = []

    class Loader(AppExtensionBase):
        @classmethod
        def post_function_load_app_level(cls, name: str, directory: str, *a: Any, **k: Any) -> None:
            loads.append((name, directory))

    @with_extensions
    def main() -> None:
        pass

    for name in ("first", "second", "first"):
        PY313.invoke(main, make_context(name, function_directory=f"/app/{name}"))
    assert loads == [("first", "/app/first"), ("second", "/app/second")]


def test_load_hooks_run_by_the_wrapper_when_the_worker_skipped_them_at_load(
    monkeypatch: pytest.MonkeyPatch, journal: Journal
) -> None:
    @with_extensions
    def main() -> None:
        pass

    monkeypatch.setenv(SETTING, "0")
    PY312_ON.load(FUNCTION)  # the setting was off when the function was loaded
    monkeypatch.setenv(SETTING, "1")
    PY312_ON.invoke(main, function_name=FUNCTION)
    PY312_ON.invoke(main, function_name=FUNCTION)
    assert counts(journal)["load_app:Alpha"] == 1
    assert counts(journal)["pre_app:Alpha"] == 2


# -- the signature the worker sees ------------------------------------------------------------


def test_without_context_the_signature_adds_it_and_the_function_gets_only_its_own(
    worker: WorkerLike,
) -> None:
    received: List[Dict[str, Any]] = []

    def original(req: func.HttpRequest) -> str:
        received.append(dict(req=req))
        return "ok"

    main = with_extensions(original)
    assert list(inspect.signature(main).parameters) == ["req", "context"]
    assert inspect.signature(main).parameters["context"].default is None
    assert (
        inspect.signature(main).return_annotation == inspect.signature(original).return_annotation
    )
    assert "context" not in typing.get_type_hints(main)
    indexed = index_like_worker(main, {"req": "in", "$return": "out"})
    assert indexed.requires_context and indexed.inputs == ("req",)

    request = make_http_request()
    assert worker.invoke(main, req=request) == "ok"
    assert received == [{"req": request}]


def test_declared_context_is_the_invocation_context(worker: WorkerLike) -> None:
    received: List[Any] = []

    def original(req: str, context: func.Context) -> str:
        received.append(context)
        return req

    main = with_extensions(original)
    assert inspect.signature(main) == inspect.signature(original)
    assert index_like_worker(main, {"req": "in"}).requires_context
    context = make_context(FUNCTION)
    worker.invoke(main, context, req="x")
    assert received == [context]


def test_output_bindings_are_passed_and_set(worker: WorkerLike) -> None:
    seen_by_hooks: List[Any] = []

    class Peek(AppExtensionBase):
        @classmethod
        def pre_invocation_app_level(
            cls, logger: Any, context: Any, func_args: Dict[str, Any], *a: Any, **k: Any
        ) -> None:
            seen_by_hooks.append(func_args["msg"])

    @with_extensions
    def main(req: str, msg: func.Out[str]) -> str:
        msg.set(f"queued {req}")
        return "accepted"

    indexed = index_like_worker(main, {"req": "in", "msg": "out", "$return": "out"})
    assert indexed.outputs == ("msg",) and indexed.inputs == ("req",)
    out: OutValue[str] = OutValue()
    assert worker.invoke(main, req="order-1", msg=out) == "accepted"
    assert out.get() == "queued order-1"
    assert seen_by_hooks == [out]


def test_async_functions_stay_coroutine_functions_and_run_on_the_loop() -> None:
    threads: List[int] = []

    async def original(req: str) -> str:
        threads.append(threading.get_ident())
        return req

    main = with_extensions(original)
    assert inspect.iscoroutinefunction(main)
    assert index_like_worker(main, {"req": "in"}).is_async
    assert not inspect.iscoroutinefunction(with_extensions(lambda: None))

    async def run() -> Tuple[str, int]:
        context = make_context(FUNCTION)
        args = worker_arguments(main, {"req": "x"}, context)
        result = await Dispatcher(error_phase=True).dispatch(main, args, context)
        return result, threading.get_ident()

    result, loop_thread = asyncio.run(run())
    assert result == "x" and threads == [loop_thread]


def test_the_worker_sees_the_users_name_file_and_docs() -> None:
    def http_trigger(req: str) -> str:
        """Answers hello."""
        return req

    main = with_extensions(http_trigger)
    assert main.__name__ == "http_trigger"
    assert main.__qualname__ == http_trigger.__qualname__
    assert main.__doc__ == "Answers hello."
    assert main.__module__ == __name__
    assert main.__wrapped__ is http_trigger  # type: ignore[attr-defined]
    # v2: the worker takes the function's folder from inspect.getfile (function_directory)
    assert inspect.getfile(main) == inspect.getfile(http_trigger) == __file__
    assert (
        index_like_worker(main, {"req": "in"}).directory
        == index_like_worker(http_trigger, {"req": "in"}).directory
    )


def test_keyword_only_parameters_and_kwargs_keep_a_valid_signature() -> None:
    @with_extensions
    def main(req: str, *, limit: int = 3, **extra: Any) -> Any:
        return req, limit, extra

    parameters = inspect.signature(main).parameters.values()
    assert [(p.name, p.kind.name) for p in parameters] == [
        ("req", "POSITIONAL_OR_KEYWORD"),
        ("limit", "KEYWORD_ONLY"),
        ("context", "KEYWORD_ONLY"),
        ("extra", "VAR_KEYWORD"),
    ]
    context = make_context(FUNCTION)
    assert main(req="r", limit=1, other=2, context=context) == ("r", 1, {"other": 2})


def test_direct_calls_without_a_context_run_no_hook(journal: Journal) -> None:
    @with_extensions
    def main(req: str, greeting: str = "hello") -> str:
        return f"{greeting} {req}"

    assert main("you") == "hello you"
    assert main("you", "hi") == "hi you"
    assert main(req="you", context=None) == "hello you"
    assert journal == []


def test_positional_calls_with_a_context_run_the_chain(journal: Journal) -> None:
    @with_extensions
    def main(req: str) -> str:
        return req

    @with_extensions
    def declared(req: str, context: func.Context) -> Any:
        return context

    context = make_context(FUNCTION)
    assert main("x", context) == "x"
    assert declared("x", context) is context
    assert counts(journal)["pre_app:Alpha"] == 2


def test_a_binding_named_context_is_passed_through_with_one_warning(
    caplog: pytest.LogCaptureFixture, journal: Journal
) -> None:
    @with_extensions
    def orchestrator(context: str) -> str:
        return context.upper()

    # what the worker passes when ``context`` is a binding: the binding's value
    assert orchestrator(context="payload") == "PAYLOAD"
    assert orchestrator(context="again") == "AGAIN"
    assert journal == []
    warnings = [r for r in caplog.records if "is not the invocation context" in r.getMessage()]
    assert len(warnings) == 1


def test_parameters_the_worker_cannot_pass_by_name_are_refused() -> None:
    def positional_only(req: str, /) -> None: ...

    def star_args(*args: Any) -> None: ...

    with pytest.raises(TypeError, match=r"with_extensions: parameter 'req' of .*positional_only"):
        with_extensions(positional_only)
    with pytest.raises(TypeError, match="parameter 'args'"):
        with_extensions(star_args)
    with pytest.raises(TypeError, match="with_extensions: expected a function, got int"):
        with_extensions(42)  # type: ignore[type-var]


def test_wrapping_twice_is_harmless() -> None:
    @with_extensions()
    def main() -> None: ...

    assert with_extensions(main) is main and is_wrapped(main)
    assert list(inspect.signature(main).parameters) == ["context"]
