"""The call loop: the hooks of one invocation, in the order the worker calls them, in one place.

``invocation`` is the whole order, top to bottom. It is a generator so that one function
serves sync and async callers alike: it runs the *before* phase, then yields where the
function runs; the caller's driver (``run`` for a sync function, ``run_async`` for an async
one) sends the function's result back in (the *after* phase runs) or throws its exception
in (the *failed* phase runs, then the exception continues unchanged). ``load`` is the load
phase, which the worker runs once per function, apart from any invocation.

What every phase has in common is ``call_hooks``, the hook loop: each implementation in
registration order, called with positional arguments and its own logger under
``azure_functions_worker.extension``, an exception logged on that logger and swallowed,
so one broken extension never fails an invocation or stops the others. That is what the
worker does (docs/worker-contract.md); the failed phase is the framework's addition.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass, field
from typing import (
    Any,
    Awaitable,
    Callable,
    Dict,
    Generator,
    List,
    NoReturn,
    Optional,
    Sequence,
    Tuple,
)

from . import _attributes
from . import _registry as registry
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

# What the caller drives: yields once (the function runs there), returns the result.
Steps = Generator[None, Any, Any]

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
    """What the call loop did for one invocation; pass one to ``Dispatcher.invoke`` to fill it."""

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


def call_hooks(
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


def load(function_name: str, function_directory: str) -> None:
    """The load phase: function-level load hooks, then app-level ones, two positional
    arguments and no logger (the worker gives none); errors logged on the worker's logger."""
    for hook, impls in (
        (POST_FUNCTION_LOAD.name, registry.function_hooks(function_name, POST_FUNCTION_LOAD.name)),
        (POST_FUNCTION_LOAD_APP.name, registry.app_hooks(POST_FUNCTION_LOAD_APP.name)),
    ):
        for impl in impls:
            try:
                impl.ext_impl(function_name, function_directory)
            except Exception as exc:
                _load_logger.error(
                    "Extension %s failed in %s: %s", impl.ext_name, hook, exc, exc_info=True
                )


def failed(
    context: Any,
    func_args: Dict[str, Any],
    exception: BaseException,
    trace: Optional[HookTrace] = None,
) -> bool:
    """The failed phase: function-level error hooks, then app-level ones.

    Runs at most once per failure: returns ``False`` without calling anything when it
    already ran for this very exception on this context (a wrapped function ran it inside
    an enclosing dispatcher that also runs it).
    """
    if _attributes.take_error_phase_mark(context, exception):
        return False
    args = (context, func_args, exception)
    call_hooks(
        registry.function_error_hooks(context.function_name), INVOCATION_ERROR.name, args, trace
    )
    call_hooks(registry.app_error_hooks(), INVOCATION_ERROR_APP.name, args, trace)
    _attributes.mark_error_phase(context, exception)
    return True


def invocation(
    context: Any,
    func_args: Dict[str, Any],
    *,
    around: bool = True,
    error_phase: bool = False,
    trace: Optional[HookTrace] = None,
) -> Steps:
    """The whole order of one invocation's hooks.

    ``around`` runs the worker's phases, before and after; the in-function wrapper turns it
    off where the worker already ran them, keeping only the failed phase. ``error_phase``
    runs the failed phase when the function raises (the worker never does).
    """
    if around:  # before: app-level pre hooks, then function-level ones
        pre_args = (context, func_args)
        call_hooks(
            registry.app_hooks(PRE_INVOCATION_APP.name), PRE_INVOCATION_APP.name, pre_args, trace
        )
        call_hooks(
            registry.function_hooks(context.function_name, PRE_INVOCATION.name),
            PRE_INVOCATION.name,
            pre_args,
            trace,
        )
    try:
        result = yield  # the function runs here, with the hooks' (possibly changed) func_args
    except Exception as exc:
        if error_phase:  # failed: error hooks; no post hook runs, as in the worker
            failed(context, func_args, exc, trace)
        raise
    if around:  # after: function-level post hooks, then app-level ones
        post_args = (context, func_args, result)
        call_hooks(
            registry.function_hooks(context.function_name, POST_INVOCATION.name),
            POST_INVOCATION.name,
            post_args,
            trace,
        )
        call_hooks(
            registry.app_hooks(POST_INVOCATION_APP.name), POST_INVOCATION_APP.name, post_args, trace
        )
    return result


def run(steps: Steps, function: Callable[..., Any], func_args: Dict[str, Any]) -> Any:
    """Drive ``steps`` around a sync ``function(**func_args)``; return its raw result."""
    next(steps)
    try:
        result = function(**func_args)
    except Exception as exc:
        _fail(steps, exc)
    except BaseException:
        steps.close()
        raise
    return _finish(steps, result)


async def run_async(
    steps: Steps, function: Callable[..., Awaitable[Any]], func_args: Dict[str, Any]
) -> Any:
    """Drive ``steps`` around an async ``function(**func_args)``, awaited on this loop."""
    next(steps)
    try:
        result = await function(**func_args)
    except Exception as exc:
        _fail(steps, exc)
    except BaseException:  # cancellation: no hooks, as in the worker
        steps.close()
        raise
    return _finish(steps, result)


def _fail(steps: Steps, exception: Exception) -> NoReturn:
    steps.throw(exception)  # the failed phase runs, then the same exception comes back out
    raise RuntimeError("the invocation's steps swallowed the function's exception")


def _finish(steps: Steps, result: Any) -> Any:
    try:
        steps.send(result)
    except StopIteration as stop:
        return stop.value
    raise RuntimeError("the invocation's steps yielded more than once")
