"""The dispatcher reproduces the worker's behaviour: each test names, with
``@pytest.mark.contract("Cn")``, the point of docs/worker-contract.md it proves."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, List, Set

import pytest
from azure.functions import AppExtensionBase, ExtensionMeta, FuncExtensionBase
from azure.functions.extension import FunctionExtensionException
from python_worker_extension_framework import Dispatcher, WorkerExtension
from python_worker_extension_framework.testing import make_context

# The worker-identical dispatcher as on Python 3.12, where the worker runs extensions when the
# setting is on: the contract tests mean that worker whichever Python runs them.
PY312 = (3, 12)


def recording_extension(name: str, calls: List[Any]) -> type:
    """A third-party style extension (plain ``AppExtensionBase``) that records its hooks."""

    def pre(cls: type, logger: Any, context: Any, func_args: Any, *args: Any, **kw: Any) -> None:
        calls.append(("pre_app", name, logger.name, threading.get_ident()))

    def post(
        cls: type, logger: Any, context: Any, func_args: Any, ret: Any, *a: Any, **k: Any
    ) -> None:
        calls.append(("post_app", name, ret, threading.get_ident()))

    def load(cls: type, function_name: str, function_directory: str, *a: Any, **k: Any) -> None:
        calls.append(("load_app", name, function_name, function_directory))

    return type(
        name,
        (AppExtensionBase,),
        {
            "pre_invocation_app_level": classmethod(pre),
            "post_invocation_app_level": classmethod(post),
            "post_function_load_app_level": classmethod(load),
        },
    )


class _FuncRecorder(FuncExtensionBase):
    def __init__(self, file_path: str, calls: List[Any]) -> None:
        super().__init__(file_path)
        self.calls = calls

    def post_function_load(
        self, function_name: str, function_directory: str, *a: Any, **k: Any
    ) -> None:
        self.calls.append(("load_func", function_name))

    def pre_invocation(self, logger: Any, context: Any, func_args: Any, *a: Any, **k: Any) -> None:
        self.calls.append(("pre_func", logger.name))

    def post_invocation(
        self, logger: Any, context: Any, func_args: Any, ret: Any, *a: Any, **k: Any
    ) -> None:
        self.calls.append(("post_func", ret))


@pytest.fixture
def func_extension_root(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AzureWebJobsScriptRoot", str(tmp_path))
    (tmp_path / "HttpTrigger").mkdir()
    return tmp_path


@pytest.mark.contract("C12")
def test_hooks_run_app_pre_function_pre_function_post_app_post(
    extensions_enabled: None, func_extension_root: Any
) -> None:
    calls: List[Any] = []
    recording_extension("First", calls)
    _FuncRecorder(str(func_extension_root / "HttpTrigger" / "__init__.py"), calls)

    def main() -> str:
        calls.append(("function",))
        return "done"

    result = Dispatcher(python_version=PY312).invoke(main, {}, make_context("HttpTrigger"))
    assert result == "done"
    assert [c[0] for c in calls] == ["pre_app", "pre_func", "function", "post_func", "post_app"]


@pytest.mark.contract("C4")
def test_app_level_hooks_run_in_import_order(extensions_enabled: None) -> None:
    calls: List[Any] = []
    for name in ("Alpha", "Beta", "Gamma"):
        recording_extension(name, calls)
    Dispatcher(python_version=PY312).invoke(lambda: None, {}, make_context("f"))
    assert [c[1] for c in calls if c[0] == "pre_app"] == ["Alpha", "Beta", "Gamma"]
    assert [c[1] for c in calls if c[0] == "post_app"] == ["Alpha", "Beta", "Gamma"]


@pytest.mark.contract("C13")
def test_hooks_get_positional_arguments_whatever_their_parameter_names(
    extensions_enabled: None,
) -> None:
    seen: List[Any] = []

    class OddNames(AppExtensionBase):
        @classmethod
        def pre_invocation_app_level(cls, a: Any, b: Any, c: Any) -> None:  # type: ignore[override]
            seen.append((a, b, c))

    context = make_context("f")
    args: dict[str, Any] = {}
    Dispatcher(python_version=PY312).invoke(lambda: None, args, context)
    assert seen[0][1] is context and seen[0][2] is args
    assert isinstance(seen[0][0], logging.Logger)


@pytest.mark.contract("C13")
def test_hook_logger_is_named_after_the_extension_under_the_worker(
    extensions_enabled: None,
) -> None:
    calls: List[Any] = []
    recording_extension("NamedOne", calls)
    Dispatcher(python_version=PY312).invoke(lambda: None, {}, make_context("f"))
    assert calls[0][2] == "azure_functions_worker.extension.NamedOne"


@pytest.mark.contract("C15")
def test_pre_hook_mutating_func_args_changes_what_the_function_gets(
    extensions_enabled: None,
) -> None:
    class Injector(AppExtensionBase):
        @classmethod
        def pre_invocation_app_level(
            cls, logger: Any, context: Any, func_args: Any, *a: Any, **k: Any
        ) -> None:
            func_args["name"] = "injected"

    assert (
        Dispatcher(python_version=PY312).invoke(
            lambda name: name, {"name": "original"}, make_context("f")
        )
        == "injected"
    )


@pytest.mark.contract("C16")
def test_post_hook_sees_raw_result_and_its_return_value_is_ignored(
    extensions_enabled: None,
) -> None:
    class Mutator(AppExtensionBase):
        @classmethod
        def post_invocation_app_level(
            cls, logger: Any, context: Any, func_args: Any, ret: Any, *a: Any, **k: Any
        ) -> Any:
            ret.append("touched")
            return "ignored"

    result = Dispatcher(python_version=PY312).invoke(lambda: ["raw"], {}, make_context("f"))
    assert result == ["raw", "touched"]


@pytest.mark.contract("C17")
def test_hook_exception_is_logged_on_its_logger_and_chain_goes_on(
    extensions_enabled: None, caplog: pytest.LogCaptureFixture
) -> None:
    calls: List[Any] = []

    class Broken(AppExtensionBase):
        @classmethod
        def pre_invocation_app_level(cls, *args: Any, **kwargs: Any) -> None:
            raise RuntimeError("hook broke")

    recording_extension("After", calls)
    with caplog.at_level(logging.ERROR):
        result = Dispatcher(python_version=PY312).invoke(lambda: "ran", {}, make_context("f"))
    assert result == "ran"
    assert [c[0] for c in calls] == ["pre_app", "post_app"]
    broken = [r for r in caplog.records if r.name == "azure_functions_worker.extension.Broken"]
    assert len(broken) == 1 and broken[0].exc_info is not None
    assert "hook broke" in broken[0].getMessage()


@pytest.mark.contract("C18")
def test_post_hooks_do_not_run_when_function_raises(extensions_enabled: None) -> None:
    calls: List[Any] = []
    recording_extension("Rec", calls)

    def boom() -> None:
        raise ValueError("function failed")

    with pytest.raises(ValueError, match="function failed"):
        Dispatcher(python_version=PY312).invoke(boom, {}, make_context("f"))
    assert [c[0] for c in calls] == ["pre_app"]


@pytest.mark.contract("C19")
def test_async_hook_is_called_but_never_awaited(extensions_enabled: None) -> None:
    ran: List[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        class AsyncHook(AppExtensionBase):
            @classmethod
            async def pre_invocation_app_level(cls, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
                ran.append("body")

        Dispatcher(python_version=PY312).invoke(lambda: None, {}, make_context("f"))
    assert ran == []


@pytest.mark.contract("C7")
@pytest.mark.parametrize("value", ["1", "true", "TRUE", "t", "yes", "Y"])
def test_truthy_setting_enables_hooks(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PYTHON_ENABLE_WORKER_EXTENSIONS", value)
    calls: List[Any] = []
    recording_extension("Gate", calls)
    Dispatcher(python_version=(3, 11)).invoke(lambda: None, {}, make_context("f"))
    assert len(calls) == 2


@pytest.mark.contract("C7")
@pytest.mark.parametrize("value", ["0", "false", "no", "off", "", None])
def test_other_values_and_unset_disable_hooks_on_311(
    monkeypatch: pytest.MonkeyPatch, value: Any
) -> None:
    if value is not None:
        monkeypatch.setenv("PYTHON_ENABLE_WORKER_EXTENSIONS", value)
    calls: List[Any] = []
    recording_extension("Gate", calls)
    Dispatcher(python_version=(3, 11)).invoke(lambda: None, {}, make_context("f"))
    assert calls == []


@pytest.mark.contract("C7")
def test_unset_setting_enables_hooks_on_python_39_only() -> None:
    calls: List[Any] = []
    recording_extension("Gate", calls)
    Dispatcher(python_version=(3, 9), environ={}).invoke(lambda: None, {}, make_context("f"))
    assert len(calls) == 2
    Dispatcher(python_version=(3, 10), environ={}).invoke(lambda: None, {}, make_context("f"))
    assert len(calls) == 2


@pytest.mark.contract("C9")
def test_python_313_runs_no_extensions_even_when_enabled() -> None:
    calls: List[Any] = []
    recording_extension("Gate", calls)
    env = {"PYTHON_ENABLE_WORKER_EXTENSIONS": "1"}
    Dispatcher(python_version=(3, 13), environ=env).invoke(lambda: None, {}, make_context("f"))
    assert calls == []


@pytest.mark.contract("C8")
def test_setting_is_read_on_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: List[Any] = []
    recording_extension("Gate", calls)
    dispatcher = Dispatcher(python_version=(3, 11))
    dispatcher.invoke(lambda: None, {}, make_context("f"))
    monkeypatch.setenv("PYTHON_ENABLE_WORKER_EXTENSIONS", "1")
    dispatcher.invoke(lambda: None, {}, make_context("f"))
    monkeypatch.setenv("PYTHON_ENABLE_WORKER_EXTENSIONS", "0")
    dispatcher.invoke(lambda: None, {}, make_context("f"))
    assert len(calls) == 2


@pytest.mark.contract("C20")
def test_sync_function_runs_with_its_hooks_in_one_pool_thread(extensions_enabled: None) -> None:
    calls: List[Any] = []
    recording_extension("Threads", calls)
    function_thread: List[int] = []

    def main() -> str:
        function_thread.append(threading.get_ident())
        return "ok"

    async def run() -> Any:
        with ThreadPoolExecutor(2) as pool:
            return await Dispatcher(python_version=PY312).dispatch(
                main, {}, make_context("f"), executor=pool
            )

    assert asyncio.run(run()) == "ok"
    threads = {calls[0][3], calls[1][3], function_thread[0]}
    assert len(threads) == 1 and threading.get_ident() not in threads


@pytest.mark.contract("C20")
def test_async_function_runs_with_hooks_inline_on_the_loop_thread(extensions_enabled: None) -> None:
    calls: List[Any] = []
    recording_extension("Loop", calls)
    function_thread: List[int] = []

    async def main() -> str:
        function_thread.append(threading.get_ident())
        await asyncio.sleep(0)
        return "ok"

    async def run() -> Any:
        loop_thread = threading.get_ident()
        result = await Dispatcher(python_version=PY312).dispatch(main, {}, make_context("f"))
        return result, loop_thread

    result, loop_thread = asyncio.run(run())
    assert result == "ok"
    assert {calls[0][3], calls[1][3], function_thread[0]} == {loop_thread}
    assert calls[1][2] == "ok"


@pytest.mark.contract("C10")
def test_load_hooks_run_function_level_then_app_level_with_two_arguments(
    extensions_enabled: None, func_extension_root: Any
) -> None:
    calls: List[Any] = []
    recording_extension("Loader", calls)
    _FuncRecorder(str(func_extension_root / "HttpTrigger" / "__init__.py"), calls)
    Dispatcher(python_version=PY312).load_function("HttpTrigger", "/app/HttpTrigger")
    assert calls == [
        ("load_func", "HttpTrigger"),
        ("load_app", "Loader", "HttpTrigger", "/app/HttpTrigger"),
    ]


@pytest.mark.contract("C10")
def test_load_hooks_are_gated_too() -> None:
    calls: List[Any] = []
    recording_extension("Loader", calls)
    Dispatcher(environ={}, python_version=(3, 11)).load_function("f", "/app")
    assert calls == []


@pytest.mark.contract("C5")
def test_function_level_extension_matches_function_name_case_insensitively(
    extensions_enabled: None, func_extension_root: Any
) -> None:
    calls: List[Any] = []
    _FuncRecorder(str(func_extension_root / "HttpTrigger" / "__init__.py"), calls)
    Dispatcher(python_version=PY312).invoke(lambda: None, {}, make_context("HTTPTRIGGER"))
    Dispatcher(python_version=PY312).invoke(lambda: None, {}, make_context("OtherFunction"))
    assert [c[0] for c in calls] == ["pre_func", "post_func"]
    assert calls[0][1] == "azure_functions_worker.extension._FuncRecorder"


@pytest.mark.contract("C5")
def test_function_level_extension_never_matches_in_v2_model(
    extensions_enabled: None, func_extension_root: Any
) -> None:
    calls: List[Any] = []
    _FuncRecorder(str(func_extension_root / "function_app.py"), calls)
    Dispatcher(python_version=PY312).invoke(lambda: None, {}, make_context("http_trigger"))
    assert calls == []
    assert (
        "function_app.py"
        in json.loads(ExtensionMeta.get_registered_extensions_json())["FuncExtension"]
    )


@pytest.mark.contract("C2")
def test_app_extensions_cannot_be_instantiated() -> None:
    ext = recording_extension("Static", [])
    with pytest.raises(FunctionExtensionException, match="should not beinstantiable"):
        ext()


@pytest.mark.contract("C4")
def test_every_extension_lands_in_all_three_app_hook_lists() -> None:
    class OnlyPre(AppExtensionBase):
        @classmethod
        def pre_invocation_app_level(cls, *args: Any, **kwargs: Any) -> None:
            pass

    hooks = ExtensionMeta.get_application_hooks()
    assert hooks is not None
    for hook_list in hooks:
        assert [h.ext_name for h in hook_list] == ["OnlyPre"]


@pytest.mark.contract("C1", "C3")
def test_framework_base_class_is_not_registered_but_subclasses_are() -> None:
    class Mine(WorkerExtension):
        pass

    registered = json.loads(ExtensionMeta.get_registered_extensions_json())
    assert registered["AppExtension"] == ["Mine"]
    assert "WorkerExtension" not in ExtensionMeta.get_registered_extensions_json()


@pytest.mark.contract("C3")
def test_framework_base_defines_no_registration_in_a_fresh_process(tmp_path: Any) -> None:
    import subprocess
    import sys

    code = (
        "import json, azure.functions as f\n"
        "import python_worker_extension_framework\n"
        "print(f.ExtensionMeta.get_registered_extensions_json())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == {}


@pytest.mark.contract("C21")
def test_pre_hook_function_and_post_hook_share_one_context_object(
    extensions_enabled: None,
) -> None:
    seen: List[Any] = []

    class Stash(AppExtensionBase):
        @classmethod
        def pre_invocation_app_level(
            cls, logger: Any, context: Any, func_args: Any, *a: Any, **k: Any
        ) -> None:
            context.stashed = "from pre"

        @classmethod
        def post_invocation_app_level(
            cls, logger: Any, context: Any, func_args: Any, ret: Any, *a: Any, **k: Any
        ) -> None:
            seen.append((context, context.stashed))

    def main(context: Any) -> Any:
        return context

    context = make_context("f")
    returned = Dispatcher(python_version=PY312).invoke(main, {"context": context}, context)
    assert returned is context
    assert seen == [(context, "from pre")]


@pytest.mark.contract("C7")
def test_function_is_called_directly_when_extensions_disabled() -> None:
    calls: List[Any] = []
    recording_extension("Off", calls)
    assert (
        Dispatcher(environ={}, python_version=(3, 11)).invoke(
            lambda x: x * 2, {"x": 21}, make_context("f")
        )
        == 42
    )
    assert calls == []
    assert os.environ.get("PYTHON_ENABLE_WORKER_EXTENSIONS") is None


CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "worker-contract.md"


def contract_points() -> Set[str]:
    """The points docs/worker-contract.md states, as it numbers them (``- **C7** ...``)."""
    return set(re.findall(r"^- \*\*(C\d+)\*\* ", CONTRACT.read_text(encoding="utf-8"), re.M))


def test_every_test_here_names_a_point_the_contract_states() -> None:
    points = contract_points()
    assert len(points) >= 30, "docs/worker-contract.md lost its numbered points"
    tests = {
        name: value
        for name, value in globals().items()
        if name.startswith("test_")
        and name != "test_every_test_here_names_a_point_the_contract_states"
    }
    assert tests
    for name, test in tests.items():
        named = [
            point
            for mark in getattr(test, "pytestmark", [])
            if mark.name == "contract"
            for point in mark.args
        ]
        assert named, f"{name} names no point of docs/worker-contract.md"
        assert set(named) <= points, (
            f"{name} names {sorted(set(named) - points)}, not in the contract"
        )
