"""Span exporters: the local JSON-lines exporter, no-op and capturing helpers, and the guard
that keeps every exporter from blocking or failing an invocation.

``JsonLinesExporter`` writes one JSON object per span, to a file or to the console, from a
background thread fed by a bounded queue: the invocation only enqueues. When the queue is
full, spans are dropped and counted. ``SafeExporter`` wraps whichever exporter is in use:
an exception from ``export()`` is counted, logged (the first one, then at most once a
minute) and the spans are dropped; the invocation never sees it. It also hands every span
to the framework's ``span_feed`` when someone listens (the local host's dashboard).
"""

from __future__ import annotations

import atexit
import contextlib
import datetime
import json
import logging
import os
import queue
import sys
import threading
import time
from typing import IO, Any, Dict, List, Optional, Sequence

from opencensus.common.schedule import QueueEvent
from opencensus.trace.base_exporter import Exporter
from opencensus.trace.span_data import SpanData
from python_worker_extension_framework.toolkit import span_feed

LOGGER_NAME = "python_worker_extension_opencensus"
_log = logging.getLogger(LOGGER_NAME)

ERROR_LOG_INTERVAL_SECONDS = 60.0
EXIT_FLUSH_SECONDS = 2.0
_SPAN_KINDS = {0: "unspecified", 1: "server", 2: "client"}
_FEED_KINDS = {0: "internal", 1: "server", 2: "client"}


class Counters:
    """What went wrong in export, for ``OpenCensusExtension.export_stats()``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.written = 0  # spans the JSON-lines exporter wrote
        self.dropped = 0  # spans lost: queue full or exporter failure
        self.errors = 0  # exporter failures (exceptions, write errors)
        self._last_error_log = -ERROR_LOG_INTERVAL_SECONDS

    def add(self, *, written: int = 0, dropped: int = 0, errors: int = 0) -> None:
        with self._lock:
            self.written += written
            self.dropped += dropped
            self.errors += errors

    def failure(self, what: str, exc: BaseException, spans: int) -> None:
        """Count a failure that lost ``spans`` spans; log it unless one was logged lately."""
        with self._lock:
            self.errors += 1
            self.dropped += spans
            now = time.monotonic()
            should_log = now - self._last_error_log >= ERROR_LOG_INTERVAL_SECONDS
            if should_log:
                self._last_error_log = now
            errors, dropped = self.errors, self.dropped
        if should_log:
            _log.warning(
                "%s failed (%s: %s); %d span(s) dropped. %d failure(s), %d span(s) dropped "
                "so far; the next failures are logged at most once a minute.",
                what,
                type(exc).__name__,
                exc,
                spans,
                errors,
                dropped,
            )

    def snapshot(self) -> Dict[str, int]:
        with self._lock:
            return {"written": self.written, "dropped": self.dropped, "errors": self.errors}


class NoopExporter(Exporter):  # type: ignore[misc]
    """Drops every span (the ``'none'`` exporter; also useful for benchmarks)."""

    def export(self, span_datas: Sequence[SpanData]) -> None:
        pass

    def emit(self, span_datas: Sequence[SpanData]) -> None:
        pass

    def flush(self, timeout: float) -> bool:
        return True


class CapturingExporter(Exporter):  # type: ignore[misc]
    """Keeps every exported span in memory, in export order: for tests of your app::

    exporter = CapturingExporter()
    OpenCensusExtension.configure(exporter=exporter)
    ...
    assert exporter.names() == ["child", "HttpTrigger"]
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.spans: List[SpanData] = []

    def export(self, span_datas: Sequence[SpanData]) -> None:
        with self._lock:
            self.spans.extend(span_datas)

    def emit(self, span_datas: Sequence[SpanData]) -> None:
        self.export(span_datas)

    def flush(self, timeout: float) -> bool:
        return True

    def names(self) -> List[str]:
        with self._lock:
            return [span.name for span in self.spans]

    def named(self, name: str) -> SpanData:
        """The only captured span called ``name``."""
        with self._lock:
            found = [span for span in self.spans if span.name == name]
        if len(found) != 1:
            raise AssertionError(f"expected one span named {name!r}, found {len(found)}")
        return found[0]

    def clear(self) -> None:
        with self._lock:
            self.spans.clear()


# The epoch seconds of the last whole second parsed: spans of one invocation (and of every
# invocation in that second) share it, so most stamps cost a string compare, not a parse.
_second_cache = ("", 0.0)


def _epoch_seconds(stamp: Optional[str]) -> float:
    """An opencensus time (``YYYY-MM-DDTHH:MM:SS.ffffffZ``, UTC) as seconds since the epoch."""
    global _second_cache
    whole, _, fraction = str(stamp).rstrip("Z").partition(".")
    cached = _second_cache
    if cached[0] != whole:
        try:
            moment = datetime.datetime.fromisoformat(whole)
        except ValueError:
            return 0.0
        cached = (whole, moment.replace(tzinfo=datetime.timezone.utc).timestamp())
        _second_cache = cached
    if fraction.isdigit():
        return cached[1] + int(fraction[:6].ljust(6, "0")) / 1e6
    return cached[1]


def finished_span(data: SpanData) -> span_feed.FinishedSpan:
    """One exported span as the framework's span feed carries it (its attributes mapping
    shared, not copied: an exported span no longer changes)."""
    status = data.status
    start = _epoch_seconds(data.start_time)
    annotations = data.annotations
    return span_feed.FinishedSpan(
        name=str(data.name),
        trace_id=data.context.trace_id if data.context is not None else "",
        span_id=str(data.span_id),
        parent_span_id=data.parent_span_id or None,
        start=start,
        end=_epoch_seconds(data.end_time) if data.end_time else start,
        kind=_FEED_KINDS.get(data.span_kind, "internal"),
        failed=bool(status is not None and status.code),
        status_message=str(status.message or "") if status is not None else "",
        attributes=data.attributes or {},
        events=tuple(
            span_feed.SpanEvent(
                _epoch_seconds(annotation.timestamp),
                str(annotation.description),
                dict(getattr(annotation.attributes, "attributes", None) or {}),
            )
            for annotation in annotations
        )
        if annotations
        else (),
        source="opencensus",
    )


def _duration_ms(start: Optional[str], end: Optional[str]) -> Optional[float]:
    try:
        started = datetime.datetime.fromisoformat(str(start).rstrip("Z"))
        ended = datetime.datetime.fromisoformat(str(end).rstrip("Z"))
    except ValueError:
        return None
    return round((ended - started).total_seconds() * 1000.0, 3)


def span_record(data: SpanData, cloud_role: Optional[str] = None) -> Dict[str, Any]:
    """One span as the JSON-lines exporter writes it."""
    status = data.status
    record: Dict[str, Any] = {
        "name": data.name,
        "trace_id": data.context.trace_id if data.context is not None else None,
        "span_id": data.span_id,
        "parent_span_id": data.parent_span_id,
        "kind": _SPAN_KINDS.get(data.span_kind, str(data.span_kind)),
        "start_time": data.start_time,
        "end_time": data.end_time,
        "duration_ms": _duration_ms(data.start_time, data.end_time),
        "status": {"code": status.code, "message": status.message} if status else None,
        "attributes": dict(data.attributes or {}),
    }
    if data.annotations:
        record["annotations"] = [
            {
                "time": annotation.timestamp,
                "description": annotation.description,
                "attributes": dict(getattr(annotation.attributes, "attributes", None) or {}),
            }
            for annotation in data.annotations
        ]
    if cloud_role:
        record["cloud_role"] = cloud_role
    return record


class _Marker:
    """Put in the queue behind the spans to flush: set once they are written."""

    def __init__(self, stop: bool = False) -> None:
        self.event = threading.Event()
        self.stop = stop


class JsonLinesExporter(Exporter):  # type: ignore[misc]
    """Writes each span as one line of JSON, to ``path`` (appending) or to ``stream``
    (``None`` for both: the console, ``sys.stdout``), from a background thread."""

    BATCH = 256

    def __init__(
        self,
        path: Optional[str] = None,
        *,
        capacity: int = 8192,
        cloud_role: Optional[str] = None,
        counters: Optional[Counters] = None,
    ) -> None:
        self.path = path
        self.cloud_role = cloud_role
        self.counters = counters or Counters()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=capacity)
        self._file: Optional[IO[str]] = None
        self._thread: Optional[threading.Thread] = None
        self._start_lock = threading.Lock()
        self._closed = False

    @property
    def destination(self) -> str:
        return os.path.abspath(self.path) if self.path else "the console (stdout)"

    def export(self, span_datas: Sequence[SpanData]) -> None:
        if not span_datas or self._closed:
            return
        self._ensure_thread()
        try:
            self._queue.put_nowait(list(span_datas))
        except queue.Full:
            self.counters.add(dropped=len(span_datas))

    def emit(self, span_datas: Sequence[SpanData]) -> None:
        self.export(span_datas)

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for every span exported so far to be written."""
        return self._put_marker(_Marker(), timeout)

    def close(self, timeout: float) -> bool:
        """Write what is queued (up to ``timeout`` seconds), then stop the thread."""
        if self._closed:
            return True
        self._closed = True
        atexit.unregister(self.close)
        done = self._put_marker(_Marker(stop=True), timeout)
        if self._file is not None and done:
            self._file.close()
            self._file = None
        return done

    def _put_marker(self, marker: _Marker, timeout: float) -> bool:
        if self._thread is None:
            return True
        deadline = time.monotonic() + max(timeout, 0.0)
        try:
            self._queue.put(marker, timeout=max(timeout, 0.0))
        except queue.Full:
            return False
        return marker.event.wait(max(deadline - time.monotonic(), 0.0))

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                thread = threading.Thread(
                    target=self._run, name="opencensus-jsonl-exporter", daemon=True
                )
                thread.start()
                self._thread = thread
                atexit.register(self.close, EXIT_FLUSH_SECONDS)

    def _run(self) -> None:
        while True:
            items = [self._queue.get()]
            while len(items) < self.BATCH:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            batch: List[SpanData] = []
            for item in items:
                if isinstance(item, _Marker):
                    self._write(batch)
                    batch = []
                    item.event.set()
                    if item.stop:
                        return
                else:
                    batch.extend(item)
            self._write(batch)

    def _stream(self) -> IO[str]:
        if not self.path:
            return sys.stdout
        if self._file is None:
            directory = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(directory, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (kept open)
        return self._file

    def _write(self, batch: List[SpanData]) -> None:
        if not batch:
            return
        try:
            lines = "".join(
                json.dumps(span_record(data, self.cloud_role), default=str) + "\n" for data in batch
            )
            stream = self._stream()
            stream.write(lines)
            stream.flush()
        except Exception as exc:  # a full disk or closed console must not kill the thread
            self.counters.failure(f"Writing spans to {self.destination}", exc, len(batch))
            if self._file is not None:
                with contextlib.suppress(OSError):
                    self._file.close()
                self._file = None
            return
        self.counters.add(written=len(batch))


class SafeExporter(Exporter):  # type: ignore[misc]
    """Wraps the exporter in use so that ``export()`` never raises into an invocation.

    ``owned`` says whether the extension created the exporter: then ``close(timeout)``
    reaches it when ``configure()`` or ``reset()`` replaces it. An exporter object you
    passed in is yours: it is never closed, only flushed: through its own
    ``flush(timeout)`` when it has one, or, for an ``opencensus.ext.azure`` exporter,
    by waiting (bounded) for its sending thread to catch up.
    """

    def __init__(self, inner: Any, *, owned: bool, label: str = "") -> None:
        self.inner = inner
        self.owned = owned
        self.counters: Counters = getattr(inner, "counters", None) or Counters()
        self.label = label or type(inner).__name__

    def export(self, span_datas: Sequence[SpanData]) -> None:
        if span_feed.listening():
            try:
                span_feed.publish([finished_span(data) for data in span_datas])
            except Exception as exc:  # a span the feed cannot read must not stop the export
                self.counters.failure("Handing spans to the local span feed", exc, 0)
        try:
            self.inner.export(span_datas)
        except Exception as exc:
            self.counters.failure(f"Exporting spans with {self.label}", exc, len(span_datas))

    def emit(self, span_datas: Sequence[SpanData]) -> None:
        self.export(span_datas)

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the spans exported so far to be sent."""
        if not callable(getattr(self.inner, "flush", None)) and has_worker_queue(self.inner):
            return self._guard("flush", lambda: flush_worker_queue(self.inner, timeout))
        return self._call("flush", timeout)

    def close(self, timeout: float) -> bool:
        """Send what is queued (up to ``timeout`` seconds) and release the exporter."""
        if not self.owned:
            return self.flush(timeout)
        return self._call("close", timeout)

    def _call(self, method: str, timeout: float) -> bool:
        function = getattr(self.inner, method, None)
        if not callable(function):
            return True
        return self._guard(method, lambda: function(timeout))

    def _guard(self, method: str, call: Any) -> bool:
        try:
            return call() is not False
        except Exception as exc:
            _log.warning("%s: %s failed: %s: %s", self.label, method, type(exc).__name__, exc)
            return False


def has_worker_queue(exporter: Any) -> bool:
    """Whether ``exporter`` sends from an ``opencensus.ext.azure`` worker thread and queue."""
    return hasattr(exporter, "_worker") and hasattr(getattr(exporter, "_queue", None), "_queue")


def flush_worker_queue(exporter: Any, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds until an ``opencensus.ext.azure`` exporter's worker has
    sent everything queued before this call: a marker is queued behind the spans and the
    worker sets it once the batch before it is sent. False when time ran out."""
    worker = getattr(exporter, "_worker", None)
    spans = getattr(getattr(exporter, "_queue", None), "_queue", None)
    if worker is None or spans is None or not worker.is_alive():
        return True
    deadline = time.monotonic() + max(timeout, 0.0)
    event = QueueEvent("flush")
    try:
        spans.put(event, block=True, timeout=max(timeout, 0.0))
    except queue.Full:
        return False
    return bool(event.wait(max(deadline - time.monotonic(), 0.0)))
