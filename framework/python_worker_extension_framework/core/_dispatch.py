"""``Dispatcher``: runs functions with the extension chain around them, as the worker does.

By default the dispatcher is *worker-identical* (docs/worker-contract.md): hooks read
from ``ExtensionMeta`` on every call, gated by ``PYTHON_ENABLE_WORKER_EXTENSIONS``, called
with positional arguments and a per-extension logger under ``azure_functions_worker``, app
pre before function pre, function post before app post, hook errors logged and swallowed,
no post hook when the function raises. ``error_phase=True`` adds the one thing the worker
lacks: the framework's error hooks run when the function raises, then the exception
propagates unchanged. ``gated=False`` runs hooks whatever the setting says.

The order itself lives in ``_calls.invocation``; this class only decides whether hooks run
(gating) and how the function is called (inline, on the loop, or in a pool thread).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import sys
from concurrent.futures import Executor
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Tuple, Union

from . import _calls
from ._calls import HookCall, HookTrace
from ._pool import LoopThreadPool
from .gating import extensions_enabled

__all__ = ["Dispatcher", "HookCall", "HookTrace", "is_async_function"]


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
        # ``start``'s answer per function: inspecting the code flags showed per request.
        self._async_functions: Dict[Callable[..., Any], bool] = {}
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
        if self.enabled():
            _calls.load(function_name, function_directory)

    def run_error_hooks(
        self,
        context: Any,
        func_args: Dict[str, Any],
        exception: BaseException,
        *,
        trace: Optional[HookTrace] = None,
    ) -> bool:
        """The failed phase on its own (``_calls.failed``): at most once per exception per
        context. Not gated: callers decide when it applies."""
        return _calls.failed(context, func_args, exception, trace)

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
        steps = _calls.invocation(context, func_args, error_phase=self.error_phase, trace=trace)
        return _calls.run(steps, function, func_args)

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
        steps = _calls.invocation(context, func_args, error_phase=self.error_phase, trace=trace)
        return await _calls.run_async(steps, function, func_args)

    def start(
        self,
        function: Callable[..., Any],
        func_args: Dict[str, Any],
        context: Any,
        *,
        executor: Optional[Union[Executor, LoopThreadPool]] = None,
        trace: Optional[HookTrace] = None,
    ) -> asyncio.Future[Any]:
        """``dispatch`` begun, as a future of the raw result: for a sync function the pool's
        own future (no task around it), for an async one a task on this loop. Cancelling
        the caller does not cancel it. ``executor`` is a ``LoopThreadPool`` (the host's),
        or a ``concurrent.futures.Executor`` run through ``loop.run_in_executor``."""
        try:
            is_async = self._async_functions[function]
        except KeyError:
            is_async = self._async_functions[function] = is_async_function(function)
        except TypeError:  # an unhashable callable object
            is_async = is_async_function(function)
        if is_async:
            return asyncio.ensure_future(
                self.invoke_async(function, func_args, context, trace=trace)
            )
        call = functools.partial(self.invoke, function, func_args, context, trace=trace)
        if isinstance(executor, LoopThreadPool):
            return executor.run(call)
        return asyncio.get_running_loop().run_in_executor(executor, call)

    async def dispatch(
        self,
        function: Callable[..., Any],
        func_args: Dict[str, Any],
        context: Any,
        *,
        executor: Optional[Union[Executor, LoopThreadPool]] = None,
        trace: Optional[HookTrace] = None,
    ) -> Any:
        """Run any function as the worker would: async ones on this loop, sync ones (with
        their hooks) together in one thread of ``executor``."""
        if is_async_function(function):
            return await self.invoke_async(function, func_args, context, trace=trace)
        return await self.start(function, func_args, context, executor=executor, trace=trace)


def is_async_function(function: Callable[..., Any]) -> bool:
    """The worker's own test for running a function on the loop rather than in the pool."""
    return inspect.iscoroutinefunction(function)
