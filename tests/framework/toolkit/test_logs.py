"""``toolkit.logs`` writes the record ``Logger.log`` would: the field-by-field replica of
``LogRecord`` gives the same attributes, in the same order, with the same values, and
steps aside for a custom record factory or ``makeRecord``."""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_worker_extension_framework.toolkit import _log_record, logs

LOGGER = "tests.toolkit.logs"


class Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def kept() -> Iterator[Keep]:
    logger = logging.getLogger(LOGGER)
    handler = Keep()
    saved = (logger.level, logger.propagate)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def _fixed_clock(monkeypatch: pytest.MonkeyPatch, seconds: float, nanoseconds: int) -> None:
    """Both ways of making a record read the same clock."""
    monkeypatch.setattr(time, "time", lambda: seconds)
    monkeypatch.setattr(time, "time_ns", lambda: nanoseconds)


def _both(
    level: int, msg: Any, args: Tuple[Any, ...], func: Optional[str], lineno: int, path: str
) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    logger = logging.getLogger(LOGGER)
    stock = logger.makeRecord(LOGGER, level, path, lineno, msg, args, None, func)
    made = _log_record.make(logger, level, path, lineno, msg, args, func)
    assert type(made) is logging.LogRecord
    return vars(stock), vars(made)


@settings(max_examples=300)
@given(
    level=st.sampled_from([logging.DEBUG, logging.INFO, logging.WARNING, 35, logging.ERROR]),
    msg=st.one_of(st.text(max_size=20), st.just("%s")),
    args=st.one_of(
        st.tuples(st.text(max_size=20)),
        st.tuples(st.integers(), st.text(max_size=5)),
        st.just(()),
        st.tuples(st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)),
    ),
    func=st.one_of(st.none(), st.sampled_from(["_log", "post_invocation"])),
    lineno=st.integers(min_value=0, max_value=10_000),
    path=st.sampled_from(
        ["/srv/app/extension.py", "extension", "(unknown file)", "C:\\app\\x.py", "", "a/b.c.py"]
    ),
    nanoseconds=st.integers(min_value=1_600_000_000_000_000_000, max_value=1 << 62),
)
def test_replica_is_the_record_log_record_makes(
    level: int,
    msg: Any,
    args: Tuple[Any, ...],
    func: Optional[str],
    lineno: int,
    path: str,
    nanoseconds: int,
) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        _fixed_clock(monkeypatch, nanoseconds / 1e9, nanoseconds)
        stock, made = _both(level, msg, args, func, lineno, path)
    assert list(made) == list(stock)
    assert made == stock


def test_replica_follows_the_logging_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    _fixed_clock(monkeypatch, 1_700_000_000.5, 1_700_000_000_500_000_000)
    for switch in ("logThreads", "logProcesses", "logMultiprocessing", "logAsyncioTasks"):
        monkeypatch.setattr(logging, switch, False, raising=False)
    stock, made = _both(logging.INFO, "%s", ("x",), "f", 3, __file__)
    assert made == stock
    assert made["thread"] is None and made["process"] is None


def test_replica_records_the_thread_it_runs_on(monkeypatch: pytest.MonkeyPatch) -> None:
    _fixed_clock(monkeypatch, 1_700_000_000.25, 1_700_000_000_250_000_000)
    seen: List[Tuple[Dict[str, Any], Dict[str, Any]]] = []
    worker = threading.Thread(
        target=lambda: seen.append(_both(logging.INFO, "m", (), None, 1, __file__)),
        name="worker-7",
    )
    worker.start()
    worker.join()
    [(stock, made)] = seen
    assert made == stock and made["threadName"] == "worker-7"


@pytest.mark.skipif(sys.version_info < (3, 12), reason="taskName is new in Python 3.12")
def test_replica_names_the_running_asyncio_task(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    _fixed_clock(monkeypatch, 1_700_000_000.75, 1_700_000_000_750_000_000)

    async def in_a_task() -> Tuple[Dict[str, Any], Dict[str, Any]]:
        return _both(logging.INFO, "m", (), None, 1, __file__)

    async def main() -> Tuple[Dict[str, Any], Dict[str, Any]]:
        return await asyncio.create_task(in_a_task(), name="invocation-task")

    stock, made = asyncio.run(main())
    assert made == stock and made["taskName"] == "invocation-task"


def test_a_custom_record_factory_still_makes_the_record(
    kept: Keep, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Tagged(logging.LogRecord):
        tag = "custom"

    monkeypatch.setattr(logging, "_logRecordFactory", Tagged)
    logs.emit(logging.getLogger(LOGGER), logging.INFO, "%s", ("x",), sys._getframe())
    [record] = kept.records
    assert type(record) is Tagged


def test_a_custom_make_record_still_makes_the_record(
    kept: Keep, monkeypatch: pytest.MonkeyPatch
) -> None:
    logger = logging.getLogger(LOGGER)
    calls: List[str] = []
    stock_make_record = logger.makeRecord

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        calls.append(args[4])
        return stock_make_record(*args, **kwargs)

    monkeypatch.setattr(logger, "makeRecord", make_record)
    logs.emit(logger, logging.INFO, "%s", ("x",), sys._getframe())
    assert calls == ["%s"] and len(kept.records) == 1


def test_one_mapping_argument_is_unpacked_as_logging_does(kept: Keep) -> None:
    values: Mapping[str, int] = {"count": 3}
    logs.emit(logging.getLogger(LOGGER), logging.INFO, "%(count)s", (values,), sys._getframe())
    [record] = kept.records
    assert record.args == values and record.getMessage() == "3"


def test_emit_names_its_caller_and_line_every_time(kept: Keep) -> None:
    logger = logging.getLogger(LOGGER)

    def first() -> int:
        logs.emit(logger, logging.INFO, "one", (), sys._getframe())
        return sys._getframe().f_lineno - 1

    def second() -> int:
        logs.emit(logger, logging.INFO, "two", (), sys._getframe())
        return sys._getframe().f_lineno - 1

    lines = [first(), second(), first(), second()]
    got = [(r.funcName, r.lineno, r.getMessage()) for r in kept.records]
    assert got == [
        ("first", lines[0], "one"),
        ("second", lines[1], "two"),
        ("first", lines[2], "one"),
        ("second", lines[3], "two"),
    ]
    assert all(r.pathname == __file__ and r.module == "test_logs" for r in kept.records)


def test_the_replica_is_what_this_python_uses(kept: Keep) -> None:
    """The first-use comparison accepts the replica on every supported Python (else the
    tests above would only compare ``logging`` with itself)."""
    logs.emit(logging.getLogger(LOGGER), logging.INFO, "%s", ("x",), sys._getframe())
    assert _log_record._matches_stock is True
