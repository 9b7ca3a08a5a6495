"""The platform configurations the wrapper must behave the same under, as test drivers.

``WorkerLike`` calls a function the way one configuration of the real worker would:

- Python 3.9-3.12 worker (``Dispatcher`` in its worker-identical mode, gated by
  ``PYTHON_ENABLE_WORKER_EXTENSIONS`` and the Python version it simulates): load hooks at
  load, then pre hooks, the function, post hooks (none when it raises);
- Python 3.13+ worker: no dispatcher at all, the function is called directly.

Either way the arguments are built as the worker builds them: one value per binding by
name, and ``context`` only when the function's signature declares it. ``index_like_worker``
applies the worker's indexing rules for parameters (``functions.Registry.add_function`` /
``add_indexed_function``): a parameter named ``context`` that is not a binding is the
invocation context, every other parameter must be a binding and vice versa, and an
``azure.functions.Out`` annotation must match an output binding.
"""

from __future__ import annotations

import asyncio
import inspect
import pathlib
import typing
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

import azure.functions as func
from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.core.gating import SETTING
from python_worker_extension_framework.testing import make_context

T = typing.TypeVar("T")


class WorkerLoadError(AssertionError):
    """The worker would refuse to load the function (``FunctionLoadError``)."""


@dataclass(frozen=True)
class Indexed:
    """What the worker learns about a function when it loads it."""

    requires_context: bool
    is_async: bool
    directory: str
    inputs: Tuple[str, ...]
    outputs: Tuple[str, ...]


def _is_out(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    target = origin if origin is not None else annotation
    return isinstance(target, type) and target.__name__ == "Out"


def index_like_worker(function: Callable[..., Any], bindings: Mapping[str, str]) -> Indexed:
    """The worker's parameter checks; ``bindings`` maps binding name to ``"in"``/``"out"``."""
    params = dict(inspect.signature(function).parameters)
    annotations = typing.get_type_hints(function)
    bound = {name: direction for name, direction in bindings.items() if name != "$return"}
    requires_context = False
    if "context" in params and "context" not in bound:
        requires_context = True
        params.pop("context")
        if "context" in annotations:
            annotation = annotations["context"]
            if not isinstance(annotation, type) or annotation.__name__ != "Context":
                raise WorkerLoadError(f"context annotated {annotation!r}, not Context")
    if set(params) - set(bound):
        raise WorkerLoadError(f"declared in Python but not bindings: {set(params) - set(bound)}")
    if set(bound) - set(params):
        raise WorkerLoadError(f"bindings not declared in Python: {set(bound) - set(params)}")
    for name in params:
        is_out = _is_out(annotations.get(name))
        if bound[name] == "out" and name in annotations and not is_out:
            raise WorkerLoadError(f"{name} is an output binding but not annotated Out")
        if bound[name] != "out" and is_out:
            raise WorkerLoadError(f"{name} is annotated Out but is an input binding")
    return Indexed(
        requires_context=requires_context,
        is_async=inspect.iscoroutinefunction(function),
        directory=str(pathlib.Path(inspect.getfile(function)).parent),
        inputs=tuple(n for n in params if bound[n] != "out"),
        outputs=tuple(n for n in params if bound[n] == "out"),
    )


def worker_arguments(
    function: Callable[..., Any], values: Mapping[str, Any], context: Any
) -> Dict[str, Any]:
    """The worker's ``func_args``: binding values by name, ``context`` only if declared."""
    args = dict(values)
    if "context" in inspect.signature(function).parameters:
        args["context"] = context
    return args


class OutValue(func.Out[T]):
    """An output binding value, as the worker passes one per ``Out`` parameter."""

    def __init__(self) -> None:
        self.value: Optional[T] = None

    def set(self, val: T) -> None:
        self.value = val

    def get(self) -> T:
        assert self.value is not None
        return self.value


@dataclass(frozen=True)
class WorkerLike:
    """One platform configuration: which worker, which Python, which setting value."""

    name: str
    setting: Optional[str]
    python_version: Optional[Tuple[int, int]]  # None: the 3.13+ worker, no dispatcher

    @property
    def runs_extensions(self) -> bool:
        """Whether this worker runs hooks (on its own, without the wrapper)."""
        if self.python_version is None:
            return False
        environ = {} if self.setting is None else {SETTING: self.setting}
        return Dispatcher(environ=environ, python_version=self.python_version).enabled()

    def _dispatcher(self) -> Optional[Dispatcher]:
        if self.python_version is None:
            return None
        return Dispatcher(python_version=self.python_version)

    def load(self, function_name: str, function_directory: str = "/home/site/wwwroot") -> None:
        """What the worker does after loading a function (the 3.13+ worker does nothing)."""
        dispatcher = self._dispatcher()
        if dispatcher is not None:
            dispatcher.load_function(function_name, function_directory)

    def invoke(
        self,
        function: Callable[..., Any],
        context: Any = None,
        *,
        function_name: str = "f",
        **values: Any,
    ) -> Any:
        """One invocation: returns the result or raises the function's exception."""
        context = context if context is not None else make_context(function_name)
        args = worker_arguments(function, values, context)
        dispatcher = self._dispatcher()
        if dispatcher is not None:
            return asyncio.run(dispatcher.dispatch(function, args, context))
        if inspect.iscoroutinefunction(function):
            return asyncio.run(function(**args))
        return function(**args)


WORKERS = (
    WorkerLike("3.9 setting unset", None, (3, 9)),
    WorkerLike("3.12 setting on", "1", (3, 12)),
    WorkerLike("3.12 setting off", "0", (3, 12)),
    WorkerLike("3.12 setting unset", None, (3, 12)),
    WorkerLike("3.13", None, None),
    WorkerLike("3.13 setting on", "true", None),
)
PY39_UNSET, PY312_ON, PY312_OFF, PY312_UNSET, PY313, PY313_SETTING_ON = WORKERS
