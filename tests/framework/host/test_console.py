"""What the host prints at start-up: warnings about what would differ in Azure, with fixes."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, List

from python_worker_extension_framework.host.console import start_warnings
from python_worker_extension_framework.host.loader import FunctionSpec
from python_worker_extension_framework.host.settings import AppSettings
from python_worker_extension_framework.wrapper import with_extensions

ENABLED = {"PYTHON_ENABLE_WORKER_EXTENSIONS": "1"}


def spec(name: str, function: Callable[..., Any]) -> FunctionSpec:
    return FunctionSpec(
        name=name,
        directory="/app",
        script_file="/app/function_app.py",
        function=function,
        bindings=[{"type": "httpTrigger", "name": "req", "direction": "in"}],
        model="v2",
    )


def wrap_warnings(functions: List[FunctionSpec], python_version: Any) -> List[str]:
    settings = AppSettings(app_dir=Path("/app"), values=dict(ENABLED), has_local_settings=True)
    return [
        warning
        for warning in start_warnings(settings, python_version, functions)
        if "runs no worker extensions" in warning
    ]


def plain(req: Any) -> str:
    return "plain"


def test_python_313_app_with_every_function_wrapped_gets_no_wrap_warning() -> None:
    functions = [spec("first", with_extensions(plain)), spec("second", with_extensions(plain))]
    assert wrap_warnings(functions, (3, 13)) == []


def test_python_313_warning_names_the_functions_that_are_not_wrapped() -> None:
    functions = [spec("wrapped", with_extensions(plain)), spec("bare", plain)]
    (warning,) = wrap_warnings(functions, (3, 13))
    assert warning.startswith("Python 3.13: the Azure Functions worker for 3.13 and later")
    assert "(bare not wrapped)" in warning and "wrapped," not in warning
    assert "Fix: wrap the app with ExtensionsFunctionApp or wrap_app (v2)" in warning


def test_python_313_without_a_function_list_still_warns() -> None:
    assert len(wrap_warnings([], (3, 13))) == 1


def test_python_312_never_gets_the_wrap_warning() -> None:
    assert wrap_warnings([spec("bare", plain)], (3, 12)) == []
