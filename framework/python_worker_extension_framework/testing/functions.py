"""What the harness is given to run, resolved to the function the worker would run.

Users hold one of four things: the object a v2 decorator returns (``@app.route`` and the
others leave a ``FunctionBuilder`` in the module, a blueprint's too), an indexed v2
``Function`` (from ``app.get_functions()``), a v1 ``main`` with its ``function.json`` beside
it, or a plain callable. Each resolves to the host's own ``FunctionSpec`` (the name, the
trigger, the bindings the worker would use), plus the route prefix of the app's
``host.json`` for HTTP functions, so the harness and the local host agree on every fact.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import urlsplit

from ..host.loader import FunctionSpec
from ..host.routing import Route, RouteTable, compile_route
from ..host.settings import DEFAULT_ROUTE_PREFIX, AppSettings, read_host_json

PLAIN = "callable"  # FunctionSpec.model of a callable without a decorator or function.json


class RouteMismatchError(ValueError):
    """A request URL or method the function's HTTP route does not accept."""


@dataclass(frozen=True)
class FunctionTarget:
    """A resolved function: the host's ``FunctionSpec`` and its app's route prefix."""

    spec: FunctionSpec
    route_prefix: str = DEFAULT_ROUTE_PREFIX

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def function(self) -> Callable[..., Any]:
        return self.spec.function

    @property
    def trigger_name(self) -> Optional[str]:
        name = self.spec.trigger.get("name")
        return str(name) if name else None

    def route(self) -> Route[FunctionSpec]:
        if not self.spec.is_http:
            raise RouteMismatchError(
                f"function {self.name!r} is not an HTTP function "
                f"(its trigger is {self.spec.trigger_type or 'unknown'})"
            )
        return compile_route(self.spec.route, self.spec, self.spec.methods)

    def route_params(self, method: str, url: str) -> Dict[str, str]:
        """The route parameters the host would pass for this URL, by the host's matcher."""
        route = self.route()
        table: RouteTable[FunctionSpec] = RouteTable(self.route_prefix)
        table.add(route)
        path = urlsplit(url).path or "/"
        match = table.match(method, path)
        if match.method_not_allowed:
            raise RouteMismatchError(
                f"function {self.name!r} accepts {', '.join(match.allowed)}, not {method.upper()}"
            )
        if match.route is None:
            raise RouteMismatchError(
                f"URL path {path!r} does not match the route of function {self.name!r}: "
                f"{table.path_for(route)} (routePrefix {self.route_prefix!r} from host.json, "
                f"route {self.spec.route!r}); build the request with a URL of that shape"
            )
        return match.params


def _v2_function(target: Any) -> Any:
    """The indexed ``Function`` for a v2 ``FunctionBuilder`` or ``Function``; else None."""
    try:
        from azure.functions.decorators.function_app import Function, FunctionBuilder
    except ImportError:  # pragma: no cover - azure-functions without the v2 model
        return None
    if isinstance(target, FunctionBuilder):
        return target.build()
    if isinstance(target, Function):
        return target
    return None


def _normalised(bindings: Any) -> List[Dict[str, Any]]:
    result = []
    for binding in bindings if isinstance(bindings, list) else []:
        if isinstance(binding, dict):
            item = dict(binding)
            item["direction"] = str(item.get("direction", "in")).lower()
            result.append(item)
    return result


def _parameters(function: Callable[..., Any]) -> List[str]:
    try:
        return list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return []


def _source_dir(function: Callable[..., Any]) -> Optional[Path]:
    try:
        return Path(inspect.getfile(function)).resolve().parent
    except (TypeError, OSError):
        return None


def _route_prefix(start: Optional[Path]) -> str:
    """``extensions.http.routePrefix`` of the nearest ``host.json`` at or above ``start``."""
    if start is None:
        return DEFAULT_ROUTE_PREFIX
    for folder in (start, *start.parents):
        if (folder / "host.json").is_file():
            settings = AppSettings(folder)
            read_host_json(folder, settings)
            return settings.route_prefix
    return DEFAULT_ROUTE_PREFIX


def _v1_config(function: Callable[..., Any]) -> Optional[Dict[str, Any]]:
    """The ``function.json`` beside ``function``'s file, when it names this function."""
    folder = _source_dir(function)
    if folder is None or not (folder / "function.json").is_file():
        return None
    config = json.loads((folder / "function.json").read_text(encoding="utf-8-sig"))
    if not isinstance(config, dict):
        return None
    script = (folder / str(config.get("scriptFile") or "__init__.py")).resolve()
    entry_point = str(config.get("entryPoint") or "main")
    if script != Path(inspect.getfile(function)).resolve() or entry_point != function.__name__:
        return None
    return config


def resolve_function(target: Any, function_name: Optional[str] = None) -> FunctionTarget:
    """Resolve what a test passes to ``invoke`` (see the module docstring).

    ``function_name`` overrides the name; it is what contexts carry and what ``only=`` and
    ``exclude=`` filters see.
    """
    indexed = _v2_function(target)
    if indexed is not None:
        function = indexed.get_user_function()
        data = json.loads(indexed.get_function_json())
        directory = _source_dir(function)
        spec = FunctionSpec(
            name=str(function_name or indexed.get_function_name()),
            directory=str(directory or ""),
            script_file=str(getattr(indexed, "function_script_file", "")),
            function=function,
            bindings=_normalised(data.get("bindings")),
            model="v2",
            parameters=_parameters(function),
        )
        return FunctionTarget(spec, _route_prefix(directory))
    if not callable(target):
        raise TypeError(
            f"invoke: expected a function (a v2 decorated function, a v1 main or a callable), "
            f"got {type(target).__name__}"
        )
    function = target
    config = _v1_config(function)
    directory = _source_dir(function)
    if config is not None and directory is not None:
        spec = FunctionSpec(
            name=str(function_name or directory.name),
            directory=str(directory),
            script_file=inspect.getfile(function),
            function=function,
            bindings=_normalised(config.get("bindings")),
            model="v1",
            parameters=_parameters(function),
        )
        return FunctionTarget(spec, _route_prefix(directory.parent))
    spec = FunctionSpec(
        name=str(function_name or getattr(function, "__name__", "function")),
        directory="",
        script_file="",
        function=function,
        bindings=[],
        model=PLAIN,
        parameters=_parameters(function),
    )
    return FunctionTarget(spec)
