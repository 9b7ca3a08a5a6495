"""Runs the extension chain from inside the user's function, where the worker does not.

Two gaps of the platform hold extensions back: the worker runs no hook when a function
raises, and on Python 3.13 and later (or with ``PYTHON_ENABLE_WORKER_EXTENSIONS`` off) it runs
no extension at all. The wrapper closes both from inside the function, opt-in::

    # v1 (HttpTrigger/__init__.py)
    @with_extensions
    def main(req: func.HttpRequest) -> func.HttpResponse: ...

    # v2 (function_app.py): every function of the app and of its registered blueprints
    app = ExtensionsFunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    app = wrap_app(func.AsgiFunctionApp(asgi_app))   # any FunctionApp-like object

For each invocation the marker extension (``_marker``) tells whether the worker ran
the pre hooks around it:

- it did (Python 3.9-3.12 with extensions enabled): the wrapper adds only the error phase
  (``on_invocation_error[_app_level]`` when the function raises), never a second pre or post;
- it did not (Python 3.13+, or the setting off): the wrapper runs the whole chain itself
  through the same call loop (``core._calls``: same order, same error isolation, same loggers), and
  the load hooks once per function at its first invocation.

The exception of a failing function always propagates unchanged (the same object).

The worker must see the user's function, not the wrapper: it binds arguments by parameter
name from ``inspect.signature``, checks annotations from ``typing.get_type_hints``, decides
sync (thread pool) or async (event loop) with ``inspect.iscoroutinefunction``, and in v2
takes the function's folder from ``inspect.getfile`` (it becomes ``context.function_directory``
and the load hooks' directory). A plain ``functools.wraps`` function would report the
framework's folder there, so the wrapper is a ``wrapt`` function proxy: code, file, name,
annotations and async-ness are the user's; only ``__signature__`` is the wrapper's, the
user's parameters plus ``context`` (so the worker passes the context even when the function
does not declare it; the worker never treats a parameter named ``context`` as a binding).
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
from typing import Any, Callable, Dict, Optional, Set, Tuple, TypeVar, overload

import wrapt

from ..core import _calls
from ..core._dispatch import is_async_function
from . import _apps, _marker

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_PARAMETER = "context"

_logger = logging.getLogger(__name__)


class _Invoker:
    """What the proxy calls for each invocation of one wrapped function."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function_name = getattr(function, "__qualname__", repr(function))
        self.signature, self.declares_context = _worker_signature(function)
        self.is_async = is_async_function(function)
        self._loaded: Set[str] = set()
        self._loading: Set[str] = set()
        self._load_lock = threading.RLock()
        self._warned = False

    def __call__(
        self,
        wrapped: Callable[..., Any],
        instance: Any,
        args: Tuple[Any, ...],
        kwargs: Dict[str, Any],
    ) -> Any:
        func_args = self._keyword_arguments(args, kwargs)
        context = func_args.get(CONTEXT_PARAMETER)
        if not _is_invocation_context(context):
            # Called directly (a unit test without a context), or ``context`` is a binding.
            self._warn_if_not_a_context(context)
            return wrapped(**self._user_arguments(func_args))
        if self.is_async:
            return self._run_async(wrapped, func_args, context)
        return self._run(wrapped, func_args, context)

    def _run(self, wrapped: Callable[..., Any], func_args: Dict[str, Any], context: Any) -> Any:
        steps = self._steps(func_args, context)
        return _calls.run(steps, functools.partial(self._call_user, wrapped), func_args)

    async def _run_async(
        self, wrapped: Callable[..., Any], func_args: Dict[str, Any], context: Any
    ) -> Any:
        steps = self._steps(func_args, context)
        return await _calls.run_async(steps, functools.partial(self._call_user, wrapped), func_args)

    def _steps(self, func_args: Dict[str, Any], context: Any) -> _calls.Steps:
        """The wrapper's variant of the call loop: the whole chain where the worker ran no
        hooks (after the load hooks, once), only the failed phase where it did."""
        worker_ran = _marker.worker_ran_pre_hooks(context)
        self._load_once(context)
        steps = _calls.invocation(context, func_args, around=not worker_ran, error_phase=True)
        return steps if worker_ran else _forgetting_mark(steps, context)

    def _call_user(self, wrapped: Callable[..., Any], /, **func_args: Any) -> Any:
        # Called with the hooks' ``func_args`` (after pre hooks may have changed it).
        return wrapped(**self._user_arguments(func_args))

    def _user_arguments(self, func_args: Dict[str, Any]) -> Dict[str, Any]:
        """Exactly the user's declared parameters: ``context`` only when it declares it."""
        if self.declares_context or CONTEXT_PARAMETER not in func_args:
            return func_args
        return {name: value for name, value in func_args.items() if name != CONTEXT_PARAMETER}

    def _keyword_arguments(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Dict[str, Any]:
        """The call's arguments by name (the worker passes them so; direct calls may not)."""
        if not args:
            return kwargs
        bound = self.signature.bind(*args, **kwargs)
        arguments: Dict[str, Any] = {}
        for name, value in bound.arguments.items():
            if self.signature.parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
                arguments.update(value)
            else:
                arguments[name] = value
        return arguments

    def _load_once(self, context: Any) -> None:
        """The load hooks, once per function name, unless they ran already (the worker's at
        load, or another wrapper's of a function with the same name)."""
        name = str(context.function_name)
        key = name.lower()
        if key in self._loaded:
            return
        with self._load_lock:
            if key in self._loaded or key in self._loading:  # a load hook calling the function
                return
            self._loading.add(key)
            try:
                if not _marker.load_hooks_ran(name):
                    directory = getattr(context, "function_directory", None) or ""
                    _calls.load(name, str(directory))
            finally:
                self._loading.discard(key)
                self._loaded.add(key)

    def _warn_if_not_a_context(self, value: Any) -> None:
        if value is None or self._warned:
            return
        self._warned = True
        _logger.warning(
            "with_extensions: the 'context' argument of %s is not the invocation context "
            "(is 'context' the name of a binding?), so extensions do not run around it; "
            "rename the binding to let the worker pass the invocation context",
            self.function_name,
        )


# wrapt 1.x ships no type hints and 2.x ships generic ones; going through Any keeps this module
# type-checking the same under both, which the distribution's ``wrapt>=1.14,<3`` range admits.
_FunctionWrapperBase: Any = wrapt.FunctionWrapper


class _ExtensionsFunction(_FunctionWrapperBase):  # type: ignore[misc]
    """The user's function as the worker sees it, with a signature that declares ``context``."""

    @property
    def __signature__(self) -> inspect.Signature:
        invoker: _Invoker = self._self_wrapper
        return invoker.signature


def _forgetting_mark(steps: _calls.Steps, context: Any) -> _calls.Steps:
    """``steps``, then the worker-ran mark taken off: the chain the wrapper ran included the
    marker's own pre hook, which marked the context."""
    try:
        return (yield from steps)
    finally:
        _marker.forget_mark(context)


def _is_invocation_context(value: Any) -> bool:
    return value is not None and hasattr(value, "invocation_id") and hasattr(value, "function_name")


def _worker_signature(function: Callable[..., Any]) -> Tuple[inspect.Signature, bool]:
    """The signature the worker should see, and whether the user's function declares context."""
    name = getattr(function, "__qualname__", repr(function))
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"with_extensions: cannot read the signature of {name}: {exc}") from exc
    parameters = list(signature.parameters.values())
    for parameter in parameters:
        if parameter.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.VAR_POSITIONAL):
            raise TypeError(
                f"with_extensions: parameter {parameter.name!r} of {name} cannot be passed by "
                f"name, but the worker passes every argument by its binding name; declare it "
                f"as an ordinary parameter"
            )
    if CONTEXT_PARAMETER in signature.parameters:
        return signature, True
    if all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in parameters):
        parameters.append(
            inspect.Parameter(
                CONTEXT_PARAMETER, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None
            )
        )
    else:
        position = len(parameters)
        if parameters[-1].kind is inspect.Parameter.VAR_KEYWORD:
            position -= 1
        parameters.insert(
            position,
            inspect.Parameter(CONTEXT_PARAMETER, inspect.Parameter.KEYWORD_ONLY, default=None),
        )
    return signature.replace(parameters=parameters), False


@overload
def with_extensions(function: F) -> F: ...


@overload
def with_extensions(function: None = None) -> Callable[[F], F]: ...


def with_extensions(function: Optional[F] = None) -> Any:
    """Run the extension chain from inside ``function`` where the worker does not.

    Use it on a v1 ``main`` (``@with_extensions`` or ``@with_extensions()``). It also takes a
    v2 function at any position among the app's decorators, but ``ExtensionsFunctionApp`` or
    ``wrap_app`` cover a whole app in one line. Wrapping twice is harmless.

    The wrapped function keeps the user's name, code, file and annotations; its signature
    adds ``context`` (defaulting to ``None``) when the function does not declare it, and the
    function still receives exactly its own parameters. Called without an invocation
    context (a plain unit-test call), it calls the function and runs no hook.

    Raises ``TypeError`` when the function has a positional-only or ``*args`` parameter,
    which the worker could not pass by name.
    """
    if function is None:
        return with_extensions
    if isinstance(function, _ExtensionsFunction):
        return function
    if _apps.V2_AVAILABLE and isinstance(function, _apps.FunctionBuilder):
        _apps.wrap_indexed(function._function)
        return function
    if _apps.V2_AVAILABLE and isinstance(function, _apps.Function):
        _apps.wrap_indexed(function)
        return function
    if not callable(function):
        raise TypeError(
            f"with_extensions: expected a function, got {type(function).__name__} ({function!r})"
        )
    proxy = _ExtensionsFunction(function, _Invoker(function))
    _marker.ensure_registered()
    return proxy


def is_wrapped(function: Any) -> bool:
    """Whether ``function`` (a function, or a v2 ``Function``/``FunctionBuilder``) is wrapped."""
    if _apps.V2_AVAILABLE and isinstance(function, _apps.FunctionBuilder):
        function = function._function
    if _apps.V2_AVAILABLE and isinstance(function, _apps.Function):
        function = function.get_user_function()
    return isinstance(function, _ExtensionsFunction)


def is_proxy(value: Any) -> bool:
    """Whether ``value`` is already a wrapped function."""
    return isinstance(value, _ExtensionsFunction)
