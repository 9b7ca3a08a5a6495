"""Secrets masked in everything the extension exports, whatever code made the span.

Our own invocation span is redacted as it is built, but spans also come from the client
instrumentations (``requests``, ``httpx``, ``urllib3``, ``aiohttp``, the Azure SDK), whose
URL attributes carry the raw query string (SAS signatures, keys, tokens), and from the
function's own code. So:

- ``RedactingSpanExporter`` wraps every span exporter the extension builds (and a user's
  exporter object): each span is handed on as a masked ``ReadableSpan`` copy (which still
  reports the attributes, events and links the SDK dropped), or as itself when nothing in it
  needs masking (the common case: one pass over its values and a few substring tests of
  its plain texts joined together).
- ``RedactingLogExporter`` does the same for exported log records (body and attributes).
- Where spans go to a provider we do not own (the worker's Azure Monitor distro), its
  exporters never pass through ours: the instrumentations we switch on get a request hook
  (``url_hook``) that overwrites the URL attribute with the masked one, the Azure SDK plugin
  we switch on masks URLs as they are added (``azure_span_class``), and our processor on
  that provider masks the attributes a span starts with (``SpanRedaction.at_start``),
  before any of its processors can see them.

What is masked: URL attributes (``url.full``, ``http.url``, ``http.target``) as URLs and
``url.query`` as a query string, by the shared ``Redactor``; an attribute whose name is
secret (``http.request.header.authorization``) whole; every other string attribute as
text (connection strings, credentials, JWTs, ``name=value`` pairs); the span name, the
status description, and the name and attributes of events (an exception's message and
stack) and links.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, cast

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import Link
from opentelemetry.trace.status import Status
from python_worker_extension_framework.toolkit import redaction

from .invocation_span import InvocationSpan

# Attributes holding a whole URL (or a path with its query), and a bare query string.
URL_KEYS = frozenset({"url.full", "http.url", "http.target"})
QUERY_KEYS = frozenset({"url.query"})
# The URL attributes the client instrumentations set when a span starts.
CLIENT_URL_KEYS = ("url.full", "http.url")

# How an attribute is masked, decided once per attribute name.
_URL, _QUERY, _SECRET, _TEXT = range(4)
_MAX_KNOWN_KEYS = 4096
_MAX_KNOWN_VALUES = 1024
_MAX_KNOWN_LENGTH = 2048
# A text without any of these characters, nor ``eyJ`` (a JSON web token's start), can
# hold nothing ``Redactor.text`` masks (each of its passes needs one of them), and a URL
# without any of those characters, nor ``eyJ``, nothing ``Redactor.url`` masks. (A
# character class and a substring test: one pattern with both alternatives is searched
# several times slower.)
_TEXT_SUSPECT_CHAR = re.compile(r"[=:<%\s]").search
_URL_SUSPECT_CHAR = re.compile(r"[?#@=%;]").search
_JWT_START = "eyJ"
# Joins the texts checked at once: neither a suspect character nor part of ``eyJ``, and
# printable.
_JOINER = "|"


def _text_suspect(value: str) -> bool:
    return _TEXT_SUSPECT_CHAR(value) is not None or _JWT_START in value


def _url_suspect(value: str) -> bool:
    return _URL_SUSPECT_CHAR(value) is not None or _JWT_START in value


def redactor_for(redact_names: Any) -> redaction.Redactor:
    """The redactor of a configuration's ``redact_names`` (the shared default when none)."""
    names = tuple(redact_names or ())
    return redaction.Redactor(extra_names=names) if names else redaction.DEFAULT


class SpanRedaction:
    """Masks the attributes, names and messages of spans and log records with one redactor."""

    def __init__(self, redactor: redaction.Redactor = redaction.DEFAULT) -> None:
        self.redactor = redactor
        self._patterns = bool(redactor.extra_patterns)  # then every text is looked at
        self._kinds: Dict[str, int] = {}
        # By kind: values that needed a look and hold nothing to mask (the same route,
        # query or user agent comes again and again).
        self._clean: Tuple[Dict[str, None], ...] = tuple({} for _ in range(4))

    # -- values -------------------------------------------------------------------------

    def _kind(self, key: str) -> int:
        kind = self._kinds.get(key)
        if kind is None:
            if key in URL_KEYS:
                kind = _URL
            elif key in QUERY_KEYS:
                kind = _QUERY
            elif self.redactor.is_secret_name(key):
                kind = _SECRET
            else:
                kind = _TEXT
            if len(self._kinds) < _MAX_KNOWN_KEYS:
                self._kinds[key] = kind
        return kind

    def text(self, value: str) -> str:
        """Free text masked; the text itself when it cannot hold a secret."""
        if self._patterns or _text_suspect(value):
            return self.redactor.text(value)
        return value

    def url(self, value: str) -> str:
        if self._patterns or _url_suspect(value):
            return self.redactor.url(value)
        return value

    def _string(self, kind: int, value: str) -> str:
        if kind == _SECRET:
            return value if value == redaction.REDACTED or not value else redaction.REDACTED
        known = self._clean[kind]
        if value in known:
            return value
        if kind == _TEXT:
            clean = self.text(value)
        elif kind == _URL:
            clean = self.url(value)
        else:
            clean = self.redactor.query(value) if value else value
        if clean == value and len(value) <= _MAX_KNOWN_LENGTH:
            if len(known) >= _MAX_KNOWN_VALUES:
                known.clear()  # values are the callers' (any query): the memory is bounded
            known[value] = None
        return clean

    def value(self, key: str, value: Any) -> Any:
        """An attribute's value masked as its name says (strings, and sequences of them)."""
        if isinstance(value, str):
            return self._string(self._kind(key), value)
        if isinstance(value, (tuple, list)) and value and isinstance(value[0], str):
            kind = self._kind(key)
            masked = [self._string(kind, v) if isinstance(v, str) else v for v in value]
            return value if masked == list(value) else tuple(masked)
        return value

    def attributes(self, attributes: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
        """A masked copy of ``attributes``, or None when nothing in them needs masking.

        The loop is the exporter's whole cost for a span with nothing to mask, so the
        common cases (numbers, a string of a known name without a suspect character) are
        decided inline, without a call."""
        if not attributes:
            return None
        # A plain dict first: iterating the SDK's mapping item by item costs twice as much.
        items = attributes if isinstance(attributes, dict) else dict(attributes)
        kinds = self._kinds
        # One pass sorts the values: texts of names known to be plain text are gathered and
        # checked together (the common case: none is suspect, and then none is looked
        # at again); numbers need nothing; the rest is looked at one by one.
        texts: List[str] = []
        rest: Optional[List[str]] = None
        for key, value in items.items():
            cls = value.__class__
            if cls is str:
                if kinds.get(key) == _TEXT:
                    texts.append(value)
                    continue
            elif cls is int or cls is float or cls is bool:
                continue
            if rest is None:
                rest = [key]
            else:
                rest.append(key)
        changed: Optional[Dict[str, Any]] = None
        if texts:
            patterns = self._patterns
            joined = _JOINER.join(texts)
            # ``_text_suspect`` of the joined texts, in plain substring tests: every
            # whitespace character but the space is also one ``isprintable`` refuses (and
            # so is no character of ``_JOINER``).
            if (
                patterns
                or " " in joined
                or "=" in joined
                or ":" in joined
                or "<" in joined
                or "%" in joined
                or _JWT_START in joined
                or not joined.isprintable()
            ):
                for key, value in items.items():
                    if value.__class__ is str and kinds.get(key) == _TEXT:
                        if not patterns and not _text_suspect(value):
                            continue
                        clean = self._string(_TEXT, value)
                        if clean != value:
                            if changed is None:
                                changed = {}
                            changed[key] = clean
        if rest is not None:
            for key in rest:
                value = items[key]
                if value.__class__ is str:
                    clean = self._string(self._kind(key), value)
                else:
                    clean = self.value(key, value)
                if clean is not value and clean != value:
                    if changed is None:
                        changed = {}
                    changed[key] = clean
        if changed is None:
            return None
        if items is attributes:
            items = dict(items)  # never the caller's own
        items.update(changed)
        return items

    # -- spans --------------------------------------------------------------------------

    def span(self, span: ReadableSpan) -> ReadableSpan:
        """``span`` itself when it holds nothing to mask, else a masked copy."""
        if span.__class__ is InvocationSpan:
            # Our own light span, its fields read as they are (no property builds a tuple
            # or a status): the common one (no events, links or status description, a name
            # known to be clean) needs only its attributes looked at; any other goes the
            # whole way below.
            light = span
            held = light._attributes
            if (
                held.__class__ is dict
                and not light._events
                and not light._links
                and light._status.description is None
                and light._name in self._clean[_TEXT]
                and self.attributes(held) is None
            ):
                return span
        attributes = self.attributes(_attribute_dict(span))
        name = span.name
        clean_name = self._string(_TEXT, name) if name else name  # the same names recur
        status = span.status
        description = status.description
        clean_description = self.text(description) if description else description
        # ``events``/``links`` build a tuple on every read: looked at only when there are any.
        events = self._events(span.events) if _has(span, "_events") else None
        links = self._links(span.links) if _has(span, "_links") else None
        if (
            attributes is None
            and events is None
            and links is None
            and clean_name == name
            and clean_description == description
        ):
            return span
        return ReadableSpan(
            name=clean_name,
            context=span.context,
            parent=span.parent,
            resource=span.resource,
            attributes=_bounded(attributes, span.attributes, span.dropped_attributes),
            events=_counted(span.events if events is None else events, span.dropped_events),
            links=_counted(span.links if links is None else links, span.dropped_links),
            kind=span.kind,
            status=status
            if clean_description == description
            else Status(status.status_code, clean_description),
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )

    def _events(self, events: Sequence[Event]) -> Optional[Tuple[Event, ...]]:
        if not events:
            return None
        masked: Optional[List[Event]] = None
        for index, event in enumerate(events):
            attributes = self.attributes(event.attributes)
            name = self.text(event.name)
            if attributes is None and name == event.name:
                continue
            if masked is None:
                masked = list(events)
            masked[index] = Event(
                name,
                _bounded(attributes, event.attributes, event.dropped_attributes),
                event.timestamp,
            )
        return None if masked is None else tuple(masked)

    def _links(self, links: Sequence[Link]) -> Optional[Tuple[Link, ...]]:
        if not links:
            return None
        masked: Optional[List[Link]] = None
        for index, link in enumerate(links):
            attributes = self.attributes(link.attributes)
            if attributes is None:
                continue
            if masked is None:
                masked = list(links)
            masked[index] = Link(
                link.context, _bounded(attributes, link.attributes, link.dropped_attributes)
            )
        return None if masked is None else tuple(masked)

    def at_start(self, span: Any) -> None:
        """Mask a live span's attributes in place (as it starts, on a provider we do not
        own: its own processors export the very span object)."""
        if not span.is_recording():
            return
        attributes = self.attributes(getattr(span, "attributes", None))
        if attributes is None:
            return
        original = span.attributes
        for key, value in attributes.items():
            if original.get(key) is not value:
                span.set_attribute(key, value)

    # -- log records --------------------------------------------------------------------

    def log_data(self, data: Any) -> Any:
        """An exported log record (``LogData``) with body and attributes masked; itself
        when nothing needs masking."""
        record = data.log_record
        body = record.body
        clean_body = self.text(body) if isinstance(body, str) else body
        attributes = self.attributes(record.attributes)
        if attributes is None and clean_body == body:
            return data
        masked = copy.copy(record)
        masked.body = clean_body
        if attributes is not None:
            masked.attributes = _bounded(attributes, record.attributes, record.dropped_attributes)
        clone = copy.copy(data)
        clone.log_record = masked
        return clone


def _attribute_dict(span: ReadableSpan) -> Any:
    """The span's attributes, as the dict that holds them when it is there to read (no
    copy: a span with nothing to mask then costs a loop over a dict): the plain dict of an
    invocation span (``invocation_span``) or the SDK's ``BoundedAttributes`` one; else the
    public mapping."""
    held = getattr(span, "_attributes", None)
    if held.__class__ is dict:
        return held
    raw = getattr(held, "_dict", None)
    return raw if isinstance(raw, dict) else span.attributes


def _has(span: ReadableSpan, sequence: str) -> bool:
    """Whether the span has events (``_events``) or links (``_links``); True when the
    SDK's field is not there to tell (the public property is read then)."""
    held = getattr(span, sequence, None)
    return True if held is None else bool(held)


def _counted(masked: Sequence[Any], dropped: int) -> Sequence[Any]:
    """Events or links (masked, or the public tuple, which reports no drops) that still
    report how many the SDK dropped."""
    if not dropped:
        return masked
    bounded: BoundedList[Any] = BoundedList(None)  # type: ignore[arg-type]
    bounded.extend(masked)
    bounded.dropped = dropped
    return cast(Sequence[Any], bounded)


def _bounded(masked: Optional[Dict[str, Any]], original: Any, dropped: int) -> Any:
    """Masked attributes that still report how many the SDK dropped (the original when
    nothing was masked, unless it is the SDK's read-only view, which reports none)."""
    if masked is None:
        if not dropped or isinstance(original, BoundedAttributes):
            return original
        masked = dict(original)
    bounded = BoundedAttributes(attributes=masked, immutable=True, max_value_len=None)
    bounded.dropped = dropped
    return bounded


class RedactingSpanExporter(SpanExporter):
    """Hands ``inner`` masked copies of the spans that need masking, the others as they are."""

    def __init__(self, inner: Any, redaction_: SpanRedaction) -> None:
        self.inner = inner
        self.redaction = redaction_

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        mask = self.redaction.span
        return self.inner.export([mask(span) for span in spans])  # type: ignore[no-any-return]

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        flush = getattr(self.inner, "force_flush", None)
        return True if flush is None else bool(flush(timeout_millis))


class RedactingLogExporter:
    """Hands ``inner`` log records with secrets masked in their body and attributes."""

    def __init__(self, inner: Any, redaction_: SpanRedaction) -> None:
        self.inner = inner
        self.redaction = redaction_

    def export(self, batch: Sequence[Any]) -> Any:
        mask = self.redaction.log_data
        return self.inner.export([mask(data) for data in batch])

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return bool(self.inner.force_flush(timeout_millis))

    def shutdown(self) -> None:
        self.inner.shutdown()


# The current configuration's redaction, for the instrumentations' request hooks (they are
# installed once, configurations come and go).
current = SpanRedaction()


def use(redaction_: SpanRedaction) -> None:
    global current
    current = redaction_


def url_hook(span: Any, *_request: Any) -> None:
    """A client instrumentation's request hook: the span's URL attribute masked at the
    source, before any processor or exporter (ours or another's) sees it."""
    if not span.is_recording():
        return
    attributes = getattr(span, "attributes", None)
    if not attributes:
        return
    redaction_ = current
    for key in CLIENT_URL_KEYS:
        value = attributes.get(key)
        if isinstance(value, str):
            clean = redaction_.url(value)
            if clean != value:
                span.set_attribute(key, clean)


async def async_url_hook(span: Any, *request: Any) -> None:
    """``url_hook`` for instrumentations that await their hooks (``httpx.AsyncClient``)."""
    url_hook(span, *request)


_azure_span_classes: Dict[type, type] = {}


def azure_span_class(base: type) -> type:
    """The Azure SDK's OpenTelemetry span plugin (``OpenTelemetrySpan``) with URL
    attributes masked as they are added (older ``azure-core`` adds the raw URL)."""
    masking = _azure_span_classes.get(base)
    if masking is None:

        def add_attribute(self: Any, key: str, value: Any) -> None:
            if isinstance(value, str) and key in URL_KEYS:
                value = current.url(value)
            base.add_attribute(self, key, value)  # type: ignore[attr-defined]

        masking = type(base.__name__, (base,), {"add_attribute": add_attribute})
        _azure_span_classes[base] = masking
    return masking


def request_hooks(name: str) -> Dict[str, Callable[..., Any]]:
    """The keyword arguments that give instrumentation ``name`` our request hook."""
    if name == "httpx":
        return {"request_hook": url_hook, "async_request_hook": async_url_hook}
    if name in ("requests", "urllib3", "aiohttp"):
        return {"request_hook": url_hook}
    return {}
