"""``toolkit.logs`` writes the record ``Logger.log`` would: through the logger's own
``makeRecord`` and record factory, naming the caller and its line."""

from __future__ import annotations

import logging
import sys
from typing import Any, Iterator, List, Mapping

import pytest
from python_worker_extension_framework.toolkit import logs

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
