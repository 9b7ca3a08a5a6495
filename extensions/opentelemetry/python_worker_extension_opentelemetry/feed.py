"""The span processor that also hands every ended span to the framework's span feed, where
the local host's dashboard listens (``toolkit.span_feed``); in Azure nobody listens and it
costs one check per span. It wraps the exporting processor, when there is one."""

from __future__ import annotations

import contextlib
from typing import Optional

from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from python_worker_extension_framework.toolkit import span_feed


class FeedingProcessor(SpanProcessor):
    """``inner`` (the exporting processor, or None), plus the span feed."""

    def __init__(self, inner: Optional[SpanProcessor]) -> None:
        self.inner = inner

    def on_start(self, span: Span, parent_context: Optional[otel_context.Context] = None) -> None:
        if self.inner is not None:
            self.inner.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        if span_feed.listening():
            # A span the feed cannot read must not stop the export.
            with contextlib.suppress(Exception):
                span_feed.publish([span_feed.from_opentelemetry(span)])
        if self.inner is not None:
            self.inner.on_end(span)

    def shutdown(self) -> None:
        if self.inner is not None:
            self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True if self.inner is None else self.inner.force_flush(timeout_millis)
