"""The batch span processor of our pipelines (``batching.QueueingSpanProcessor``): what the
SDK's ``BatchSpanProcessor`` exports, when it exports it, and what it drops and warns of,
on its short way (the pinned SDK) and on the SDK's own ``on_end`` (any other)."""

from __future__ import annotations

import logging
import threading
from typing import List, Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanContext, TraceFlags
from python_worker_extension_opentelemetry.batching import QueueingSpanProcessor

HOUR_MS = 3_600_000  # a schedule delay no test waits for


class Collecting(SpanExporter):
    """Keeps the exported batches; ``enough`` is set once ``wanted`` spans came."""

    def __init__(self, wanted: int) -> None:
        self.batches: List[List[str]] = []
        self.wanted = wanted
        self.enough = threading.Event()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.batches.append([span.name for span in spans])
        if sum(map(len, self.batches)) >= self.wanted:
            self.enough.set()
        return SpanExportResult.SUCCESS

    def names(self) -> List[str]:
        """Every exported span's name, sorted."""
        return sorted(name for batch in self.batches for name in batch)

    def shutdown(self) -> None:
        pass


def ended(name: str, sampled: bool = True) -> ReadableSpan:
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    return ReadableSpan(
        name=name, context=SpanContext(1, len(name) + 1, False, flags), start_time=1, end_time=2
    )


@pytest.fixture(params=["short", "the SDK's on_end"])
def short(request: pytest.FixtureRequest) -> bool:
    return bool(request.param == "short")


def make(kind: type, exporter: Collecting, short: bool = True, **kwargs: int) -> BatchSpanProcessor:
    processor = kind(exporter, schedule_delay_millis=HOUR_MS, **kwargs)
    if kind is QueueingSpanProcessor and not short:
        processor.short = False  # as on an SDK release whose fields differ
    return processor  # type: ignore[no-any-return]


def test_the_short_way_is_taken_on_the_pinned_sdk() -> None:
    processor = QueueingSpanProcessor(Collecting(1), schedule_delay_millis=HOUR_MS)
    try:
        assert processor.short
    finally:
        processor.shutdown()


def test_a_full_batch_is_exported_without_waiting_for_the_schedule(short: bool) -> None:
    """The export thread, waiting, is woken once a batch is queued (and again for the next
    ones); spans below a batch wait for the schedule or a flush."""
    exporter = Collecting(8)
    processor = make(QueueingSpanProcessor, exporter, short, max_export_batch_size=4)
    try:
        for index in range(9):
            processor.on_end(ended(f"span {index}"))
        assert exporter.enough.wait(30), "the export thread was never woken"
        assert exporter.names() == [f"span {index}" for index in range(8)]
        assert all(len(batch) == 4 for batch in exporter.batches)
        assert processor.force_flush()
        assert exporter.names() == [f"span {index}" for index in range(9)]
    finally:
        processor.shutdown()


class Blocking(Collecting):
    """Holds its first export until ``release`` is set (``entered`` says it is held)."""

    def __init__(self) -> None:
        super().__init__(10**6)
        self.entered = threading.Event()
        self.release = threading.Event()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.entered.set()
        assert self.release.wait(30)
        return super().export(spans)


def test_drops_and_warns_as_the_sdks_processor(
    short: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """Not sampled: not exported; a full queue (the export thread busy): the oldest span
    dropped, one warning; after shutdown: dropped with the SDK's warning. Both processors,
    the same outcome."""
    outcomes = []
    for kind in (QueueingSpanProcessor, BatchSpanProcessor):
        caplog.clear()
        exporter = Blocking()
        processor = make(kind, exporter, short, max_queue_size=4, max_export_batch_size=4)
        with caplog.at_level(logging.WARNING):
            processor.on_end(ended("not sampled", sampled=False))
            for index in range(4):
                processor.on_end(ended(f"first {index}"))
            assert exporter.entered.wait(30)  # the export thread holds the first batch
            for index in range(6):
                processor.on_end(ended(f"second {index}"))
            exporter.release.set()
            assert processor.force_flush()
            processor.shutdown()
            processor.on_end(ended("after shutdown"))
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        outcomes.append((exporter.names(), warnings))
    ours, sdk = outcomes
    assert ours == sdk
    exported, warnings = ours
    assert exported == sorted(
        [f"first {i}" for i in range(4)] + [f"second {i}" for i in (2, 3, 4, 5)]
    )
    assert warnings == [
        "Queue is full, likely spans will be dropped.",
        "Already shutdown, dropping span.",
    ]
