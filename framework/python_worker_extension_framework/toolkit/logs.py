"""Writing an extension's log record at less cost than ``Logger.log``, with the same result.

An extension logs on every invocation, so the fixed cost of ``Logger.log`` shows: it walks
the stack to find the caller (``findCaller``) and checks ``extra``'s keys one by one.
``emit`` is what ``logger.log(level, msg, *args, extra=extra)`` does once the caller is
known: the caller's frame is passed in (``sys._getframe()`` at the call site), and the
record is made and handled by the logger's own ``makeRecord`` and ``handle``, so filters,
handlers, propagation and a custom record factory behave exactly as with ``log``.
``make_record`` is its first half, for a caller that sets many attributes on the record
itself before ``logger.handle``.
"""

from __future__ import annotations

import logging
from types import CodeType, FrameType
from typing import Any, Dict, Mapping, Optional, Tuple

# (id of a code object, instruction offset) -> (the code object, its line): a few call
# sites per extension. The code object is kept so a recycled id is never trusted.
_lines: Dict[Tuple[int, int], Tuple[CodeType, int]] = {}
_MAX_LINES = 1024


def emit(
    logger: logging.Logger,
    level: int,
    msg: str,
    args: Tuple[Any, ...],
    caller: Optional[FrameType],
    extra: Optional[Mapping[str, Any]] = None,
) -> None:
    """Log ``msg % args`` at ``level`` as if ``caller`` had called ``logger.log``.

    ``extra``'s keys are set on the record as they are; unlike ``log``'s ``extra`` they are
    not checked against the record's own attributes, so pass only keys that cannot clash.
    """
    if not logger.isEnabledFor(level):
        return
    record = make_record(logger, level, msg, args, caller)
    if extra:
        record.__dict__.update(extra)
    logger.handle(record)


def make_record(
    logger: logging.Logger,
    level: int,
    msg: str,
    args: Tuple[Any, ...],
    caller: Optional[FrameType],
) -> logging.LogRecord:
    """The record ``emit`` would handle, for a caller that has checked the level itself
    and adds its own attributes before passing it to ``logger.handle``."""
    if caller is not None and logging._srcfile:  # the documented switch for caller lookup
        code = caller.f_code
        pathname, lineno, function = code.co_filename, _line_of(caller, code), code.co_name
    else:
        pathname, lineno, function = "(unknown file)", 0, "(unknown function)"
    return logger.makeRecord(logger.name, level, pathname, lineno, msg, args, None, function)


def _line_of(frame: FrameType, code: CodeType) -> int:
    """``frame.f_lineno``, remembered by code object and instruction: computing it walks
    the code's line table, which costs more than the rest of the caller's facts."""
    key = (id(code), frame.f_lasti)
    known = _lines.get(key)
    if known is not None and known[0] is code:
        return known[1]
    lineno = frame.f_lineno
    if len(_lines) < _MAX_LINES:
        _lines[key] = (code, lineno)
    return lineno
