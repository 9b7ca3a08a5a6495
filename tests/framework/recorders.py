"""Extensions that record the hooks they see, and helpers to read what they recorded."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from azure.functions import AppExtensionBase, FuncExtensionBase
from python_worker_extension_framework import Invocation, WorkerExtension

Journal = List[Tuple[Any, ...]]


FUNCTION = "f"


def app_recorder(name: str, journal: Journal) -> type:
    """A third-party style app-level extension with every hook, the error hook included."""

    def load(cls: type, function_name: str, directory: str, *a: Any, **k: Any) -> None:
        journal.append(("load_app", name, function_name))

    def pre(cls: type, logger: Any, context: Any, func_args: Any, *a: Any, **k: Any) -> None:
        journal.append(("pre_app", name, context.function_name))

    def post(cls: type, logger: Any, context: Any, args: Any, ret: Any, *a: Any, **k: Any) -> None:
        journal.append(("post_app", name, ret))

    def error(cls: type, logger: Any, context: Any, args: Any, exc: Any, *a: Any, **k: Any) -> None:
        journal.append(("error_app", name, exc))

    return type(
        name,
        (AppExtensionBase,),
        {
            "post_function_load_app_level": classmethod(load),
            "pre_invocation_app_level": classmethod(pre),
            "post_invocation_app_level": classmethod(post),
            "on_invocation_error_app_level": classmethod(error),
        },
    )


class FunctionRecorder(FuncExtensionBase):
    """A v1 function-level extension (bound to one function folder) with the error hook."""

    def __init__(self, file_path: str, journal: Journal) -> None:
        super().__init__(file_path)
        self.journal = journal

    def post_function_load(self, function_name: str, directory: str, *a: Any, **k: Any) -> None:
        self.journal.append(("load_func", "FunctionRecorder", function_name))

    def pre_invocation(self, logger: Any, context: Any, args: Any, *a: Any, **k: Any) -> None:
        self.journal.append(("pre_func", "FunctionRecorder", context.function_name))

    def post_invocation(
        self, logger: Any, context: Any, args: Any, ret: Any, *a: Any, **k: Any
    ) -> None:
        self.journal.append(("post_func", "FunctionRecorder", ret))

    def on_invocation_error(
        self, logger: Any, context: Any, args: Any, exc: Any, *a: Any, **k: Any
    ) -> None:
        self.journal.append(("error_func", "FunctionRecorder", exc))


def hooks(journal: Journal) -> List[str]:
    return [entry[0] for entry in journal]


def counts(journal: Journal) -> Dict[str, int]:
    found: Dict[str, int] = {}
    for entry in journal:
        if entry[0] != "function":
            key = f"{entry[0]}:{entry[1]}"
            found[key] = found.get(key, 0) + 1
    return found


def once_each(*names: str, times: int = 1) -> Dict[str, int]:
    return {
        f"{hook}:{ext}": times
        for hook in names
        for ext in (("FunctionRecorder",) if hook.endswith("_func") else ("Alpha", "Beta"))
    }


SUCCESS_ORDER = [
    "pre_app",
    "pre_app",
    "pre_func",
    "function",
    "post_func",
    "post_app",
    "post_app",
]


LOAD_ORDER = ["load_func", "load_app", "load_app"]


FAILURE_ORDER = [
    "pre_app",
    "pre_app",
    "pre_func",
    "function",
    "error_func",
    "error_app",
    "error_app",
]


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
