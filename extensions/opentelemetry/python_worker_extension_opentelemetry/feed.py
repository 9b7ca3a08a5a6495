"""The span processor that also hands every ended span to the framework's span feed, where
the local host's dashboard listens (``toolkit.span_feed``); in Azure nobody listens and it
costs one check per span. It wraps the exporting processor, when there is one.

Spans reach the feed masked, as they are exported. On a provider we do not own
(``mask_at_start``) it also masks the attributes each span starts with, in place: that
provider's own exporters then see the masked values too."""

from __future__ import annotations

import contextlib
from typing import Optional

from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from python_worker_extension_framework.toolkit import span_feed

from .redacting import SpanRedaction


class FeedingProcessor(SpanProcessor):
    """``inner`` (the exporting processor, or None), plus the span feed."""

    def __init__(
        self, inner: Optional[SpanProcessor], redaction: Optional[SpanRedaction] = None
    ) -> None:
        self.inner = inner
        self.redaction = redaction if redaction is not None else SpanRedaction()
        self.mask_at_start = False

    def on_start(self, span: Span, parent_context: Optional[otel_context.Context] = None) -> None:
        if self.mask_at_start:
            with contextlib.suppress(Exception):  # never fail the span's start
                self.redaction.at_start(span)
        if self.inner is not None:
            self.inner.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        if span_feed.listening():
            # A span the feed cannot read must not stop the export.
            with contextlib.suppress(Exception):
                span_feed.publish([span_feed.from_opentelemetry(self.redaction.span(span))])
        if self.inner is not None:
            self.inner.on_end(span)

    def shutdown(self) -> None:
        if self.inner is not None:
            self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True if self.inner is None else self.inner.force_flush(timeout_millis)
