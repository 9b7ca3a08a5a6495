"""A ``logging.LogRecord`` written field by field: the record ``LogRecord(...)`` makes, cheaper.

``LogRecord.__init__`` spends half its time on what is the same for every record of one
call site (splitting the file name into ``filename`` and ``module``, testing a single
argument for a mapping). ``replica`` writes the same attributes, in the same order, with
the same values (written as attributes, in ``__init__``'s order, so the instances share
``LogRecord``'s key layout), computing the clock, thread and process fields exactly as the running
Python's ``LogRecord.__init__`` does (the ``logThreads``, ``logProcesses``,
``logMultiprocessing`` and, from 3.12, ``logAsyncioTasks`` switches included), and takes
the file name's parts from a small cache keyed by source path.

It is only used where ``LogRecord(...)`` would be: ``make`` takes the replica when the
logger makes its records with the stock ``Logger.makeRecord`` and the stock record
factory, and the ordinary call otherwise (a custom factory or ``makeRecord`` runs as
always). And only on a
Python whose ``LogRecord`` it matches: the first use compares a replica with a real
record field by field (names, order, values, the clock fields' formula) and turns the
replica off for good if anything differs, so a new Python that adds or changes a field
falls back to ``logging`` itself.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Mapping as MappingType
from logging import LogRecord
from typing import Any, Dict, Optional, Tuple

_MAKE_RECORD = logging.Logger.makeRecord
_new_record = object.__new__
_get_ident = threading.get_ident
_current_thread = threading.current_thread
_get_level_name = logging.getLevelName
_HAS_GETPID = hasattr(os, "getpid")
# Python 3.13 keeps the creation time in nanoseconds (``time.time_ns``).
_NANOSECOND_CLOCK = sys.version_info >= (3, 13)
# Python 3.12 added ``taskName`` (the running asyncio task's name, or None).
_TASK_NAME = sys.version_info >= (3, 12)
# The msecs formula changed in a 3.10 patch release (gh-89047): decided at the first check.
_integral_msecs = True
_MAX_PATHS = 256  # call sites are few: source files, never request content
_file_parts: Dict[str, Tuple[str, str]] = {}
# None until the first use checks the replica against ``LogRecord`` itself.
_matches_stock: Optional[bool] = None


def make(
    logger: logging.Logger,
    level: int,
    pathname: str,
    lineno: int,
    msg: Any,
    args: Tuple[Any, ...],
    func: Optional[str],
) -> LogRecord:
    """``logger.makeRecord(logger.name, level, pathname, lineno, msg, args, None, func)``:
    the replica where that would be a plain ``LogRecord``, else that call itself."""
    if (
        _matches_stock
        and type(logger).makeRecord is _MAKE_RECORD
        and "makeRecord" not in logger.__dict__
        and logging.getLogRecordFactory() is LogRecord
        and args.__class__ is tuple
        and (len(args) != 1 or args[0].__class__ is str or not _is_mapping(args[0]))
    ):
        return replica(logger.name, level, pathname, lineno, msg, args, func)
    if _matches_stock is None:
        _check_against_stock()
        return make(logger, level, pathname, lineno, msg, args, func)
    return logger.makeRecord(logger.name, level, pathname, lineno, msg, args, None, func)


def _is_mapping(value: Any) -> bool:
    """What ``LogRecord`` unpacks when it is the only argument (for ``%(name)s``)."""
    return isinstance(value, MappingType) and bool(value)


def replica(
    name: str,
    level: int,
    pathname: str,
    lineno: int,
    msg: Any,
    args: Any,
    func: Optional[str],
) -> LogRecord:
    """``LogRecord(name, level, pathname, lineno, msg, args, None, func)``, attribute for
    attribute, on a Python where ``_check_against_stock`` passed. ``args`` must not be a
    one-item tuple holding a non-empty mapping: ``LogRecord`` would unpack it, the replica
    does not (``make`` sees to both)."""
    parts = _file_parts.get(pathname)
    if parts is None:
        parts = _split_path(pathname)
    if _NANOSECOND_CLOCK:
        now_ns = time.time_ns()
    else:
        now = time.time()
    record = _new_record(LogRecord)
    record.name = name
    record.msg = msg
    record.args = args
    record.levelname = _get_level_name(level)
    record.levelno = level
    record.pathname = pathname
    record.filename = parts[0]
    record.module = parts[1]
    record.exc_info = None
    record.exc_text = None
    record.stack_info = None
    record.lineno = lineno
    record.funcName = func  # type: ignore[assignment]
    if _NANOSECOND_CLOCK:
        created = now_ns / 1e9
        msecs = (now_ns % 1_000_000_000) // 1_000_000 + 0.0
        if msecs == 999.0 and int(created) != now_ns // 1_000_000_000:
            msecs = 0.0
        record.created = created
        record.msecs = msecs
        record.relativeCreated = (now_ns - logging._startTime) / 1e6  # type: ignore[attr-defined]
    else:
        record.created = now
        if _integral_msecs:
            record.msecs = int((now - int(now)) * 1000) + 0.0
        else:
            record.msecs = (now - int(now)) * 1000
        record.relativeCreated = (now - logging._startTime) * 1000  # type: ignore[attr-defined]
    if logging.logThreads:
        record.thread = _get_ident()
        record.threadName = _current_thread().name
    else:
        record.thread = None
        record.threadName = None
    if not logging.logMultiprocessing:
        record.processName = None
    else:
        process_name = "MainProcess"
        multiprocessing = sys.modules.get("multiprocessing")
        if multiprocessing is not None:
            try:  # noqa: SIM105 (as LogRecord does it; cheaper than contextlib.suppress)
                process_name = multiprocessing.current_process().name
            except Exception:
                pass
        record.processName = process_name
    if logging.logProcesses and _HAS_GETPID:
        record.process = os.getpid()
    else:
        record.process = None
    if _TASK_NAME:
        record.taskName = _task_name()
    return record


def _task_name() -> Optional[str]:
    """What ``LogRecord`` 3.12+ records as ``taskName``: the running task's name, or None.
    Without a running loop ``asyncio.current_task()`` raises (and ``LogRecord`` catches
    it); the loop is looked up first so sync code pays no exception."""
    if not logging.logAsyncioTasks:  # type: ignore[attr-defined]
        return None
    asyncio = sys.modules.get("asyncio")
    if not asyncio:
        return None
    if asyncio.events._get_running_loop() is None:
        return None
    try:
        return asyncio.current_task().get_name()  # type: ignore[no-any-return]
    except Exception:
        return None


def _split_path(pathname: str) -> Tuple[str, str]:
    """``(filename, module)`` of a source path, as ``LogRecord`` derives them."""
    try:
        filename = os.path.basename(pathname)
        parts = (filename, os.path.splitext(filename)[0])
    except (TypeError, ValueError, AttributeError):
        parts = (pathname, "Unknown module")
    if len(_file_parts) < _MAX_PATHS:
        _file_parts[pathname] = parts
    return parts


def _check_against_stock() -> bool:
    """Build one record both ways and compare; remember whether the replica may be used."""
    global _matches_stock, _integral_msecs
    stock = LogRecord("check", logging.INFO, __file__, 1, "%s", ("x",), None, "check")
    msecs, created = stock.msecs, stock.created
    if not _NANOSECOND_CLOCK:
        _integral_msecs = msecs == int((created - int(created)) * 1000) + 0.0
    made = replica("check", logging.INFO, __file__, 1, "%s", ("x",), "check")
    clock = ("created", "msecs", "relativeCreated")
    ours, theirs = vars(made), vars(stock)
    same_fields = list(ours) == list(theirs) and all(
        ours[key] == theirs[key] for key in theirs if key not in clock
    )
    same_clock = all(
        type(ours[key]) is type(theirs[key]) and abs(ours[key] - theirs[key]) < 1000.0
        for key in clock
    )
    _matches_stock = same_fields and same_clock
    return _matches_stock


def reset_check() -> None:
    """Forget the first-use check (for tests that change what ``LogRecord`` does)."""
    global _matches_stock
    _matches_stock = None
