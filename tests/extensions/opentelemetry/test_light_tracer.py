"""The spans user code starts through ``trace.get_tracer(...)`` on our own provider are light
(``InvocationSpan``s started by a ``LightTracer``), and export what the SDK's spans export
for the same calls: every scenario runs twice, once through the tracer user code gets and
once through the SDK's tracer of the same provider (same scope, processors, exporter), and
the two exports are compared field by field, as OTLP encodes them and as ``ReadableSpan``
reads them. Then what differs by design (the class; the exception stack trace without the
SDK's context-manager frames), the decorator, the sampler's view, limits, a user's
processor, ``configure()`` run again, and the cases that keep the SDK's (or no-op) tracer:
a provider that is not ours, ``OTEL_SDK_DISABLED``."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import os
import textwrap
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanLimits, SpanProcessor
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import (
    INVALID_SPAN_CONTEXT,
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
)
from opentelemetry.trace.span import TraceState
from python_worker_extension_opentelemetry import OpenTelemetryExtension
from python_worker_extension_opentelemetry import light_tracer as light_tracer_module
from python_worker_extension_opentelemetry.invocation_span import InvocationSpan
from python_worker_extension_opentelemetry.light_tracer import LightTracer, light_tracer

from .conftest import (
    INCOMING_PARENT_ID,
    INCOMING_TRACE_ID,
    INSTRUMENTATION_KEY,
    finished,
    run_fresh,
)
from .receivers import IngestionEndpoint
from .test_invocation_span import otlp_form, readable_form

# ``instrumentation_info`` is compared too, and reading it warns.
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")
Extension = type[OpenTelemetryExtension]
Tracer = trace.Tracer
SCOPE = ("tests.light_tracer", "2.1.0", "https://opentelemetry.io/schemas/1.21.0")
SCOPE_ATTRIBUTES = {"scope.team": "orders"}
REMOTE = SpanContext(
    int(INCOMING_TRACE_ID, 16),
    int(INCOMING_PARENT_ID, 16),
    is_remote=True,
    trace_flags=TraceFlags(TraceFlags.SAMPLED),
    trace_state=TraceState([("congo", "1")]),
)
LINKED = SpanContext(0x1234, 0x5678, is_remote=True, trace_flags=TraceFlags(1))
SECRET = "c2VjcmV0a2V5MTIz"


class Boom(Exception):
    pass


class Interrupted(BaseException):
    """Not an ``Exception``: ``use_span`` lets it through without recording it."""


# -- scenarios: what user code does with a tracer ----------------------------------------------


def nested(tracer: Tracer) -> None:
    with tracer.start_as_current_span(
        "outer", kind=SpanKind.SERVER, attributes={"order.id": "42", "lines": 3, "ok": True}
    ) as outer:
        outer.set_attribute("step", 1.5)
        with (
            tracer.start_as_current_span("inner", kind=SpanKind.CLIENT),
            tracer.start_as_current_span("innermost"),
        ):
            pass
        outer.add_event("reserved", {"sku": "sku-42"}, timestamp=123)
        outer.update_name("outer, renamed")


def invalid_attributes(tracer: Tracer) -> None:
    attributes: Dict[Any, Any] = {
        "tags": ["a", "b"],
        "raw": b"bytes",
        "missing": None,
        "bad": {"not": "allowed"},
        "": "an empty key",
        "mixed": [1, "x"],
        "fine": "kept",
        7: "a key that is no string",
    }
    with tracer.start_as_current_span("invalid", attributes=attributes) as span:
        span.set_attribute("later", ("c",))
        span.set_attribute("fine", "set again, moved last")
    assert attributes["tags"] == ["a", "b"]  # the caller's mapping is left alone


def with_links(tracer: Tracer) -> None:
    links = [
        Link(LINKED, {"reason": "batch", "sizes": [1, 2]}),
        Link(INVALID_SPAN_CONTEXT),  # nothing to carry: not kept
        Link(INVALID_SPAN_CONTEXT, {"kept": "it carries attributes"}),
        Link(SpanContext(0, 0, False, trace_state=TraceState([("k", "v")]))),
    ]
    with tracer.start_as_current_span("linked", links=links) as span:
        span.add_link(LINKED, {"added": "later"})


def started_by_hand(tracer: Tracer) -> None:
    parent = trace.set_span_in_context(NonRecordingSpan(REMOTE))
    span = tracer.start_span(
        "by hand", context=parent, kind=SpanKind.PRODUCER, start_time=1_000, attributes=None
    )
    span.set_status(StatusCode.OK)
    span.set_status(StatusCode.ERROR, "an OK status is final")
    span.end(end_time=2_000)


def raising_in_the_block(tracer: Tracer) -> None:
    with pytest.raises(Boom), tracer.start_as_current_span("failing") as span:
        span.set_attribute("before", "the failure")
        raise Boom("sku-42 is out of stock")


def raising_not_recorded(tracer: Tracer) -> None:
    with (
        pytest.raises(Boom),
        tracer.start_as_current_span(
            "quiet failure", record_exception=False, set_status_on_exception=False
        ),
    ):
        raise Boom("not recorded")


def raising_after_ok(tracer: Tracer) -> None:
    with pytest.raises(Boom), tracer.start_as_current_span("ok first") as span:
        span.set_status(Status(StatusCode.OK))
        raise Boom("the status stays OK")


def interrupted(tracer: Tracer) -> None:
    with pytest.raises(Interrupted), tracer.start_as_current_span("interrupted"):
        raise Interrupted()


def kept_open(tracer: Tracer) -> None:
    with tracer.start_as_current_span("kept open", end_on_exit=False) as span:
        pass
    assert span.is_recording()
    span.add_event("after the block", timestamp=5)
    span.end()


def span_as_context_manager(tracer: Tracer) -> None:
    """``with tracer.start_span(...)``: the span's own ``__exit__`` (an escaped exception),
    following the flags it was started with."""
    with pytest.raises(Boom), tracer.start_span("own exit"):
        raise Boom("escaped")
    with pytest.raises(Boom), tracer.start_span("own exit, told not to", record_exception=False):
        raise Boom("status only")


def decorated(tracer: Tracer) -> None:
    @tracer.start_as_current_span("decorated", attributes={"call": "each"})
    def work(amount: int) -> int:
        trace.get_current_span().add_event("working", {"amount": amount}, timestamp=amount)
        return amount * 2

    assert work(1) == 2 and work(2) == 4  # a span per call

    @tracer.start_as_current_span("decorated async")
    async def work_async(amount: int) -> int:
        await asyncio.sleep(0)  # the span ends after the coroutine, not when it is created
        trace.get_current_span().set_attribute("amount", amount)
        return amount

    assert asyncio.run(work_async(3)) == 3

    @tracer.start_as_current_span("decorated, raising")
    def fail() -> None:
        raise Boom("from a decorated function")

    with pytest.raises(Boom):
        fail()


SCENARIOS: Dict[str, Callable[[Tracer], None]] = {
    "nested": nested,
    "invalid attributes": invalid_attributes,
    "links": with_links,
    "started by hand": started_by_hand,
    "raising in the block": raising_in_the_block,
    "raising, not recorded": raising_not_recorded,
    "raising after an OK status": raising_after_ok,
    "a BaseException": interrupted,
    "ended after the block": kept_open,
    "the span as context manager": span_as_context_manager,
    "decorator": decorated,
}


# -- comparing two runs ---------------------------------------------------------------------


def sdk_tracer(*args: Any) -> Tracer:
    """The SDK's tracer of the configuration's own provider (what user code got before)."""
    provider = trace.get_tracer_provider().current  # type: ignore[attr-defined]
    tracer = provider.get_tracer(*args)
    assert not isinstance(tracer, LightTracer)
    return tracer  # type: ignore[no-any-return]


def run_under_a_parent(scenario: Callable[[Tracer], None], tracer: Tracer) -> None:
    """Spans of one trace (the caller's): trace ids are then the same both ways."""
    token = otel_context.attach(trace.set_span_in_context(NonRecordingSpan(REMOTE)))
    try:
        scenario(tracer)
    finally:
        otel_context.detach(token)


CONTEXT_MANAGER_FILES = (
    os.path.dirname(os.path.dirname(trace.__file__)),  # the opentelemetry packages
    contextlib.__file__,
    light_tracer_module.__file__,  # its decorator's wrapper (the SDK's is contextlib's)
)


def user_frames(stacktrace: str) -> str:
    """A stack trace without the frames of the context managers and decorators around the
    user's code (the SDK's ``start_as_current_span`` runs the block inside two generators)."""
    lines = stacktrace.splitlines(keepends=True)
    kept: List[str] = []
    skipping = False
    for line in lines:
        if line.startswith("  File "):
            skipping = any(f'File "{path}' in line for path in CONTEXT_MANAGER_FILES)
        if not skipping:
            kept.append(line)
    return "".join(kept)


def comparable(spans: Sequence[ReadableSpan]) -> List[Dict[str, Any]]:
    """Each exported span with what differs between two runs taken out: span ids (numbered
    by export order, parents by the same numbers), exception events' times, and the
    context-manager frames of recorded stack traces."""
    number = {span.context.span_id: index + 1 for index, span in enumerate(spans)}
    forms = []
    for span in spans:
        events = []
        for event in span.events:
            attributes = dict(event.attributes)
            timestamp = event.timestamp
            if event.name == "exception":
                attributes["exception.stacktrace"] = user_frames(attributes["exception.stacktrace"])
                timestamp = 0
            events.append(Event(event.name, attributes, timestamp))
        parent = span.parent
        if parent is not None and parent.span_id in number:
            parent = SpanContext(parent.trace_id, number[parent.span_id], parent.is_remote)
        context = span.context
        renumbered = ReadableSpan(
            name=span.name,
            context=SpanContext(
                context.trace_id,
                number[context.span_id],
                context.is_remote,
                context.trace_flags,
                context.trace_state,
            ),
            parent=parent,
            resource=span.resource,
            attributes=span.attributes,
            events=events,
            links=span.links,
            kind=span.kind,
            status=span.status,
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )
        form = readable_form(renumbered)
        form["json"]["context"]["span_id"] = renumbered.context.span_id
        form.update(
            {
                "otlp": otlp_form(renumbered),
                "otlp span id": number[context.span_id],
                "dropped": (span.dropped_attributes, span.dropped_events, span.dropped_links),
                "info": span.instrumentation_info,
                "scope attributes": dict(span.instrumentation_scope.attributes or {}),
                "resource": span.resource,
                "timed": span.start_time is not None and span.end_time >= span.start_time,
            }
        )
        forms.append(form)
    return forms


def both_ways(
    extension: Extension,
    memory: InMemorySpanExporter,
    scenario: Callable[[Tracer], None],
    *scope: Any,
) -> Tuple[List[ReadableSpan], List[ReadableSpan]]:
    """``(light, the SDK's)``: what ``scenario`` exports with each tracer."""
    scope = scope or (*SCOPE, SCOPE_ATTRIBUTES)
    run_under_a_parent(scenario, trace.get_tracer_provider().get_tracer(*scope))
    light = finished(extension, memory)
    memory.clear()
    run_under_a_parent(scenario, sdk_tracer(*scope))
    sdk = finished(extension, memory)
    memory.clear()
    return light, sdk


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_exported_as_the_sdk_spans_would_be(
    extension: Extension, memory: InMemorySpanExporter, scenario: str
) -> None:
    light, sdk = both_ways(extension, memory, SCENARIOS[scenario])
    assert light and all(type(span) is InvocationSpan for span in light)
    assert not any(isinstance(span, InvocationSpan) for span in sdk)
    assert comparable(light) == comparable(sdk)
    assert {s.context.span_id for s in light}.isdisjoint(s.context.span_id for s in sdk)


def test_nesting_parents_and_scope(extension: Extension, memory: InMemorySpanExporter) -> None:
    light, _ = both_ways(extension, memory, nested)
    innermost, inner, outer = light
    assert [s.name for s in light] == ["innermost", "inner", "outer, renamed"]
    assert innermost.parent == inner.context and inner.parent == outer.context
    assert not inner.parent.is_remote and outer.parent == REMOTE
    assert {s.context.trace_id for s in light} == {REMOTE.trace_id}
    assert outer.context.trace_state == REMOTE.trace_state  # carried on by the sampler
    scope = outer.instrumentation_scope
    assert (scope.name, scope.version, scope.schema_url) == SCOPE
    assert dict(scope.attributes) == SCOPE_ATTRIBUTES
    info = outer.instrumentation_info
    assert (info.name, info.version, info.schema_url) == SCOPE


def test_each_span_carries_its_own_tracers_scope(
    extension: Extension, memory: InMemorySpanExporter
) -> None:
    first, second = trace.get_tracer("tests.first"), trace.get_tracer("tests.second", "1.0")
    with first.start_as_current_span("a"), second.start_as_current_span("b"):
        pass
    b, a = finished(extension, memory)
    assert (a.instrumentation_scope.name, a.instrumentation_scope.version) == ("tests.first", "")
    assert (b.instrumentation_scope.name, b.instrumentation_scope.version) == (
        "tests.second",
        "1.0",
    )


def test_a_missing_scope_name_is_handled_as_the_sdk_does(
    extension: Extension, memory: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    light, sdk = both_ways(extension, memory, nested, "")
    assert comparable(light) == comparable(sdk)
    assert light[0].instrumentation_scope.name == ""
    assert caplog.text.count("get_tracer called with missing module name") == 2


def test_no_parent_or_an_invalid_one_starts_a_new_trace(
    extension: Extension, memory: InMemorySpanExporter
) -> None:
    tracer = trace.get_tracer("tests.roots")
    with tracer.start_as_current_span("current"):
        root = tracer.start_span("root", context=otel_context.Context())  # empty: no parent
        invalid = trace.set_span_in_context(NonRecordingSpan(INVALID_SPAN_CONTEXT))
        also_root = tracer.start_span("also root", context=invalid)
        child = tracer.start_span("child")  # of the current span
        for span in (root, also_root, child):
            span.end()
    root, also_root, child, current = finished(extension, memory)
    assert root.parent is None and also_root.parent is None
    assert len({root.context.trace_id, also_root.context.trace_id, current.context.trace_id}) == 3
    assert child.parent == current.context and child.context.trace_id == current.context.trace_id
    assert all(s.context.is_valid and not s.context.is_remote for s in (root, also_root, child))


def test_a_parent_that_is_no_span_context_is_refused_as_by_the_sdk(
    extension: Extension, memory: InMemorySpanExporter
) -> None:
    class Odd(NonRecordingSpan):
        def get_span_context(self) -> Any:
            return "not a span context"

    context = trace.set_span_in_context(Odd(INVALID_SPAN_CONTEXT))
    for tracer in (trace.get_tracer("tests.odd"), sdk_tracer("tests.odd")):
        with pytest.raises(TypeError, match="parent_span_context must be a SpanContext"):
            tracer.start_span("odd", context=context)


def test_the_exception_recorded_by_the_block_names_the_users_frames(
    extension: Extension, memory: InMemorySpanExporter
) -> None:
    light, sdk = both_ways(extension, memory, raising_in_the_block)
    (event,) = light[0].events
    stacktrace = event.attributes["exception.stacktrace"]
    assert 'raise Boom("sku-42 is out of stock")' in stacktrace
    assert user_frames(stacktrace) == stacktrace  # the SDK's has its context managers' frames
    assert user_frames(sdk[0].events[0].attributes["exception.stacktrace"]) == stacktrace
    assert event.attributes["exception.escaped"] == "False"  # as ``use_span`` records it
    assert event.attributes["exception.type"].endswith("test_light_tracer.Boom")
    assert light[0].status.status_code is StatusCode.ERROR
    assert light[0].status.description == "Boom: sku-42 is out of stock"
    assert not trace.get_current_span().get_span_context().is_valid  # detached


def test_the_processors_get_the_span_itself_unchangeable_once_ended(
    extension: Extension, memory: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    tracer = trace.get_tracer("tests.ended")
    with tracer.start_as_current_span("ended", attributes={"a": 1}) as span:
        span.add_event("e", timestamp=1)
    (exported,) = finished(extension, memory)
    assert exported is span
    before = comparable([span])
    span.set_attribute("a", 2)
    span.set_attributes({"b": 3})
    span.add_event("late")
    span.add_link(LINKED)
    span.update_name("renamed")
    span.set_status(StatusCode.ERROR, "late")
    span.record_exception(Boom("late"))
    span.end()
    assert comparable([span]) == before
    assert not span.is_recording()
    assert "ended span" in caplog.text
    memory.clear()
    assert finished(extension, memory) == []  # ended once, exported once


def test_a_processor_added_to_the_provider_sees_user_spans_start_and_end(
    extension: Extension, memory: InMemorySpanExporter
) -> None:
    seen: List[Tuple[str, Any, Any, Any]] = []

    class Watching(SpanProcessor):
        def on_start(self, span: Any, parent_context: Any = None) -> None:
            parent = trace.get_current_span(parent_context).get_span_context()
            seen.append(("start", span, dict(span.attributes), (span.links, parent)))
            span.set_attribute("enriched.by", "watching")

        def on_end(self, span: ReadableSpan) -> None:
            seen.append(("end", span, dict(span.attributes), span.is_recording()))  # type: ignore[attr-defined]

    trace.get_tracer_provider().current.add_span_processor(Watching())  # type: ignore[attr-defined]
    tracer = trace.get_tracer("tests.watched")
    parent = trace.set_span_in_context(NonRecordingSpan(REMOTE))
    with tracer.start_as_current_span(
        "watched", context=parent, attributes={"x": "1"}, links=[Link(LINKED)]
    ) as span:
        pass
    (start, end) = seen
    assert start[0] == "start" and start[1] is span and start[2] == {"x": "1"}
    links, parent_seen = start[3]
    assert [link.context for link in links] == [LINKED] and parent_seen == REMOTE
    assert end == ("end", span, {"x": "1", "enriched.by": "watching"}, False)
    (exported,) = finished(extension, memory)
    assert exported.attributes["enriched.by"] == "watching"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "2"),
        ("OTEL_ATTRIBUTE_COUNT_LIMIT", "0"),
        ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "3"),
        ("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "2"),
        ("OTEL_SPAN_EVENT_COUNT_LIMIT", "1"),
        ("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "1"),
        ("OTEL_SPAN_LINK_COUNT_LIMIT", "1"),
        ("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "1"),
    ],
)
def test_span_limits_from_the_environment(
    extension: Extension, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    memory = InMemorySpanExporter()
    extension.configure(exporter=memory, instrumentations="none")

    def busy(tracer: Tracer) -> None:
        invalid_attributes(tracer)
        with_links(tracer)
        with tracer.start_as_current_span("events", attributes={"a": "alpha", "b": "beta"}) as s:
            s.add_event("one", {"k": "v", "l": "w"}, timestamp=1)
            s.add_event("two", timestamp=2)

    light, sdk = both_ways(extension, memory, busy)
    assert comparable(light) == comparable(sdk)
    invalid, linked, events = light
    limit = int(value)
    if (
        variable.endswith("ATTRIBUTE_COUNT_LIMIT")
        and "EVENT" not in variable
        and "LINK" not in variable
    ):
        assert len(invalid.attributes) == limit and invalid.dropped_attributes > 0
    elif variable.endswith("VALUE_LENGTH_LIMIT"):
        assert events.attributes["a"] == "alpha"[:limit]
    elif variable == "OTEL_SPAN_EVENT_COUNT_LIMIT":
        assert len(events.events) == 1 and events.dropped_events == 1
    elif variable == "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT":
        assert [e.dropped_attributes for e in events.events] == [1, 0]
    elif variable == "OTEL_SPAN_LINK_COUNT_LIMIT":
        assert len(linked.links) == 1 and linked.dropped_links == 3
    else:
        assert linked.links[0].dropped_attributes == 1


@pytest.mark.parametrize(
    ("ratio", "parent_flags", "recorded"),
    [(0.0, None, False), (1.0, None, True), (0.0, 1, True), (1.0, 0, False)],
)
def test_sampling_decisions_are_the_providers(
    extension: Extension, ratio: float, parent_flags: Optional[int], recorded: bool
) -> None:
    memory = InMemorySpanExporter()
    extension.configure(exporter=memory, instrumentations="none", sampling_ratio=ratio)
    context = None
    if parent_flags is not None:
        parent = SpanContext(REMOTE.trace_id, REMOTE.span_id, True, TraceFlags(parent_flags))
        context = trace.set_span_in_context(NonRecordingSpan(parent))
    results = []
    for tracer in (trace.get_tracer("tests.sampled"), sdk_tracer("tests.sampled")):
        with tracer.start_as_current_span("sampled?", context=context) as span:
            pass
        results.append(
            (span.is_recording() or isinstance(span, ReadableSpan), span.get_span_context())
        )
        results.append(len(finished(extension, memory)))
        memory.clear()
    (light_kept, light_context), light_count, (sdk_kept, sdk_context), sdk_count = results
    assert light_kept is sdk_kept is recorded and light_count == sdk_count == int(recorded)
    assert light_context.trace_flags == sdk_context.trace_flags
    assert light_context.trace_flags.sampled is recorded and light_context.is_valid


class Choosy(Sampler):
    """Records spans named "only recorded" without sampling them, drops "dropped", adds an
    attribute and a trace state; remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: List[Tuple[Any, ...]] = []

    def should_sample(
        self,
        parent_context,
        trace_id,
        name,
        kind=None,
        attributes=None,
        links=None,
        trace_state=None,
    ):  # type: ignore[no-untyped-def]
        self.asked.append((name, kind, dict(attributes or {}), list(links or ())))
        if name == "dropped":
            return SamplingResult(Decision.DROP)
        decision = Decision.RECORD_ONLY if name == "only recorded" else Decision.RECORD_AND_SAMPLE
        return SamplingResult(
            decision, {**(attributes or {}), "sampler.said": name}, TraceState([("s", "1")])
        )

    def get_description(self) -> str:
        return "Choosy"


def test_the_sampler_gets_attributes_and_links_and_may_add_attributes() -> None:
    """On any SDK provider's parts: a sampler other than ours, every decision."""
    results = []
    for light in (True, False):
        sampler = Choosy()
        provider = SdkTracerProvider(sampler=sampler, shutdown_on_exit=False)
        memory = InMemorySpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(memory))
        tracer = provider.get_tracer("tests.choosy")
        if light:
            tracer = light_tracer(tracer, SpanLimits())
            assert isinstance(tracer, LightTracer)
        spans = []
        for name in ("sampled", "only recorded", "dropped"):
            span = tracer.start_span(
                name, kind=SpanKind.CONSUMER, attributes={"in": name}, links=[Link(LINKED)]
            )
            spans.append((span.is_recording(), span.get_span_context().trace_flags))
            span.end()
        results.append((sampler.asked, spans, comparable(memory.get_finished_spans())))
    (light_asked, light_spans, light_export), (sdk_asked, sdk_spans, sdk_export) = results
    assert [(name, kind, attributes) for name, kind, attributes, _ in light_asked] == [
        (name, kind, attributes) for name, kind, attributes, _ in sdk_asked
    ]
    assert [[link.context for link in links] for *_, links in light_asked] == [[LINKED]] * 3
    assert (
        light_spans
        == sdk_spans
        == [
            (True, TraceFlags(1)),
            (True, TraceFlags(0)),
            (False, TraceFlags(0)),
        ]
    )
    for light_span, sdk_span in zip(light_export, sdk_export):
        light_span["json"]["context"]["trace_id"] = sdk_span["json"]["context"]["trace_id"]
        light_span["otlp"] = sdk_span["otlp"] = None  # trace ids differ: new traces
        assert light_span == sdk_span
    assert [s["json"]["attributes"]["sampler.said"] for s in light_export] == ["sampled"]


def test_a_tracer_obtained_earlier_follows_configure(extension: Extension) -> None:
    tracer = trace.get_tracer("tests.early")  # before any configuration: a no-op
    assert not tracer.start_span("nothing yet").is_recording()
    first, second = InMemorySpanExporter(), InMemorySpanExporter()
    extension.configure(exporter=first, instrumentations="none")
    with tracer.start_as_current_span("to the first"):
        pass
    extension.configure(exporter=second, instrumentations="none", service_name="second")
    with tracer.start_as_current_span("to the second"):
        pass
    assert [s.name for s in finished(extension, first)] == ["to the first"]
    (span,) = finished(extension, second)
    assert span.name == "to the second" and isinstance(span, InvocationSpan)
    assert span.resource.attributes["service.name"] == "second"
    assert span.instrumentation_scope.name == "tests.early"


def test_sdk_disabled_user_spans_record_nothing(
    extension: Extension, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracer = trace.get_tracer("tests.disabled")
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    memory = InMemorySpanExporter()
    extension.configure(exporter=memory, instrumentations="none")
    with tracer.start_as_current_span("nothing") as span:
        assert not span.is_recording() and not span.get_span_context().is_valid
    assert finished(extension, memory) == []


FOREIGN_PROVIDER = textwrap.dedent(
    """
    import json, os
    os.environ["PYTHON_ENABLE_WORKER_EXTENSIONS"] = "1"
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    trace.set_tracer_provider(TracerProvider())  # someone else's, set before ours

    from python_worker_extension_opentelemetry import OpenTelemetryExtension

    OpenTelemetryExtension.configure(instrumentations="none")
    with trace.get_tracer("user").start_as_current_span("user") as span:
        print(json.dumps([type(span).__module__, type(span).__name__]))
    """
)


def test_on_a_provider_not_ours_user_spans_stay_the_sdks() -> None:
    printed = run_fresh(FOREIGN_PROVIDER)
    assert printed == [
        "opentelemetry.sdk.trace",
        "_Span",
    ]


def test_user_span_values_are_masked_on_export(
    extension: Extension, memory: InMemorySpanExporter
) -> None:
    tracer = trace.get_tracer("tests.secrets")
    links = [Link(LINKED, {"db.connection": f"Server=db;AccountKey={SECRET}"})]
    with tracer.start_as_current_span(
        "query", attributes={"url.full": f"https://x.blob/c?sig={SECRET}"}, links=links
    ) as span:
        span.set_attribute("api_key", "plain-looking-value")
        span.add_event("retry", {"note": f"Password={SECRET}"})
    (exported,) = finished(extension, memory)
    text = json.dumps(
        [
            dict(exported.attributes),
            [dict(e.attributes) for e in exported.events],
            [dict(link.attributes) for link in exported.links],
        ]
    )
    assert SECRET not in text and "plain-looking-value" not in text
    assert not isinstance(span, SdkSpan)  # light, and still masked as the SDK's are


def test_processors_added_later_are_called_in_order_with_ours(
    extension: Extension, memory: InMemorySpanExporter
) -> None:
    """Ours alone is called directly; with others added, each is, in the order added, and
    ours still exports every span."""
    calls: List[str] = []

    class Recording(SpanProcessor):
        def __init__(self, label: str) -> None:
            self.label = label

        def on_start(self, span: Any, parent_context: Any = None) -> None:
            calls.append(f"{self.label} start {span.name}")

        def on_end(self, span: ReadableSpan) -> None:
            calls.append(f"{self.label} end {span.name}")

    provider = trace.get_tracer_provider().current  # type: ignore[attr-defined]
    tracer = trace.get_tracer("tests.order")
    with tracer.start_as_current_span("alone"):
        pass
    provider.add_span_processor(Recording("first"))
    provider.add_span_processor(Recording("second"))
    with tracer.start_as_current_span("watched"):
        pass
    extension.flush(10.0)
    assert calls == [
        "first start watched",
        "second start watched",
        "first end watched",
        "second end watched",
    ]
    assert [s.name for s in finished(extension, memory)] == ["alone", "watched"]


def application_insights_form(items: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The envelopes without times and durations, span ids numbered by first appearance,
    stack traces without the context managers' frames."""
    numbers: Dict[str, str] = {}

    def number(span_id: str) -> str:
        return numbers.setdefault(span_id, f"span {len(numbers) + 1}")

    forms = []
    for item in items:
        if item["name"].endswith(".Metric"):
            continue  # the exporter's own resource metric, once per exporter
        form = copy.deepcopy(item)
        del form["time"]
        data = form["data"]["baseData"]
        data.pop("duration", None)
        if "id" in data:
            data["id"] = number(data["id"])
        tags = form["tags"]
        if tags.get("ai.operation.parentId", INCOMING_PARENT_ID) != INCOMING_PARENT_ID:
            tags["ai.operation.parentId"] = number(tags["ai.operation.parentId"])
        for exception in data.get("exceptions", ()):
            exception["stack"] = user_frames(exception["stack"])
        forms.append(form)
    return forms


def test_sent_to_application_insights_as_the_sdk_spans_would_be(
    extension: Extension, ingestion: IngestionEndpoint
) -> None:
    """The real Azure Monitor exporter reads the light span itself, queued at its end."""
    extension.configure(
        exporter="azure_monitor",
        connection_string=f"InstrumentationKey={INSTRUMENTATION_KEY};"
        f"IngestionEndpoint={ingestion.url}/",
        azure_monitor_options={"disable_offline_storage": True},
        instrumentations="none",
        metrics=False,
    )
    sent = []
    for tracer in (trace.get_tracer_provider().get_tracer(*SCOPE), sdk_tracer(*SCOPE)):
        with ingestion.lock:
            ingestion.requests.clear()
        for scenario in (nested, with_links, raising_in_the_block, invalid_attributes, decorated):
            run_under_a_parent(scenario, tracer)
        extension.flush(10.0)
        sent.append(application_insights_form(ingestion.envelopes()))
    light, sdk = sent
    assert len(light) > 10 and light == sdk


def test_a_decorated_function_follows_configure(extension: Extension) -> None:
    tracer = trace.get_tracer("tests.decorated")
    first, second = InMemorySpanExporter(), InMemorySpanExporter()
    extension.configure(exporter=first, instrumentations="none")

    @tracer.start_as_current_span("decorated at import")
    def work() -> None:
        pass

    work()
    extension.configure(exporter=second, instrumentations="none")
    work()
    assert [s.name for s in finished(extension, first)] == ["decorated at import"]
    assert [s.name for s in finished(extension, second)] == ["decorated at import"]


def test_one_tracer_per_scope_however_often_asked(
    extension: Extension, memory: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = trace.get_tracer_provider()
    assert trace.get_tracer("tests.same") is trace.get_tracer("tests.same")
    assert trace.get_tracer("tests.same") is not trace.get_tracer("tests.same", "1.0")
    with_attributes = provider.get_tracer("tests.same", None, None, {"a": ["x"]})
    assert with_attributes is provider.get_tracer("tests.same", None, None, {"a": ["x"]})
    assert with_attributes is not provider.get_tracer("tests.same", None, None, {"a": ["y"]})
    # Past the number kept, a tracer is made for each call, and works (and follows) all the same.
    # (The module of the installed provider: a harness may have imported ours afresh since.)
    module_globals = type(provider).get_tracer.__globals__
    monkeypatch.setitem(module_globals, "_MAX_KEPT_TRACERS", 0)
    unkept = trace.get_tracer("tests.not kept")
    assert unkept is not trace.get_tracer("tests.not kept")
    with unkept.start_as_current_span("first"):
        pass
    assert [s.name for s in finished(extension, memory)] == ["first"]
    again = InMemorySpanExporter()
    extension.configure(exporter=again, instrumentations="none")
    with unkept.start_as_current_span("again"):
        pass
    (span,) = finished(extension, again)
    assert span.name == "again" and span.instrumentation_scope.name == "tests.not kept"


def test_the_context_manager_is_entered_once(
    extension: Extension, memory: InMemorySpanExporter
) -> None:
    manager = trace.get_tracer("tests.once").start_as_current_span("once")
    with manager, pytest.raises(RuntimeError, match="enter once; call it again"), manager:
        pass
    assert [s.name for s in finished(extension, memory)] == ["once"]


IMPORTED_AFRESH = textwrap.dedent(
    """
    import json, os, sys
    os.environ["PYTHON_ENABLE_WORKER_EXTENSIONS"] = "1"
    from opentelemetry import trace
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    import python_worker_extension_opentelemetry as first

    first.OpenTelemetryExtension.configure(exporter=InMemorySpanExporter(), instrumentations="none")
    # A harness that loads the app afresh imports the extension again; the provider
    # installed by the first import stays global.
    for name in [n for n in sys.modules if n.startswith("python_worker_extension_opentelemetry")]:
        del sys.modules[name]
    import python_worker_extension_opentelemetry as afresh

    exported = []
    for _ in range(2):
        memory = InMemorySpanExporter()
        afresh.OpenTelemetryExtension.configure(exporter=memory, instrumentations="none")
        if not exported:
            @trace.get_tracer("user").start_as_current_span("decorated")
            def work():
                pass
        work()
        afresh.OpenTelemetryExtension.flush(10.0)
        exported.append([type(s).__name__ for s in memory.get_finished_spans()])
    print(json.dumps(exported))
    """
)


def test_user_spans_stay_light_and_follow_configure_after_an_import_afresh() -> None:
    printed = run_fresh(IMPORTED_AFRESH)
    assert printed == [["InvocationSpan"], ["InvocationSpan"]]


@pytest.mark.parametrize("parent_flags", [0, 1])
def test_our_samplers_decision_only_entry_gives_the_sdk_spans_context(
    extension: Extension, memory: InMemorySpanExporter, parent_flags: int
) -> None:
    """On our sampler the light tracer asks ``decide`` only: the span's flags and trace
    state (a parent's, also when not sampled) and its start attributes are the SDK span's;
    the caller's attribute dict stays the caller's."""
    parent = SpanContext(
        REMOTE.trace_id, REMOTE.span_id, True, TraceFlags(parent_flags), REMOTE.trace_state
    )
    context = trace.set_span_in_context(NonRecordingSpan(parent))
    results = []
    for tracer in (trace.get_tracer("tests.decide"), sdk_tracer("tests.decide")):
        given: Dict[str, Any] = {"order.id": 7, "order.kind": "book"}
        span = tracer.start_span("decided", context=context, attributes=given)
        given["order.id"] = 8
        span.end()
        exported = finished(extension, memory)
        memory.clear()
        results.append(
            (
                span.is_recording() or isinstance(span, ReadableSpan),
                span.get_span_context().trace_flags,
                span.get_span_context().trace_state,
                [dict(s.attributes) for s in exported],
            )
        )
    assert isinstance(trace.get_tracer("tests.decide").start_span("x"), InvocationSpan)
    light, sdk = results
    assert light == sdk
    assert light[2] == REMOTE.trace_state and light[1] == TraceFlags(parent_flags)
    assert light[3] == ([{"order.id": 7, "order.kind": "book"}] if parent_flags else [])
