"""The host's engine: loaded functions, the dispatcher, the thread pool, one invocation.

It knows nothing of HTTP or ASGI: ``asgi.py`` turns requests into ``invoke`` calls and
``admin.py`` runs non-HTTP functions, with retries, through the same ``invoke``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
import traceback
from concurrent.futures import thread as _futures_thread
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set

from ..core import Dispatcher, InvocationRecord
from ..core import _registry as registry
from ..core.context import InvocationContext, RetryContext, TraceContext
from ..retry_policy import format_timespan, initial_retry_context
from ..toolkit import traceparent as tp
from . import console
from .bindings import check_route_conflicts, unknown_binding_notes
from .convert import build_arguments
from .loader import FunctionSpec, load_app
from .observation import InvocationObserver, ScopedPool
from .routing import RouteTable, compile_route
from .selection import select_functions
from .settings import AppSettings, apply_environment, load_settings

THREAD_COUNT_SETTING = "PYTHON_THREADPOOL_THREAD_COUNT"
AZURE_TRACEBACK_NOTE = (
    "(Your frames only: in Azure this stack trace also contains the Python worker's frames, "
    "and any wrapper's, above them.)"
)


class FunctionTimeout(Exception):
    """The function ran past host.json's ``functionTimeout``."""


def default_thread_count() -> int:
    """The worker's pool size: ``PYTHON_THREADPOOL_THREAD_COUNT`` or min(32, cpus + 4)."""
    value = os.environ.get(THREAD_COUNT_SETTING, "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return min(32, (os.cpu_count() or 1) + 4)


def incoming_trace_context(headers: Mapping[str, str]) -> TraceContext:
    """The host's own span continues a valid incoming ``traceparent``; else a new trace."""
    incoming = headers.get("traceparent")
    if incoming is None:  # most local calls: one random draw for both ids
        ids = secrets.token_hex(24)
        return TraceContext(f"00-{ids[:32]}-{ids[32:]}-01", "")
    parsed, _reason = tp.parse(incoming)
    if parsed is None:
        return TraceContext(tp.new().header(), "")
    own = tp.TraceParent("00", parsed.trace_id, secrets.token_hex(8), parsed.flags & 0x01)
    return TraceContext(own.header(), headers.get("tracestate", ""))


_FRAMEWORK_DIR = str(Path(__file__).resolve().parent.parent)
_PLUMBING = (
    _FRAMEWORK_DIR,
    os.path.dirname(asyncio.__file__),
    os.path.dirname(_futures_thread.__file__),
)


def format_user_traceback(exc: BaseException) -> str:
    """The traceback from the function's own frames on: the host's plumbing left out."""
    frames = traceback.extract_tb(exc.__traceback__)
    first = 0
    while first < len(frames) and frames[first].filename.startswith(_PLUMBING):
        first += 1
    kept = frames[first:] or frames
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(kept)]
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip()


async def _finished_within(call: asyncio.Future[Any], timeout: Optional[float]) -> bool:
    """Whether ``call`` finished within ``timeout`` seconds (None: no limit). What
    ``asyncio.wait({call}, timeout=...)`` answers, with one waiter future and one timer
    instead of its sets; cancelling the caller leaves ``call`` running."""
    if call.done():
        return True
    loop = call.get_loop()
    waiter: asyncio.Future[None] = loop.create_future()

    def wake(_: Any = None) -> None:
        if not waiter.done():
            waiter.set_result(None)

    call.add_done_callback(wake)
    timer = loop.call_later(timeout, wake) if timeout is not None else None
    try:
        await waiter
    finally:
        if timer is not None:
            timer.cancel()
        call.remove_done_callback(wake)
    return call.done()


@dataclass
class FunctionHost:
    """A loaded function app, ready to invoke its functions with their extensions."""

    settings: AppSettings
    functions: Dict[str, FunctionSpec]
    routes: RouteTable[FunctionSpec]
    dispatcher: Dispatcher
    executor: ScopedPool
    in_flight: Set[asyncio.Future[Any]] = field(default_factory=set)
    observer: InvocationObserver = field(default_factory=InvocationObserver)  # the dashboard

    @classmethod
    def load(
        cls,
        app_dir: Path,
        *,
        error_phase: bool = False,
        thread_count: Optional[int] = None,
        only: Optional[Sequence[str]] = None,
    ) -> FunctionHost:
        """Read settings, export them, import the app and build the route table.

        ``only`` keeps just the functions named (``--functions``).

        Raises ``AppConfigError`` / ``AppLoadError`` (and ``RouteTemplateError``) before
        anything is served; load hooks run in ``run_load_hooks``.
        """
        app_dir = app_dir.resolve()
        settings = load_settings(app_dir)
        apply_environment(settings)
        specs = load_app(app_dir)
        if only:
            specs = select_functions(specs, only)
        routes: RouteTable[FunctionSpec] = RouteTable(settings.route_prefix)
        compiled = [compile_route(s.route, s, s.methods) for s in specs if s.is_http]
        check_route_conflicts(compiled)
        for route in compiled:
            routes.add(route)
        return cls(
            settings=settings,
            functions={spec.name.lower(): spec for spec in specs},
            routes=routes,
            dispatcher=Dispatcher(error_phase=error_phase),
            executor=ScopedPool(
                thread_count or default_thread_count(),
                thread_name_prefix="funcext-invocation",
            ),
        )

    # -- start ---------------------------------------------------------------------------

    def run_load_hooks(self) -> None:
        """The worker's load hooks, once per function, in load order, on this thread."""
        for spec in self.functions.values():
            self.dispatcher.load_function(spec.name, spec.directory)

    def start_notes(self) -> List[str]:
        """What the console warns about at start: unknown binding types, route notes."""
        notes = unknown_binding_notes(list(self.functions.values()))
        return notes + [note for route in self.routes.routes for note in route.notes]

    def url_path(self, spec: FunctionSpec) -> Optional[str]:
        for route in self.routes.routes:
            if route.target is spec:
                return self.routes.path_for(route)
        return None

    def function(self, name: str) -> Optional[FunctionSpec]:
        return self.functions.get(name.lower())

    # -- one invocation --------------------------------------------------------------------

    def new_context(
        self,
        spec: FunctionSpec,
        trace_context: Optional[TraceContext] = None,
        retry_context: Optional[RetryContext] = None,
    ) -> InvocationContext:
        return InvocationContext(
            spec.name,
            function_directory=spec.directory,
            trace_context=trace_context or TraceContext(tp.new().header(), ""),
            retry_context=retry_context or initial_retry_context(None),
        )

    async def invoke(
        self,
        spec: FunctionSpec,
        trigger_value: Any,
        *,
        trace_context: Optional[TraceContext] = None,
        retry_context: Optional[RetryContext] = None,
        reason: str = "This function was programmatically called via the host APIs.",
    ) -> InvocationRecord:
        """Run one invocation through the dispatcher; never raises the function's error."""
        context = self.new_context(spec, trace_context, retry_context)
        arguments = build_arguments(spec, trigger_value, context)
        outcome = InvocationRecord(context=context, func_args=arguments, function_name=spec.name)
        trace = self.observer.started(spec, context, trigger_value)
        console.executing(spec.name, context.invocation_id, reason)
        started = time.perf_counter()
        call = self.dispatcher.start(
            spec.function, arguments, context, executor=self.executor, trace=trace
        )
        self.in_flight.add(call)
        call.add_done_callback(self.in_flight.discard)
        # Not wait_for: a request that goes away must not cancel the call.
        if not await _finished_within(call, self.settings.function_timeout):
            call.cancel()  # stops an async function; a sync one cannot be stopped in its thread
            outcome.exception = FunctionTimeout(
                f"Timeout value of {format_timespan(self.settings.function_timeout or 0)} "
                f"exceeded by function 'Functions.{spec.name}' (Id: '{context.invocation_id}')."
            )
            console.log.error("%s Initiating cancellation.", outcome.exception)
        elif call.exception() is not None:
            outcome.exception = call.exception()
        else:
            outcome.result = call.result()
        outcome.seconds = time.perf_counter() - started
        self._report(spec, outcome)
        self.observer.finished(outcome, trace)
        return outcome

    def _report(self, spec: FunctionSpec, outcome: InvocationRecord) -> None:
        invocation_id = outcome.context.invocation_id
        if outcome.exception is not None and not isinstance(outcome.exception, FunctionTimeout):
            exc = outcome.exception
            console.log.error(
                "Exception while executing function: Functions.%s. Result: Failure\n%s\n%s",
                spec.name,
                format_user_traceback(exc),
                AZURE_TRACEBACK_NOTE,
            )
        console.executed(spec.name, invocation_id, outcome.succeeded, outcome.seconds)

    # -- stop ------------------------------------------------------------------------------

    async def drain(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for in-flight invocations; return how many remain."""
        pending = {f for f in self.in_flight if not f.done()}
        if pending:
            console.log.info(
                "Waiting up to %.0fs for %d running invocation(s)", timeout, len(pending)
            )
            _done, pending = await asyncio.wait(pending, timeout=timeout)
        return len(pending)

    def flush_extensions(self, timeout: float) -> None:
        """Give every registered extension class that has ``flush(timeout)`` a chance to
        export, all of them within ``timeout`` seconds together."""
        ends = time.monotonic() + timeout
        for extension in registry.app_extensions():
            flush = getattr(extension, "flush", None)
            if not callable(flush):
                continue
            try:
                flush(max(ends - time.monotonic(), 0.0))
            except Exception:
                logging.getLogger(console.LOGGER_NAME).exception(
                    "%s.flush() failed at shutdown", extension.__name__
                )

    def close(self) -> None:
        self.executor.shutdown(cancel_pending=True)


__all__ = ["FunctionHost", "FunctionTimeout"]
