"""The dashboard's memory: a ring of recent invocations, per-function figures, and the
browsers that follow them.

Everything here is bounded: the ring holds ``capacity`` records (the oldest goes when a new
one comes), each function keeps its last ``RECENT_DURATIONS`` durations, and each open
page has a queue of at most ``MAX_PENDING`` records before it is told to start over. All
methods run on the event loop's thread (the runtime and the ASGI app call them there).
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Deque, Dict, Iterator, List, Optional, Set

from .records import InvocationRecord

DEFAULT_CAPACITY = 500
RECENT_DURATIONS = 200
MAX_PENDING = 2000


@dataclass
class FunctionStats:
    """One function's figures: counts over the whole run, durations over recent calls."""

    name: str
    count: int = 0
    errors: int = 0
    recent_ms: Deque[float] = field(default_factory=lambda: deque(maxlen=RECENT_DURATIONS))

    def add(self, record: InvocationRecord) -> None:
        self.count += 1
        if record.failed:
            self.errors += 1
        self.recent_ms.append(record.seconds * 1000.0)

    def percentile(self, fraction: float) -> Optional[float]:
        """The nearest-rank percentile of the recent durations (None before any)."""
        if not self.recent_ms:
            return None
        ordered = sorted(self.recent_ms)
        index = max(math.ceil(fraction * len(ordered)) - 1, 0)
        return ordered[min(index, len(ordered) - 1)]


class Subscriber:
    """One open page: the records it has not been sent yet, and a wake-up for its stream."""

    def __init__(self) -> None:
        self.pending: Deque[InvocationRecord] = deque()
        self.overflowed = False  # it fell behind: send it a fresh snapshot instead
        self.wakeup = asyncio.Event()

    def offer(self, record: InvocationRecord) -> None:
        if len(self.pending) >= MAX_PENDING:
            self.pending.clear()
            self.overflowed = True
        elif not self.overflowed:
            self.pending.append(record)
        self.wakeup.set()

    def take(self) -> List[InvocationRecord]:
        records = list(self.pending)
        self.pending.clear()
        self.wakeup.clear()
        return records


class InvocationStore:
    """Recent invocations by completion, looked up by id and by trace id."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"the dashboard keeps at least 1 invocation, got {capacity}")
        self.capacity = capacity
        self._ring: Deque[InvocationRecord] = deque()
        self._by_id: Dict[str, InvocationRecord] = {}
        self._by_trace: Dict[str, InvocationRecord] = {}
        self._stats: Dict[str, FunctionStats] = {}
        self._subscribers: Set[Subscriber] = set()
        self._seq = 0

    def __len__(self) -> int:
        return len(self._ring)

    def add(self, record: InvocationRecord) -> None:
        """Keep a finished invocation (the oldest goes if the ring is full); tell the pages."""
        self._seq += 1
        record.seq = self._seq
        if len(self._ring) >= self.capacity:
            self._forget(self._ring.popleft())
        self._ring.append(record)
        self._by_id[record.id] = record
        if record.trace_id:
            self._by_trace[record.trace_id] = record
        stats = self._stats.get(record.function)
        if stats is None:
            stats = self._stats[record.function] = FunctionStats(record.function)
        stats.add(record)
        for subscriber in self._subscribers:
            subscriber.offer(record)

    def _forget(self, record: InvocationRecord) -> None:
        self._by_id.pop(record.id, None)
        if self._by_trace.get(record.trace_id) is record:
            del self._by_trace[record.trace_id]

    def get(self, invocation_id: str) -> Optional[InvocationRecord]:
        return self._by_id.get(invocation_id)

    def by_trace(self, trace_id: str) -> Optional[InvocationRecord]:
        """The latest kept invocation of a trace (spans exported after it ended)."""
        return self._by_trace.get(trace_id)

    def newest_first(self) -> Iterator[InvocationRecord]:
        return reversed(self._ring)

    def attempts(self, run_id: str) -> List[InvocationRecord]:
        """Every kept attempt of one retried run, first attempt first."""
        found = [record for record in self._ring if record.run_id == run_id]
        return sorted(found, key=lambda record: (record.retry_count, record.seq))

    def stats(self) -> List[FunctionStats]:
        return sorted(self._stats.values(), key=lambda stats: stats.name.lower())

    def function_stats(self, name: str) -> Optional[FunctionStats]:
        return self._stats.get(name)

    # -- pages ----------------------------------------------------------------------------

    def subscribe(self) -> Subscriber:
        subscriber = Subscriber()
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)
