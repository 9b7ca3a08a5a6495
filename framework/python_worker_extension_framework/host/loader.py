"""Loads a function app folder as the Python worker does, in either programming model.

- **v2**: a ``function_app.py`` (or ``PYTHON_SCRIPT_FILE_NAME``) at the app root is imported
  as a top-level module with the app root on ``sys.path``; exactly one
  ``azure.functions.FunctionRegister`` (a ``FunctionApp``, blueprints registered on it) must
  be defined at module level, and its functions and bindings come from ``get_functions()``.
- **v1**: every sub-folder with a ``function.json`` is a function. Its ``scriptFile``
  (default ``__init__.py``) is imported as ``__app__.<Folder>``, under a namespace package
  ``__app__`` rooted at the app folder, so ``from __app__.shared_code import x``, relative
  imports (``from ..shared_code import x``) and, with the app root on ``sys.path``,
  ``from shared_code import x`` all work as in Azure. ``entryPoint`` defaults to ``main``.

Any failure raises ``AppLoadError`` naming the file and line; nothing is half-loaded.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import os
import sys
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from .. import retry_policy
from ..core import is_async_function

V2_SCRIPT_SETTING = "PYTHON_SCRIPT_FILE_NAME"
V2_DEFAULT_SCRIPT = "function_app.py"
V1_PACKAGE = "__app__"


class AppLoadError(Exception):
    """The app cannot be loaded; the message names the file, the line and the cause."""


@dataclass
class FunctionSpec:
    """One loaded function: its callable and what its bindings say about it (each derived
    fact is computed once, at load, not on every request)."""

    name: str
    directory: str
    script_file: str
    function: Callable[..., Any]
    bindings: List[Dict[str, Any]]
    model: str  # "v1" or "v2"
    retry: Optional[retry_policy.RetryPolicy] = None
    parameters: List[str] = field(default_factory=list)

    @functools.cached_property
    def trigger(self) -> Dict[str, Any]:
        for binding in self.bindings:
            if str(binding.get("type", "")).lower().endswith("trigger"):
                return binding
        return {}

    @functools.cached_property
    def trigger_type(self) -> str:
        return str(self.trigger.get("type", ""))

    @functools.cached_property
    def is_http(self) -> bool:
        return self.trigger_type.lower() == "httptrigger"

    @functools.cached_property
    def is_timer(self) -> bool:
        return self.trigger_type.lower() == "timertrigger"

    @functools.cached_property
    def is_async(self) -> bool:
        return is_async_function(self.function)

    @functools.cached_property
    def declares_context(self) -> bool:
        return "context" in self.parameters

    @functools.cached_property
    def methods(self) -> Optional[List[str]]:
        """Allowed HTTP methods, upper-case; ``None`` allows every method."""
        methods = self.trigger.get("methods")
        if not methods:
            return None
        return [str(method).upper() for method in methods]

    @functools.cached_property
    def route(self) -> str:
        route = self.trigger.get("route")
        return str(route).strip("/") if route else self.name

    @functools.cached_property
    def output_bindings(self) -> List[Dict[str, Any]]:
        return [b for b in self.bindings if b.get("direction") == "out"]

    @functools.cached_property
    def return_binding(self) -> Optional[Dict[str, Any]]:
        for binding in self.output_bindings:
            if binding.get("name") == "$return":
                return binding
        return None

    @functools.cached_property
    def http_output_name(self) -> Optional[str]:
        """``$return`` or the parameter name of the HTTP output binding, if any."""
        for binding in self.output_bindings:
            if str(binding.get("type", "")).lower() == "http":
                return str(binding.get("name"))
        return None


def _normalise_bindings(raw: Any, where: str) -> List[Dict[str, Any]]:
    if not isinstance(raw, list):
        raise AppLoadError(f"{where}: 'bindings' must be a list")
    bindings = []
    for index, binding in enumerate(raw):
        if not isinstance(binding, dict) or "type" not in binding or "name" not in binding:
            raise AppLoadError(f"{where}: bindings[{index}] needs at least 'type' and 'name'")
        normalised = dict(binding)
        normalised["direction"] = str(binding.get("direction", "in")).lower()
        bindings.append(normalised)
    if not any(str(b["type"]).lower().endswith("trigger") for b in bindings):
        raise AppLoadError(f"{where}: no trigger binding (a binding whose type ends in 'Trigger')")
    return bindings


def _describe_import_failure(exc: BaseException, app_dir: Path, script: Path) -> str:
    """``file, line N: Type: message`` pointing at the app's own code where possible."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}, line {exc.lineno}: SyntaxError: {exc.msg}"
    frames = traceback.extract_tb(exc.__traceback__)
    in_app = [f for f in frames if _is_within(Path(f.filename), app_dir)]
    candidates = in_app or list(frames)
    if not candidates:
        return f"{script}: {type(exc).__name__}: {exc}"
    frame = candidates[-1]
    where = f"{frame.filename}, line {frame.lineno}"
    return f"{where}: {type(exc).__name__}: {exc}"


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def _import(module_name: str, app_dir: Path, script: Path) -> types.ModuleType:
    try:
        return importlib.import_module(module_name)
    except Exception as exc:
        # Leave nothing half-imported behind: a later retry must import afresh.
        for name in [n for n in sys.modules if n == module_name or n.startswith(module_name + ".")]:
            sys.modules.pop(name, None)
        raise AppLoadError(
            f"The function app failed to import {script.name}: "
            f"{_describe_import_failure(exc, app_dir, script)}"
        ) from exc


def _parameters(function: Callable[..., Any]) -> List[str]:
    try:
        return list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return []


def _add_to_path(app_dir: Path) -> None:
    root = str(app_dir)
    if root not in sys.path:
        sys.path.insert(0, root)


# -- v2 -----------------------------------------------------------------------------------


def v2_script(app_dir: Path) -> Path:
    return app_dir / os.environ.get(V2_SCRIPT_SETTING, V2_DEFAULT_SCRIPT)


def load_v2(app_dir: Path) -> List[FunctionSpec]:
    from azure.functions import FunctionRegister

    script = v2_script(app_dir)
    _add_to_path(app_dir)
    module = _import(script.stem, app_dir, script)
    apps = [value for value in vars(module).values() if isinstance(value, FunctionRegister)]
    if not apps:
        raise AppLoadError(
            f"{script}: defines no FunctionApp; create one at module level, "
            "e.g. app = func.FunctionApp()"
        )
    if len(apps) > 1:
        raise AppLoadError(
            f"{script}: defines {len(apps)} FunctionApp objects at module level; Azure "
            "accepts exactly one (register blueprints on it with app.register_functions)"
        )
    try:
        functions = apps[0].get_functions()
    except Exception as exc:
        raise AppLoadError(f"{script}: the FunctionApp's functions are invalid: {exc}") from exc
    specs = []
    for function in functions:
        name = str(function.get_function_name())
        where = f"{script} (function {name!r})"
        data = json.loads(function.get_function_json())
        user_function = function.get_user_function()
        settings = function.get_settings_dict(retry_policy.V2_SETTING_NAME)
        try:
            policy = retry_policy.policy_from_v2_settings(settings, name) if settings else None
        except retry_policy.RetryPolicyError as exc:
            raise AppLoadError(f"{where}: {exc}") from None
        specs.append(
            FunctionSpec(
                name=name,
                directory=str(app_dir),
                script_file=str(script),
                function=user_function,
                bindings=_normalise_bindings(data.get("bindings"), where),
                model="v2",
                retry=policy,
                parameters=_parameters(user_function),
            )
        )
    return specs


# -- v1 -----------------------------------------------------------------------------------


def _ensure_app_package(app_dir: Path) -> None:
    package = sys.modules.get(V1_PACKAGE)
    if package is not None and list(getattr(package, "__path__", [])) == [str(app_dir)]:
        return
    package = types.ModuleType(V1_PACKAGE)
    package.__path__ = [str(app_dir)]  # a namespace-like package rooted at the app folder
    sys.modules[V1_PACKAGE] = package


def _v1_module_name(app_dir: Path, script: Path) -> str:
    relative = script.resolve().relative_to(app_dir.resolve()).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([V1_PACKAGE, *parts])


def load_v1_function(app_dir: Path, folder: Path) -> FunctionSpec:
    config_path = folder / "function.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise AppLoadError(
            f"{config_path}, line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})"
        ) from None
    if not isinstance(config, dict):
        raise AppLoadError(f"{config_path}: the top level must be a JSON object")
    name = folder.name
    where = str(config_path)
    bindings = _normalise_bindings(config.get("bindings"), where)
    script = (folder / str(config.get("scriptFile") or "__init__.py")).resolve()
    if not script.is_file():
        raise AppLoadError(
            f"{where}: scriptFile {config.get('scriptFile')!r} does not exist ({script})"
        )
    if not _is_within(script, app_dir):
        raise AppLoadError(f"{where}: scriptFile must be inside the app folder ({script})")
    entry_point = str(config.get("entryPoint") or "main")
    module = _import(_v1_module_name(app_dir, script), app_dir, script)
    function = getattr(module, entry_point, None)
    if not callable(function):
        raise AppLoadError(
            f"{where}: {script.name} has no function {entry_point!r} "
            "(set entryPoint in function.json, or name the function main)"
        )
    try:
        policy = retry_policy.policy_from_function_json(config, name)
    except retry_policy.RetryPolicyError as exc:
        raise AppLoadError(f"{where}: {exc}") from None
    return FunctionSpec(
        name=name,
        directory=str(folder),
        script_file=str(script),
        function=function,
        bindings=bindings,
        model="v1",
        retry=policy,
        parameters=_parameters(function),
    )


def load_v1(app_dir: Path) -> List[FunctionSpec]:
    folders = sorted(p.parent for p in app_dir.glob("*/function.json"))
    _add_to_path(app_dir)
    _ensure_app_package(app_dir)
    return [load_v1_function(app_dir, folder) for folder in folders]


# -- either -------------------------------------------------------------------------------


def load_app(app_dir: Path) -> List[FunctionSpec]:
    """The app's functions, v2 when the script file exists, else v1 folders."""
    if not app_dir.is_dir():
        raise AppLoadError(f"{app_dir}: no such folder")
    specs = load_v2(app_dir) if v2_script(app_dir).is_file() else load_v1(app_dir)
    if not specs:
        raise AppLoadError(
            f"{app_dir}: no functions found (expected {V2_DEFAULT_SCRIPT} or "
            "sub-folders with function.json)"
        )
    seen: Dict[str, str] = {}
    for spec in specs:
        key = spec.name.lower()
        if key in seen:
            raise AppLoadError(f"{app_dir}: two functions are named {spec.name!r}")
        seen[key] = spec.name
    return specs
