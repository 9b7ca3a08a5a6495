"""The batch span processor of our own pipelines: the SDK's ``BatchSpanProcessor`` with a
shorter ``on_end`` for the common case, called for every span that ends.

The SDK's ``on_end`` asks the operating system for the process id on every span (to find a
fork), and once a batch is queued takes the condition's lock and notifies it on every
span, whether the export thread waits on it or is busy exporting. Where
``os.register_at_fork`` exists, the SDK re-initialises the processor in a forked child
itself, so the process id check finds nothing new; and the export thread needs a
notification only while it waits: a busy one looks at the queue before it waits again.
So a span is queued, and the thread is notified only when it waits. A span queued just as
the thread is about to wait (it found fewer than a batch, and is not yet waiting) is
exported when the next span notifies it or at the schedule delay, as every span queued
below a batch is.

Everything else (a stopped processor, a span not sampled, a full queue and its warning)
goes to the SDK's own ``on_end``, as does every span when the condition does not keep its
waiters where CPython's does (``_waiters``).
"""

from __future__ import annotations

import collections
import os

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor

# The SDK re-initialises its batch processors in a forked child.
_FORK_HANDLED = hasattr(os, "register_at_fork")


class QueueingSpanProcessor(BatchSpanProcessor):
    """``BatchSpanProcessor`` (same arguments, same export), with a shorter ``on_end``."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        waiters = getattr(getattr(self, "condition", None), "_waiters", None)
        # The export thread's waiters as CPython's ``Condition`` keeps them, else None.
        self._export_waiters = waiters if isinstance(waiters, collections.deque) else None
        # The short way needs the SDK's queue, limits and flags as the releases in
        # constraints.txt name them (other releases get the SDK's ``on_end`` for every span).
        self.short = (
            _FORK_HANDLED
            and self._export_waiters is not None
            and isinstance(getattr(self, "queue", None), collections.deque)
            and all(
                hasattr(self, name) for name in ("done", "max_queue_size", "max_export_batch_size")
            )
        )

    def on_end(self, span: ReadableSpan) -> None:
        if not self.short:
            BatchSpanProcessor.on_end(self, span)
            return
        queue = self.queue
        if self.done or len(queue) >= self.max_queue_size or not span.context.trace_flags.sampled:
            BatchSpanProcessor.on_end(self, span)  # its warnings, and what it drops
            return
        queue.appendleft(span)  # type: ignore[arg-type]  # (typed for the SDK span)
        if len(queue) >= self.max_export_batch_size and self._export_waiters:
            with self.condition:
                self.condition.notify()
