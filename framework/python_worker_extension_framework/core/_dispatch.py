"""Runs an invocation through the extension hooks the way the Python worker does.

By default the dispatcher is *worker-identical* (docs/worker-contract.md): hooks read
from ``ExtensionMeta`` on every call, gated by ``PYTHON_ENABLE_WORKER_EXTENSIONS``, called
with positional arguments and a per-extension logger under ``azure_functions_worker``, app
pre before function pre, function post before app post, hook errors logged and swallowed,
no post hook when the function raises. ``error_phase=True`` adds the one thing the worker
lacks: the framework's error hooks run when the function raises, then the exception
propagates unchanged. ``gated=False`` runs hooks whatever the setting says; the in-function
wrapper (``wrapper.py``) uses it where the worker ran nothing.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import sys
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from . import _attributes
from . import _registry as registry
from .gating import extensions_enabled
from .hooks import (
    INVOCATION_ERROR,
    INVOCATION_ERROR_APP,
    POST_FUNCTION_LOAD,
    POST_FUNCTION_LOAD_APP,
    POST_INVOCATION,
    POST_INVOCATION_APP,
    PRE_INVOCATION,
    PRE_INVOCATION_APP,
    WORKER_LOGGER_PREFIX,
    worker_extension_logger_name,
)

_load_logger = logging.getLogger(WORKER_LOGGER_PREFIX)


@dataclass
class HookCall:
    """One hook call of one invocation: which hook, whose, how long, and how it ended."""

    hook: str
    extension: str
    seconds: float
    error: Optional[BaseException] = None


@dataclass
class HookTrace:
    """What the dispatcher did for one invocation; pass one to ``invoke`` to fill it."""

    calls: List[HookCall] = field(default_factory=list)

    def seconds_by_extension(self) -> Dict[str, float]:
        """Total hook time per extension, for the host's console and the benchmarks."""
        totals: Dict[str, float] = {}
        for call in self.calls:
            totals[call.extension] = totals.get(call.extension, 0.0) + call.seconds
        return totals

    def names(self) -> List[Tuple[str, str]]:
        """``(hook, extension)`` pairs in call order."""
        return [(call.hook, call.extension) for call in self.calls]


@functools.cache
def _extension_logger(extension_name: str) -> logging.Logger:
    return logging.getLogger(worker_extension_logger_name(extension_name))


def _call_hooks(
    impls: Sequence[registry.HookImpl],
    hook_name: str,
    args: Tuple[Any, ...],
    trace: Optional[HookTrace],
) -> None:
    """The hook loop: each implementation in order, errors logged on its logger and swallowed."""
    for impl in impls:
        logger = _extension_logger(impl.ext_name)
        started = time.perf_counter() if trace is not None else 0.0
        error: Optional[BaseException] = None
        try:
            impl.ext_impl(logger, *args)
        except Exception as exc:
            error = exc
            logger.error(exc, exc_info=True)
        if trace is not None:
            trace.calls.append(
                HookCall(hook_name, impl.ext_name, time.perf_counter() - started, error)
            )


class Dispatcher:
    """Calls functions with the extension chain around them.

    Parameters
    ----------
    error_phase:
        Beyond the worker: call ``on_invocation_error`` / ``on_invocation_error_app_level``
        hooks when the function raises. Off by default, so local runs predict Azure.
    environ:
        Where ``PYTHON_ENABLE_WORKER_EXTENSIONS`` is read, on every call; ``os.environ``
        by default.
    python_version:
        The (major, minor) whose gating rules apply; this interpreter's by default.
    gated:
        Whether the setting and the Python version decide if hooks run, as in the worker
        (the default). ``False`` runs them always: for code that runs the chain exactly
        where the worker did not, such as the in-function wrapper.
    """

    def __init__(
        self,
        *,
        error_phase: bool = False,
        environ: Optional[Mapping[str, str]] = None,
        python_version: Optional[Tuple[int, int]] = None,
        gated: bool = True,
    ) -> None:
        self.error_phase = error_phase
        self.gated = gated
        self._environ = environ
        self._python_version = python_version or sys.version_info[:2]

    def enabled(self) -> bool:
        """Whether hooks run now (the setting is read on every call, as the worker does)."""
        if not self.gated:
            return True
        return extensions_enabled(self._environ, self._python_version)

    def load_function(self, function_name: str, function_directory: str) -> None:
        """Run the load hooks: function-level first, then app-level; two positional arguments."""
        if not self.enabled():
            return
        for hook, impls in (
            (
                POST_FUNCTION_LOAD.name,
                registry.function_hooks(function_name, POST_FUNCTION_LOAD.name),
            ),
            (POST_FUNCTION_LOAD_APP.name, registry.app_hooks(POST_FUNCTION_LOAD_APP.name)),
        ):
            for impl in impls:
                try:
                    impl.ext_impl(function_name, function_directory)
                except Exception as exc:
                    _load_logger.error(
                        "Extension %s failed in %s: %s", impl.ext_name, hook, exc, exc_info=True
                    )

    def _before(self, context: Any, func_args: Dict[str, Any], trace: Optional[HookTrace]) -> None:
        args = (context, func_args)
        _call_hooks(
            registry.app_hooks(PRE_INVOCATION_APP.name), PRE_INVOCATION_APP.name, args, trace
        )
        _call_hooks(
            registry.function_hooks(context.function_name, PRE_INVOCATION.name),
            PRE_INVOCATION.name,
            args,
            trace,
        )

    def _after(
        self, context: Any, func_args: Dict[str, Any], result: Any, trace: Optional[HookTrace]
    ) -> None:
        args = (context, func_args, result)
        _call_hooks(
            registry.function_hooks(context.function_name, POST_INVOCATION.name),
            POST_INVOCATION.name,
            args,
            trace,
        )
        _call_hooks(
            registry.app_hooks(POST_INVOCATION_APP.name), POST_INVOCATION_APP.name, args, trace
        )

    def run_error_hooks(
        self,
        context: Any,
        func_args: Dict[str, Any],
        exception: BaseException,
        *,
        trace: Optional[HookTrace] = None,
    ) -> bool:
        """The error phase on its own: function-level error hooks, then app-level ones.

        Runs at most once per failure: returns ``False`` without calling anything when the
        error phase already ran for this very exception on this context (a wrapped function
        ran it inside an enclosing dispatcher). Not gated: callers decide when it applies.
        """
        if _attributes.take_error_phase_mark(context, exception):
            return False
        args = (context, func_args, exception)
        _call_hooks(
            registry.function_error_hooks(context.function_name), INVOCATION_ERROR.name, args, trace
        )
        _call_hooks(registry.app_error_hooks(), INVOCATION_ERROR_APP.name, args, trace)
        _attributes.mark_error_phase(context, exception)
        return True

    def invoke(
        self,
        function: Callable[..., Any],
        func_args: Dict[str, Any],
        context: Any,
        *,
        trace: Optional[HookTrace] = None,
    ) -> Any:
        """Run a sync function and its hooks in the calling thread; return the raw result."""
        if not self.enabled():
            return function(**func_args)
        self._before(context, func_args, trace)
        try:
            result = function(**func_args)
        except Exception as exc:
            if self.error_phase:
                self.run_error_hooks(context, func_args, exc, trace=trace)
            raise
        self._after(context, func_args, result, trace)
        return result

    async def invoke_async(
        self,
        function: Callable[..., Awaitable[Any]],
        func_args: Dict[str, Any],
        context: Any,
        *,
        trace: Optional[HookTrace] = None,
    ) -> Any:
        """Run an async function on the current loop with its hooks inline, as the worker does."""
        if not self.enabled():
            return await function(**func_args)
        self._before(context, func_args, trace)
        try:
            result = await function(**func_args)
        except Exception as exc:
            if self.error_phase:
                self.run_error_hooks(context, func_args, exc, trace=trace)
            raise
        self._after(context, func_args, result, trace)
        return result

    async def dispatch(
        self,
        function: Callable[..., Any],
        func_args: Dict[str, Any],
        context: Any,
        *,
        executor: Optional[Executor] = None,
        trace: Optional[HookTrace] = None,
    ) -> Any:
        """Run any function as the worker would: async ones on this loop, sync ones (with
        their hooks) together in one thread of ``executor``."""
        if is_async_function(function):
            return await self.invoke_async(function, func_args, context, trace=trace)
        loop = asyncio.get_running_loop()
        call = functools.partial(self.invoke, function, func_args, context, trace=trace)
        return await loop.run_in_executor(executor, call)


def is_async_function(function: Callable[..., Any]) -> bool:
    """The worker's own test for running a function on the loop rather than in the pool."""
    return inspect.iscoroutinefunction(function)
