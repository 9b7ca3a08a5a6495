"""Shared measuring code for the benchmarks in this folder.

A benchmark module is ``bench/bench_<name>.py`` with a function
``run(quick: bool) -> list[Table]``. Each ``Table`` holds rows measured in the same run,
one of them the baseline; ``bench/run.py`` collects every module's tables into
``bench/results.md``. Times are per operation, from several repeats of many calls, so a
row's median and spread say how stable it is.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

SETTING = "PYTHON_ENABLE_WORKER_EXTENSIONS"


@dataclass
class Row:
    """One measured variant: seconds per operation for each repeat (or any unit)."""

    label: str
    samples: List[float]
    unit: str = "us"
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        """Half the distance between the fastest and slowest repeat, in the row's unit."""
        return (max(self.samples) - min(self.samples)) / 2


@dataclass
class Table:
    """Rows measured together; ``baseline`` names the row the ratios are against."""

    title: str
    baseline: str
    rows: List[Row] = field(default_factory=list)
    description: str = ""
    higher_is_better: bool = False
    # Per-request latencies (milliseconds) by row label, for the distribution chart.
    latencies: Dict[str, List[float]] = field(default_factory=dict)
    # Whether the overhead chart shows this table's rows (time-per-call tables only).
    chart_overhead: bool = True

    def row(self, label: str) -> Row:
        return next(r for r in self.rows if r.label == label)

    def ratio(self, label: str) -> float:
        return self.row(label).median / self.row(self.baseline).median

    def markdown(self) -> str:
        unit = self.rows[0].unit if self.rows else ""
        lines = [f"### {self.title}", ""]
        if self.description:
            lines += [self.description, ""]
        if not any(row.label == self.baseline for row in self.rows):
            # A table of ratios or overheads: no row to divide by.
            lines += [
                f"| variant | median ({unit}) | spread (±{unit}) | note |",
                "|---|---:|---:|---|",
            ]
            lines += [
                f"| {row.label} | {row.median:.2f} | {row.spread:.2f} | {row.note} |"
                for row in self.rows
            ]
            return "\n".join(lines) + "\n"
        lines += [
            f"| variant | median ({unit}) | spread (±{unit}) | ratio vs {self.baseline} | note |",
            "|---|---:|---:|---:|---|",
        ]
        for row in self.rows:
            lines.append(
                f"| {row.label} | {row.median:.2f} | {row.spread:.2f} | "
                f"{self.ratio(row.label):.2f}x | {row.note} |"
            )
        return "\n".join(lines) + "\n"


def per_call_microseconds(
    operation: Callable[[], object],
    *,
    number: int = 2000,
    repeat: int = 7,
    setup: Optional[Callable[[], object]] = None,
) -> List[float]:
    """Microseconds per call of ``operation``, one figure per repeat (GC off while timing)."""
    if setup is not None:
        setup()
    for _ in range(min(number, 200)):  # warm-up
        operation()
    samples = []
    for _ in range(repeat):
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            started = time.perf_counter()
            for _ in range(number):
                operation()
            elapsed = time.perf_counter() - started
        finally:
            if gc_was_enabled:
                gc.enable()
        samples.append(elapsed / number * 1e6)
    return samples


def cpu_microseconds_per_call(
    call: Callable[[], Any], number: int, flush: Optional[Callable[[], Any]] = None
) -> float:
    """Process CPU µs per call (every thread of the process, so other load on the machine
    barely moves it) over ``number`` calls after a warm-up, GC off. ``flush``, when given,
    runs after the warm-up and again inside the timing: work a call hands to another
    thread (an exporter's queue) is counted."""
    for _ in range(min(number, 200)):  # warm-up
        call()
    if flush is not None:
        flush()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        started = time.process_time()
        for _ in range(number):
            call()
        if flush is not None:
            flush()
        elapsed = time.process_time() - started
    finally:
        if gc_was_enabled:
            gc.enable()
    return elapsed / number * 1e6


def progress(message: str) -> None:
    """Progress lines go to stderr so a long ``make bench`` shows where it is."""
    import sys

    print(f"[bench] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def extensions_enabled() -> Iterator[None]:
    """``PYTHON_ENABLE_WORKER_EXTENSIONS=1`` while measuring, as a function app sets it."""
    saved = os.environ.get(SETTING)
    os.environ[SETTING] = "1"
    try:
        yield
    finally:
        if saved is None:
            del os.environ[SETTING]
        else:
            os.environ[SETTING] = saved


class FormatAndDrop(logging.Handler):
    """Formats each record, as a real handler would at least do, and keeps only a count of
    records per logger name (so a soak can check that every invocation was logged)."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.format(record)
        self.counts[record.name] = self.counts.get(record.name, 0) + 1


@contextlib.contextmanager
def logger_formatting_only(
    name: str, level: int, handler: Optional[FormatAndDrop] = None
) -> Iterator[FormatAndDrop]:
    """The logger ``name`` at ``level`` with a format-and-drop handler (``handler``, or a new
    one), not propagated; restored afterwards. Measures an extension's logging without
    terminal or file I/O; yields the handler, whose ``counts`` say what was logged."""
    logger = logging.getLogger(name)
    handler = handler or FormatAndDrop()
    saved = (logger.level, logger.propagate)
    logger.setLevel(level)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def measure_variants(
    table: Table,
    extension: type,
    logger_name: str,
    variants: Sequence[Tuple[str, Dict[str, Any], int]],
    call: Callable[[], object],
    *,
    number: int,
    name: str,
) -> None:
    """Fill ``table``: the baseline row (no extension registered), then one row per
    ``(label, configure options, log level)`` with ``extension`` alone in the registry and
    its logger formatting only; each row's note is its overhead over the baseline."""
    from python_worker_extension_framework.testing import registered

    with extensions_enabled():
        progress(f"{name}: {table.baseline}")
        with registered():
            table.rows.append(Row(table.baseline, per_call_microseconds(call, number=number)))
        for label, options, level in variants:
            progress(f"{name}: {label}")
            with registered(extension), logger_formatting_only(logger_name, level):
                extension.reset()  # type: ignore[attr-defined]
                extension.configure(**options)  # type: ignore[attr-defined]
                samples = per_call_microseconds(call, number=number)
                extension.reset()  # type: ignore[attr-defined]
            table.rows.append(Row(label, samples))
    baseline = table.row(table.baseline).median
    for row in table.rows[1:]:
        row.note = f"+{row.median - baseline:.2f} us"
