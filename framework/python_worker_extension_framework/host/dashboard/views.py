"""The JSON the dashboard page reads, every value passed through the framework's redaction.

Values are redacted here, when a page asks, not when they are collected: a host nobody
watches pays nothing for it. One detail view is one redaction record: the secrets masked
in the request (its query, headers, body) are remembered in a ``Findings`` and scrubbed
from everything else shown with it (log lines, span attributes, the error, the response),
so a secret the function echoes or logs is masked there too.
"""

from __future__ import annotations

import json
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from ...core import _registry as registry
from ...toolkit import redaction
from ...toolkit.span_feed import FinishedSpan
from .records import HttpExchange, InvocationRecord
from .store import FunctionStats, InvocationStore

MAX_SHOWN_BODY_CHARS = 2000
RECENT_CHART_POINTS = 60
_ERROR_HOOKS = ("on_invocation_error", "on_invocation_error_app_level")
_AFTER_HOOKS = ("post_invocation", "post_invocation_app_level")


class Redacted:
    """One record's redaction: the redactor plus the secrets found so far."""

    def __init__(self, redactor: Optional[redaction.Redactor] = None) -> None:
        self.redactor = redactor or redaction.DEFAULT
        self.findings = redaction.Findings()

    def url(self, url: str) -> str:
        return self.findings.scrub(self.redactor.url(url, self.findings))

    def text(self, text: Any) -> str:
        return self.findings.scrub(self.redactor.text(str(text), self.findings))

    def headers(self, headers: Mapping[str, str]) -> List[Tuple[str, str]]:
        masked = self.redactor.headers(headers, self.findings)
        return [(name, self.findings.scrub(value)) for name, value in masked.items()]

    def json_value(self, value: Any) -> Any:
        return _scrub_nested(self.redactor.json(value, self.findings), self.findings)

    def body(self, data: bytes, headers: Mapping[str, str]) -> str:
        """A request or response body preview: form and JSON bodies parsed, text scanned."""
        if not data:
            return ""
        content_type = str(headers.get("content-type", "")).lower()
        text = data.decode("utf-8", errors="replace")
        if "application/x-www-form-urlencoded" in content_type:
            shown = self.redactor.form(text, self.findings)
        elif "json" in content_type or text.lstrip()[:1] in ("{", "["):
            try:
                shown = json.dumps(self.json_value(json.loads(text)), indent=2)
            except ValueError:
                shown = self.redactor.text(text, self.findings)
        else:
            shown = self.redactor.text(text, self.findings)
        shown = self.findings.scrub(shown)
        return shown[:MAX_SHOWN_BODY_CHARS]

    def prime(self, http: Optional[HttpExchange]) -> None:
        """Learn the request's secrets first, so that later parts can be scrubbed of them."""
        if http is None:
            return
        self.redactor.url(http.url, self.findings)
        self.redactor.collect_headers(http.headers, self.findings)


def _scrub_nested(value: Any, findings: redaction.Findings) -> Any:
    if isinstance(value, str):
        return findings.scrub(value)
    if isinstance(value, dict):
        return {key: _scrub_nested(item, findings) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub_nested(item, findings) for item in value]
    return value


def _decoded(headers: Sequence[Tuple[bytes, bytes]]) -> Dict[str, str]:
    """ASGI response headers by lower-case name (repeated ones joined, as HTTP allows)."""
    decoded: Dict[str, str] = {}
    for key, value in headers:
        name, text = key.decode("latin-1").lower(), value.decode("latin-1")
        decoded[name] = f"{decoded[name]}, {text}" if name in decoded else text
    return decoded


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)


def _path_and_query(url: str) -> str:
    _scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    slash = rest.find("/")
    return rest[slash:] if slash >= 0 else "/"


def summary(record: InvocationRecord) -> Dict[str, Any]:
    """One row of the list (kept on the record: a finished record no longer changes)."""
    cached = record.summary_cache
    if cached is not None:
        return dict(cached)
    http = record.http
    redacted = Redacted()
    row = {
        "id": record.id,
        "seq": record.seq,
        "time": round(record.started_at * 1000.0, 1),
        "function": record.function,
        "trigger": record.trigger,
        "method": http.method if http is not None else None,
        "route": redacted.url(_path_and_query(http.url)) if http is not None else None,
        "status": http.status if http is not None else None,
        "outcome": record.outcome,
        "failed": record.failed,
        "ms": _ms(record.seconds),
        "attempt": record.retry_count + 1,
        "max_attempts": record.max_retry_count + 1 if record.max_retry_count >= 0 else None,
        "run": record.run_id,
    }
    record.summary_cache = row
    return dict(row)


def function_stats(stats: FunctionStats) -> Dict[str, Any]:
    p50, p95 = stats.percentile(0.50), stats.percentile(0.95)
    recent = list(stats.recent_ms)[-RECENT_CHART_POINTS:]
    return {
        "function": stats.name,
        "count": stats.count,
        "errors": stats.errors,
        "p50": round(p50, 3) if p50 is not None else None,
        "p95": round(p95, 3) if p95 is not None else None,
        "window": len(stats.recent_ms),
        "recent": [round(ms, 3) for ms in recent],
    }


def snapshot(store: InvocationStore) -> Dict[str, Any]:
    """What a page starts from: every kept invocation, newest first, and every function."""
    return {
        "capacity": store.capacity,
        "invocations": [summary(record) for record in store.newest_first()],
        "functions": [function_stats(stats) for stats in store.stats()],
    }


def batch(store: InvocationStore, records: Sequence[InvocationRecord]) -> Dict[str, Any]:
    """New invocations since the last message, and the figures of their functions."""
    names = sorted({record.function for record in records})
    stats = [store.function_stats(name) for name in names]
    return {
        "invocations": [summary(record) for record in records],
        "functions": [function_stats(s) for s in stats if s is not None],
    }


def _internal_extensions() -> FrozenSet[str]:
    return frozenset(
        cls.__name__
        for cls in registry.app_extensions()
        if getattr(cls, "_framework_internal", False)
    )


def _phase(hook: str) -> str:
    if hook in _ERROR_HOOKS:
        return "error"
    if hook in _AFTER_HOOKS:
        return "after"
    return "before"


def _span(span: FinishedSpan, origin: float, redacted: Redacted) -> Dict[str, Any]:
    return {
        "name": redacted.text(span.name),
        "span_id": span.span_id,
        "parent": span.parent_span_id,
        "offset_ms": _ms(span.start - origin),
        "ms": _ms(span.seconds),
        "kind": span.kind,
        "failed": span.failed,
        "status": redacted.text(span.status_message),
        "source": span.source,
        "attributes": redacted.json_value({str(k): v for k, v in span.attributes.items()}),
        "events": [
            {
                "offset_ms": _ms(event.time - origin),
                "name": redacted.text(event.name),
                "attributes": redacted.json_value(dict(event.attributes)),
            }
            for event in span.events
        ],
    }


def detail(record: InvocationRecord, store: InvocationStore) -> Dict[str, Any]:
    """Everything about one invocation, for its detail view: the outcome, error and attempts
    always; the request and response, hooks, log lines and spans when they were recorded
    (a dashboard page was open)."""
    redacted = Redacted()
    redacted.prime(record.http)
    view = summary(record)
    view["detailed"] = record.detailed
    if record.detailed:
        view.update(_recorded_detail(record, redacted))
    if record.error is not None:
        view["error"] = {
            "type": record.error.type,
            "message": redacted.text(record.error.message),
            "traceback": redacted.text(record.error.traceback),
        }
    if record.max_retry_count != 0 or record.retry_count > 0:
        view["attempts"] = _attempts(store.attempts(record.run_id), redacted)
    return view


def _recorded_detail(record: InvocationRecord, redacted: Redacted) -> Dict[str, Any]:
    view: Dict[str, Any] = {}
    http = record.http
    if http is not None:
        request_headers = {str(k).lower(): str(v) for k, v in http.headers.items()}
        response_headers = _decoded(http.response_headers)
        view["request"] = {
            "method": http.method,
            "url": redacted.url(_path_and_query(http.url)),
            "headers": redacted.headers(request_headers),
            "body": redacted.body(http.body, request_headers),
            "body_size": http.body_size,
        }
        view["response"] = {
            "status": http.status,
            "headers": redacted.headers(response_headers),
            "body": redacted.body(http.response_body, response_headers),
            "body_size": http.response_size,
        }
    internal = _internal_extensions()
    view["hooks"] = [
        {
            "hook": hook.hook,
            "extension": hook.extension,
            "phase": _phase(hook.hook),
            "ms": _ms(hook.seconds),
            "error": redacted.text(str(hook.error)) if hook.error is not None else None,
        }
        for hook in record.hooks
        if hook.extension not in internal
    ]
    view["function_ms"] = _ms(max(record.seconds - sum(h.seconds for h in record.hooks), 0.0))
    view["error_phase_ran"] = any(hook.hook in _ERROR_HOOKS for hook in record.hooks)
    view["logs"] = [
        {
            "time": round(line.time * 1000.0, 1),
            "level": line.level,
            "logger": line.logger,
            "category": line.category,
            "message": redacted.text(line.message),
        }
        for line in list(record.logs)
    ]
    view["logs_dropped"] = record.logs_dropped
    spans = sorted(list(record.spans), key=lambda span: span.start)
    origin = min([record.started_at, *(span.start for span in spans)])
    view["spans"] = [_span(span, origin, redacted) for span in spans]
    view["spans_dropped"] = record.spans_dropped
    view["span_origin_ms"] = _ms(record.started_at - origin)
    return view


def _attempts(records: List[InvocationRecord], redacted: Redacted) -> List[Dict[str, Any]]:
    shown: List[Dict[str, Any]] = []
    previous: Optional[InvocationRecord] = None
    for record in records:
        measured = None
        if previous is not None:
            measured = _ms(max(record.started_at - previous.started_at - previous.seconds, 0.0))
        shown.append(
            {
                "id": record.id,
                "attempt": record.retry_count + 1,
                "outcome": record.outcome,
                "ms": _ms(record.seconds),
                "policy_delay_ms": _ms(record.policy_delay)
                if record.policy_delay is not None
                else None,
                "waited_ms": measured,
                "error": redacted.text(f"{record.error.type}: {record.error.message}")
                if record.error is not None
                else None,
            }
        )
        previous = record
    return shown


def to_json(value: Any) -> bytes:
    return json.dumps(value, default=str, separators=(",", ":")).encode("utf-8")
