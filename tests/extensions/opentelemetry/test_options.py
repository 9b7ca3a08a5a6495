"""Options: precedence (argument, our app setting, OpenTelemetry's standard variable,
default), clear errors at configure(), local exporters, failure accounting, and sampling
that agrees with request logging's decision for the same trace."""

from __future__ import annotations

import io
import json
import logging
import random
from pathlib import Path

import azure.functions as func
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_framework.toolkit import (
    ExtensionConfigError,
    OptionTypeError,
    OptionValueError,
    UnknownOptionError,
)
from python_worker_extension_opentelemetry import (
    FailureLog,
    JsonLinesSpanExporter,
    OpenTelemetryExtension,
)
from python_worker_extension_opentelemetry.options import build_plan
from python_worker_extension_request_logging import sampling

from .conftest import INCOMING_TRACE_ID, finished


def hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("ok")


def logs_its_trace(req: func.HttpRequest) -> func.HttpResponse:
    logging.getLogger("tests.sampling").warning("handled")
    return func.HttpResponse("ok")


def plan_for(
    extension: type[OpenTelemetryExtension], provider_configured: bool = False, **options: object
) -> object:
    from python_worker_extension_framework.toolkit.options import resolve

    return build_plan(
        resolve("X", extension.all_options(), options), provider_configured=provider_configured
    )


def test_nowhere_to_send_is_a_clear_error(extension: type[OpenTelemetryExtension]) -> None:
    with pytest.raises(ExtensionConfigError, match="APPLICATIONINSIGHTS_CONNECTION_STRING"):
        extension.configure()


def test_azure_monitor_without_connection_string(extension: type[OpenTelemetryExtension]) -> None:
    with pytest.raises(ExtensionConfigError, match="needs a connection string"):
        extension.configure(exporter="azure_monitor")


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"exporter": "zipkin"}, OptionValueError, "use one of 'azure_monitor', 'otlp'"),
        ({"exporter": object()}, OptionValueError, "export\\(spans\\)"),
        ({"sampling_ratio": 1.5}, OptionValueError, "fraction from 0.0"),
        ({"invocation_span": "sometimes"}, OptionValueError, "'auto', 'always', 'never'"),
        ({"instrumentations": "requests,grpc"}, OptionValueError, "unknown instrumentation 'grpc'"),
        ({"queue_size": 0}, OptionValueError, "greater than 0"),
        ({"metrics": "yes"}, OptionTypeError, "must be bool"),
        ({"exporter_name": "otlp"}, UnknownOptionError, "known options"),
    ],
)
def test_bad_options_are_named(
    extension: type[OpenTelemetryExtension], options: dict, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        extension.configure(**options)


def test_standard_variables_are_honoured(
    extension: type[OpenTelemetryExtension], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "from-otel")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.25")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    monkeypatch.setenv("OTEL_METRIC_EXPORT_INTERVAL", "5000")
    plan = plan_for(extension)
    assert plan.exporter == "otlp"  # type: ignore[attr-defined]
    assert plan.service_name == "from-otel"  # type: ignore[attr-defined]
    assert plan.sampling_ratio == 0.25  # type: ignore[attr-defined]
    assert plan.otlp_endpoint == "http://127.0.0.1:4318"  # type: ignore[attr-defined]
    assert plan.metric_export_interval == 5.0  # type: ignore[attr-defined]


def test_precedence_argument_then_app_setting_then_standard_variable(
    extension: type[OpenTelemetryExtension], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "from-otel")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_off")
    monkeypatch.setenv("WEBSITE_SITE_NAME", "from-site")
    monkeypatch.setenv("PYTHON_WORKER_EXTENSION_OPENTELEMETRY_SERVICE_NAME", "from-app-setting")
    monkeypatch.setenv("PYTHON_WORKER_EXTENSION_OPENTELEMETRY_SAMPLING_RATIO", "0.5")
    monkeypatch.setenv("PYTHON_WORKER_EXTENSION_OPENTELEMETRY_EXPORTER", "console")
    plan = plan_for(extension)
    assert plan.service_name == "from-app-setting"  # type: ignore[attr-defined]
    assert plan.sampling_ratio == 0.5  # type: ignore[attr-defined]
    assert plan.exporter == "console"  # type: ignore[attr-defined]
    plan = plan_for(extension, service_name="from-argument", sampling_ratio=1.0, exporter="none")
    assert plan.service_name == "from-argument"  # type: ignore[attr-defined]
    assert plan.sampling_ratio == 1.0  # type: ignore[attr-defined]
    monkeypatch.delenv("PYTHON_WORKER_EXTENSION_OPENTELEMETRY_SERVICE_NAME")
    monkeypatch.delenv("PYTHON_WORKER_EXTENSION_OPENTELEMETRY_SAMPLING_RATIO")
    plan = plan_for(extension)
    assert plan.service_name == "from-otel"  # type: ignore[attr-defined]
    assert plan.sampling_ratio == 0.0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("variables", "match"),
    [
        ({"OTEL_TRACES_SAMPLER": "jaeger_remote"}, "OTEL_TRACES_SAMPLER='jaeger_remote'"),
        ({"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "lots"}, "ARG='lots'"),
        ({"OTEL_METRIC_EXPORT_INTERVAL": "-1"}, "milliseconds"),
    ],
)
def test_bad_standard_variables_fail_at_configure(
    extension: type[OpenTelemetryExtension],
    monkeypatch: pytest.MonkeyPatch,
    variables: dict,
    match: str,
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ExtensionConfigError, match=match):
        extension.configure(exporter="none")


def test_invocation_span_auto_follows_the_workers_mode(
    extension: type[OpenTelemetryExtension], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert plan_for(extension, exporter="none").invocation_span is True  # type: ignore[attr-defined]
    monkeypatch.setenv("PYTHON_ENABLE_OPENTELEMETRY", "1")
    assert plan_for(extension, exporter="none").invocation_span is False  # type: ignore[attr-defined]
    assert plan_for(extension, exporter="none", invocation_span="always").invocation_span is True  # type: ignore[attr-defined]


def test_azure_monitor_is_left_to_the_workers_mode_only_for_its_own_resource(
    extension: type[OpenTelemetryExtension], monkeypatch: pytest.MonkeyPatch
) -> None:
    workers = "InstrumentationKey=00000000-0000-0000-0000-000000000000"
    other = "InstrumentationKey=11111111-1111-1111-1111-111111111111"
    monkeypatch.setenv("APPLICATIONINSIGHTS_CONNECTION_STRING", workers)

    def exporter(configured: bool, **options: object) -> object:
        plan = plan_for(extension, configured, exporter="azure", **options)
        return (plan.exporter, plan.left_to_worker)  # type: ignore[attr-defined]

    # Without the worker's mode (or its provider), ours exports.
    assert exporter(True) == ("azure_monitor", False)
    monkeypatch.setenv("PYTHON_ENABLE_OPENTELEMETRY", "1")
    assert exporter(False) == ("azure_monitor", False)  # the distro did not set up
    # The worker's distro sends to that resource already: ours adds to its providers.
    assert exporter(True) == ("none", True)
    assert exporter(True, connection_string=workers) == ("none", True)
    # Another resource: a second export is what was asked for.
    assert exporter(True, connection_string=other) == ("azure_monitor", False)


def test_sampling_agrees_with_request_logging(extension: type[OpenTelemetryExtension]) -> None:
    """New traces (no caller's flag): the decision is request logging's ``by_rate`` on the
    same trace id, seen through the ids each invocation's log record carries."""
    memory = InMemorySpanExporter()
    extension.configure(exporter=memory, instrumentations="none", sampling_ratio=0.3)
    decisions = {}
    for _ in range(300):
        record = invoke(
            logs_its_trace, context=make_context("Hello", trace_parent=""), req=make_http_request()
        )
        (line,) = [r for r in record.records if r.name == "tests.sampling"]
        decisions[line.otelTraceID] = line.otelTraceSampled  # type: ignore[attr-defined]
    assert decisions == {trace_id: sampling.by_rate(0.3, trace_id) for trace_id in decisions}
    recorded = {f"{s.context.trace_id:032x}" for s in finished(extension, memory)}
    assert recorded == {trace_id for trace_id, kept in decisions.items() if kept}
    assert 40 < len(recorded) < 140


def test_callers_flag_decides_like_request_logging(extension: type[OpenTelemetryExtension]) -> None:
    memory = InMemorySpanExporter()
    extension.configure(exporter=memory, instrumentations="none", sampling_ratio=0.0)
    sampled = f"00-{INCOMING_TRACE_ID}-00f067aa0ba902b7-01"
    unsampled = f"00-{'1' * 32}-00f067aa0ba902b7-00"
    for parent in (sampled, unsampled):
        invoke(hello, context=make_context("Hello", trace_parent=parent), req=make_http_request())
        parsed = sampling.traceparent.parse(parent)[0]
        kept = sampling.keep_success("context", 0.0, None, parent, parsed.trace_id)
        assert kept is parsed.sampled
    spans = finished(extension, memory)
    assert [f"{s.context.trace_id:032x}" for s in spans] == [INCOMING_TRACE_ID]


def test_jsonl_exporter_writes_one_object_per_span(
    extension: type[OpenTelemetryExtension], tmp_path: Path
) -> None:
    path = tmp_path / "spans.jsonl"
    extension.configure(exporter="jsonl", jsonl_path=str(path), instrumentations="none")
    request = make_http_request("GET", "http://h/api/hello?sig=abc123secret")
    invoke(hello, context=make_context("Hello"), req=request)
    extension.flush(5.0)
    (line,) = path.read_text().splitlines()
    span = json.loads(line)
    assert span["name"] == "GET /api/hello"
    assert span["kind"] == SpanKind.SERVER.name
    assert span["attributes"]["faas.name"] == "Hello"
    assert "abc123secret" not in line


def test_console_exporter_prints_spans(
    extension: type[OpenTelemetryExtension], capfd: pytest.CaptureFixture[str]
) -> None:
    extension.configure(exporter="console", instrumentations="none", metrics=False)
    invoke(hello, context=make_context("Hello"), req=make_http_request())
    extension.flush(5.0)
    out = capfd.readouterr().out
    assert '"name": "GET /api/HttpTrigger"' in out


def test_failures_are_logged_at_most_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    now = [1000.0]
    failures = FailureLog(clock=lambda: now[0])
    with caplog.at_level("WARNING"):
        for _ in range(5):
            failures.failure("the OTLP exporter", 3, "ConnectionError")
        now[0] += 59.0
        failures.failure("the OTLP exporter", 3, "ConnectionError")
        now[0] += 2.0
        failures.failure("the OTLP exporter", 3, "ConnectionError")
    warnings = [r.getMessage() for r in caplog.records if "failed to export" in r.getMessage()]
    assert len(warnings) == 2
    assert "7 batch(es), 21 item(s) failed so far" in warnings[1]
    assert failures.snapshot() == {"exported": 0, "failed": 21, "failed_batches": 7}


def test_jsonl_stream_for_scripts() -> None:
    stream = io.StringIO()
    exporter = JsonLinesSpanExporter(stream=stream)
    assert exporter.export([]).name == "SUCCESS"
    assert stream.getvalue() == ""


@pytest.mark.parametrize("ratio", [0.0, 0.3, 0.5, 1.0])
def test_invocation_sampler_decides_as_parent_based_ratio(ratio: float) -> None:
    """Same decision and trace state as OpenTelemetry's ParentBased(TraceIdRatioBased)."""
    from opentelemetry import trace as api
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
    from opentelemetry.trace.span import TraceState
    from python_worker_extension_opentelemetry.sampling import InvocationSampler

    ours, reference = InvocationSampler(ratio), ParentBased(TraceIdRatioBased(ratio))
    rng = random.Random(11)
    parents = [None]
    for flags in (0, 1):
        for state in (TraceState(), TraceState([("congo", "t61")])):
            span = NonRecordingSpan(
                SpanContext(
                    rng.getrandbits(128), rng.getrandbits(64), True, TraceFlags(flags), state
                )
            )
            parents.append(api.set_span_in_context(span))
    for parent in parents:
        for _ in range(200):
            trace_id = rng.getrandbits(128)
            for attributes in (None, {"a": 1}):
                mine = ours.should_sample(parent, trace_id, "x", attributes=attributes)
                theirs = reference.should_sample(parent, trace_id, "x", attributes=attributes)
                assert mine.decision == theirs.decision
                assert (mine.trace_state or TraceState()) == (theirs.trace_state or TraceState())
                assert dict(mine.attributes) == dict(theirs.attributes)


@pytest.mark.parametrize("ratio", [0.0, 0.3, 1.0])
def test_the_decision_only_entry_decides_as_should_sample(ratio: float) -> None:
    """``decide`` (what light spans ask) gives ``should_sample``'s decision and trace state:
    no parent, an invalid one, sampled and not sampled parents, with and without a state."""
    from opentelemetry import trace as api
    from opentelemetry.sdk.trace.sampling import Decision
    from opentelemetry.trace import INVALID_SPAN_CONTEXT, NonRecordingSpan, SpanContext, TraceFlags
    from opentelemetry.trace.span import TraceState
    from python_worker_extension_opentelemetry.sampling import InvocationSampler

    sampler = InvocationSampler(ratio)
    rng = random.Random(5)
    parents = [None, INVALID_SPAN_CONTEXT]
    for flags in (0, 1):
        for state in (TraceState(), TraceState([("congo", "t61")])):
            parents.append(
                SpanContext(
                    rng.getrandbits(128), rng.getrandbits(64), True, TraceFlags(flags), state
                )
            )
    seen = set()
    for parent in parents:
        context = None if parent is None else api.set_span_in_context(NonRecordingSpan(parent))
        for _ in range(200):
            trace_id = rng.getrandbits(128)
            keep, state = sampler.decide(parent, trace_id)
            result = sampler.should_sample(context, trace_id, "x")
            assert keep is (result.decision is Decision.RECORD_AND_SAMPLE)
            assert (state or TraceState()) == (result.trace_state or TraceState())
            seen.add((keep, bool(state)))
    # Kept and dropped, with and without a trace state, all decided.
    assert seen == {(True, False), (False, False), (True, True), (False, True)}
