"""``invoke``: run a function through the full hook chain and record what happened."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..core import Dispatcher, HookTrace, is_async_function
from ..toolkit import redaction
from .builders import make_context


@dataclass
class InvocationRecord:
    """The outcome of one invocation: result or exception, hook calls, log records."""

    result: Any = None
    exception: Optional[BaseException] = None
    context: Any = None
    func_args: Dict[str, Any] = field(default_factory=dict)
    trace: HookTrace = field(default_factory=HookTrace)
    records: List[logging.LogRecord] = field(default_factory=list)

    @property
    def hook_calls(self) -> List[Tuple[str, str]]:
        """``(hook, extension)`` pairs in call order."""
        return self.trace.names()

    def messages(self, logger_prefix: str = "") -> List[str]:
        """Formatted messages of the captured records, optionally of one logger tree."""
        return [r.getMessage() for r in self.records if r.name.startswith(logger_prefix)]

    def raise_for_exception(self) -> Any:
        if self.exception is not None:
            raise self.exception
        return self.result


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


def _prepare(
    function: Callable[..., Any],
    context: Any,
    func_args: Dict[str, Any],
    function_name: Optional[str],
) -> Tuple[Any, Dict[str, Any]]:
    name = str(function_name or getattr(function, "__name__", "function"))
    context = context if context is not None else make_context(name)
    args = dict(func_args)
    try:
        import inspect

        if "context" in inspect.signature(function).parameters and "context" not in args:
            args["context"] = context
    except (TypeError, ValueError):
        pass
    return context, args


def _start_capture() -> Tuple[_Capture, int]:
    handler = _Capture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    return handler, previous


def _stop_capture(handler: _Capture, previous: int) -> None:
    root = logging.getLogger()
    root.removeHandler(handler)
    root.setLevel(previous)


def invoke(
    function: Callable[..., Any],
    *,
    context: Any = None,
    function_name: Optional[str] = None,
    dispatcher: Optional[Dispatcher] = None,
    **func_args: Any,
) -> InvocationRecord:
    """Run ``function(**func_args)`` through ``dispatcher`` (error phase on by default).

    ``context`` is passed when the function declares it, as the worker does. The function's
    exception is caught and returned in the record, not raised. Log records of every
    logger are captured for the duration of the call. Async functions run on a new loop.
    """
    if is_async_function(function):
        import asyncio

        return asyncio.run(
            invoke_async(
                function,
                context=context,
                function_name=function_name,
                dispatcher=dispatcher,
                **func_args,
            )
        )
    dispatcher = dispatcher or Dispatcher(error_phase=True)
    context, args = _prepare(function, context, func_args, function_name)
    record = InvocationRecord(context=context, func_args=args)
    handler, previous = _start_capture()
    try:
        record.result = dispatcher.invoke(function, args, context, trace=record.trace)
    except Exception as exc:
        record.exception = exc
    finally:
        _stop_capture(handler, previous)
    record.records = handler.records
    return record


async def invoke_async(
    function: Callable[..., Any],
    *,
    context: Any = None,
    function_name: Optional[str] = None,
    dispatcher: Optional[Dispatcher] = None,
    **func_args: Any,
) -> InvocationRecord:
    """``invoke`` for use inside a running loop; sync functions go to a pool thread."""
    dispatcher = dispatcher or Dispatcher(error_phase=True)
    context, args = _prepare(function, context, func_args, function_name)
    record = InvocationRecord(context=context, func_args=args)
    handler, previous = _start_capture()
    try:
        record.result = await dispatcher.dispatch(function, args, context, trace=record.trace)
    except Exception as exc:
        record.exception = exc
    finally:
        _stop_capture(handler, previous)
    record.records = handler.records
    return record
