"""``invoke``: run one function through the extension chain and record what happened.

The harness has no hook logic of its own: a ``Dispatcher`` runs the chain. Which one is the
``chain`` choice, made explicit because the worker's rules and a test's wish can differ:

- ``chain="wrapper"`` (the default): the chain as the in-function wrapper runs it,
  ``Dispatcher(error_phase=True, gated=False)``: pre, function, post or error hooks, on
  every Python and whatever ``PYTHON_ENABLE_WORKER_EXTENSIONS`` says. App tests run their
  hooks on 3.9 to 3.13 alike.
- ``chain="worker"``: exactly the worker without the wrapper, ``Dispatcher()``: gated by the
  setting and the Python version (no hooks at all on 3.13+), no error hooks.

``invoke`` and ``invoke_async`` are two doors to one ``_Invocation``; only the dispatcher
call differs (the calling thread, or the loop with sync functions in a pool thread).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Callable, Dict, Iterator, List, Optional

import azure.functions as func

from ..core import Dispatcher, InvocationRecord, is_async_function
from ..host.convert import OutputBinding
from ..toolkit import redaction
from .builders import UNROUTED_ATTRIBUTE, make_context, with_route_params
from .functions import FunctionTarget, resolve_function

WORKER = "worker"
WRAPPER = "wrapper"
CHAINS = (WRAPPER, WORKER)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(redacted_record(record))


def redacted_record(record: logging.LogRecord) -> logging.LogRecord:
    """A copy of ``record`` whose message and traceback text went through the framework's
    redaction, so a test that prints what it captured prints no secret. The original
    record (which other handlers see) is left as it was."""
    message = record.getMessage()
    masked = redaction.DEFAULT.text(message)
    exc_text = record.exc_text
    if record.exc_info and not exc_text:
        exc_text = logging.Formatter().formatException(record.exc_info)
    masked_exc = redaction.DEFAULT.text(exc_text) if exc_text else exc_text
    if masked == message and masked_exc == exc_text:
        return record
    copy = logging.makeLogRecord(record.__dict__)
    copy.msg, copy.args = masked, None
    copy.exc_text = masked_exc
    return copy


@contextlib.contextmanager
def capture_logs() -> Iterator[List[logging.LogRecord]]:
    """Every log record of every logger, for the duration of the block."""
    handler = _Capture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def chain_dispatcher(chain: str) -> Dispatcher:
    """The dispatcher of a ``chain`` choice (see the module docstring)."""
    if chain == WRAPPER:
        return Dispatcher(error_phase=True, gated=False)
    if chain == WORKER:
        return Dispatcher()
    raise ValueError(f"chain={chain!r}: choose 'wrapper' (the default) or 'worker'")


class _Invocation:
    """Everything about one ``invoke`` call but the dispatcher call itself."""

    def __init__(
        self,
        function: Any,
        context: Any,
        function_name: Optional[str],
        dispatcher: Optional[Dispatcher],
        chain: Optional[str],
        capture_exception: bool,
        func_args: Dict[str, Any],
    ) -> None:
        if dispatcher is not None and chain is not None:
            raise TypeError("invoke: pass either dispatcher= or chain=, not both")
        self.target = resolve_function(function, function_name)
        self.dispatcher = dispatcher or chain_dispatcher(chain or WRAPPER)
        self.capture_exception = capture_exception
        spec = self.target.spec
        self.context = (
            context
            if context is not None
            else make_context(spec.name, function_directory=spec.directory)
        )
        self.args = self._arguments(func_args)
        self.record = InvocationRecord(
            context=self.context, func_args=self.args, function_name=spec.name
        )

    @property
    def function(self) -> Callable[..., Any]:
        return self.target.function

    @property
    def is_async(self) -> bool:
        return is_async_function(self.function)

    def _arguments(self, given: Dict[str, Any]) -> Dict[str, Any]:
        """The call's arguments as the worker builds them from what the test gave."""
        spec = self.target.spec
        args = dict(given)
        trigger = self.target.trigger_name
        if trigger is not None and trigger in spec.parameters:
            self._check_trigger(trigger, args)
            if spec.is_http:
                args[trigger] = _routed(self.target, args[trigger])
        for binding in spec.output_bindings:
            name = str(binding["name"])
            if name in spec.parameters and name not in args:
                args[name] = OutputBinding()
        if "context" in spec.parameters and "context" not in args:
            args["context"] = self.context
        return args

    def _check_trigger(self, trigger: str, args: Dict[str, Any]) -> None:
        if args.get(trigger) is not None:
            return
        kind = self.target.spec.trigger_type or "trigger"
        problem = "is missing" if trigger not in args else "is None"
        raise TypeError(
            f"invoke({self.target.name}): the {kind} argument {trigger!r} {problem}; the "
            f"worker always passes one. Build it with the harness's builders, e.g. "
            f"{trigger}=make_http_request(...) or {trigger}=make_timer_request()"
        )

    @contextlib.contextmanager
    def _running(self) -> Iterator[None]:
        """Record logs, result and exception; re-raise the exception unless capturing."""
        with capture_logs() as records:
            try:
                yield
            except Exception as exc:
                self.record.exception = exc
                if not self.capture_exception:
                    raise
            finally:
                self.record.records = records

    def run(self) -> InvocationRecord:
        with self._running():
            self.record.result = self.dispatcher.invoke(
                self.function, self.args, self.context, trace=self.record.trace
            )
        return self.record

    async def run_async(self) -> InvocationRecord:
        with self._running():
            self.record.result = await self.dispatcher.dispatch(
                self.function, self.args, self.context, trace=self.record.trace
            )
        return self.record


def _routed(target: FunctionTarget, request: Any) -> Any:
    """An HTTP request built without route parameters gets them from the function's route."""
    if not isinstance(request, func.HttpRequest) or not getattr(request, UNROUTED_ATTRIBUTE, False):
        return request
    return with_route_params(request, target.route_params(request.method, request.url))


def invoke(
    function: Any,
    *,
    context: Any = None,
    function_name: Optional[str] = None,
    chain: Optional[str] = None,
    dispatcher: Optional[Dispatcher] = None,
    capture_exception: bool = False,
    **func_args: Any,
) -> InvocationRecord:
    """Run ``function`` with ``func_args`` (its bindings by name) through the extension chain.

    Parameters
    ----------
    function:
        A v2 decorated function (what ``@app.route``, ``@app.timer_trigger``, ... return,
        a blueprint's too), a v2 ``Function``, a v1 ``main`` (its ``function.json`` gives
        the name, the folder's, and the bindings), or a plain callable. The function's real
        name is what the context carries and what ``only=``/``exclude=`` filters see.
    context:
        The invocation context; a new one (``make_context``) by default. Passed to the
        function when it declares ``context``, as the worker does.
    function_name:
        Overrides the name (for plain callables, whose name is their ``__name__``).
    chain:
        ``"wrapper"`` (default): hooks run on every Python and whatever the setting says,
        error hooks included, as the in-function wrapper runs them. ``"worker"``: exactly
        the worker's gating, no error hooks.
    dispatcher:
        A ``Dispatcher`` of your own instead of ``chain``.
    capture_exception:
        ``False`` (default): the function's exception propagates unchanged, after the
        chain ran. ``True``: it is kept in ``record.exception`` instead.

    An HTTP request from ``make_http_request(method, url)`` gets its ``route_params`` from
    the function's route; a missing (or ``None``) trigger argument is a ``TypeError``;
    output bindings not given get an ``Out``. Log records of every logger are captured
    for the duration of the call. Async functions run on a new event loop (inside a
    running loop, ``await invoke_async(...)``).
    """
    call = _Invocation(
        function, context, function_name, dispatcher, chain, capture_exception, func_args
    )
    if not call.is_async:
        return call.run()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(call.run_async())
    raise RuntimeError(
        f"invoke({call.target.name}): an async function inside a running event loop; "
        "use 'await invoke_async(...)'"
    )


async def invoke_async(
    function: Any,
    *,
    context: Any = None,
    function_name: Optional[str] = None,
    chain: Optional[str] = None,
    dispatcher: Optional[Dispatcher] = None,
    capture_exception: bool = False,
    **func_args: Any,
) -> InvocationRecord:
    """``invoke`` inside a running loop: async functions on it, sync ones in a pool thread."""
    call = _Invocation(
        function, context, function_name, dispatcher, chain, capture_exception, func_args
    )
    return await call.run_async()
