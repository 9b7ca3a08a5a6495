"""Letting an observer (the dashboard) follow each invocation the runtime runs.

The runtime tells an ``InvocationObserver`` when an invocation starts and how it ended.
Code that runs in between (the function, its hooks, log calls, span exports) learns which
invocation it belongs to from ``current_invocation()``: a context variable on the event
loop (async functions and their hooks run in the invocation's task) and a thread-local in
the pool thread that runs a sync function, which ``ScopedPool`` sets for the length of
the call, as the Python worker sets ``context.thread_local_storage.invocation_id``.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar

from ..core._pool import LoopThreadPool

if TYPE_CHECKING:  # pragma: no cover - imports for annotations only
    from ..core import HookTrace, InvocationRecord
    from ..core.context import InvocationContext
    from .loader import FunctionSpec

__all__ = [
    "InvocationObserver",
    "ScopedPool",
    "current_invocation",
    "enter_invocation",
    "leave_invocation",
]

_task_invocation: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar(
    "funcext_invocation", default=None
)
_thread = threading.local()
T = TypeVar("T")


def current_invocation() -> Optional[str]:
    """The id of the invocation the calling code runs for, or ``None`` outside any."""
    invocation_id: Optional[str] = getattr(_thread, "invocation_id", None)
    return invocation_id if invocation_id is not None else _task_invocation.get()


def enter_invocation(invocation_id: str) -> contextvars.Token[Optional[str]]:
    """Mark the current task as running ``invocation_id``; undo with ``leave_invocation``."""
    return _task_invocation.set(invocation_id)


def leave_invocation(token: contextvars.Token[Optional[str]]) -> None:
    try:
        _task_invocation.reset(token)
    except ValueError:  # reset from another context (a cancelled call): just clear it
        _task_invocation.set(None)


def _in_scope(invocation_id: str, call: Callable[[], T]) -> T:
    _thread.invocation_id = invocation_id
    try:
        return call()
    finally:
        _thread.invocation_id = None


class ScopedPool(LoopThreadPool):
    """The host's thread pool for sync functions, whose calls run inside the invocation
    that submitted them."""

    def run(self, call: Callable[[], T]) -> asyncio.Future[T]:
        invocation_id = _task_invocation.get()
        if invocation_id is None:
            return super().run(call)
        return super().run(functools.partial(_in_scope, invocation_id, call))


class InvocationObserver:
    """What the runtime calls around each invocation; the base class observes nothing."""

    def started(
        self, spec: FunctionSpec, context: InvocationContext, trigger_value: Any
    ) -> Optional[HookTrace]:
        """An invocation is about to run; return a ``HookTrace`` to have its hooks timed."""
        return None

    def finished(self, outcome: InvocationRecord, trace: Optional[HookTrace]) -> None:
        """The invocation ended (``outcome.exception`` says how)."""
