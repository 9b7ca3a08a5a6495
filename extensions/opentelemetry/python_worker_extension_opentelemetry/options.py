"""The extension's options, their checks, and the ``Plan`` compiled from them.

Precedence for every option: the ``configure()`` argument, then our app setting
(``PYTHON_WORKER_EXTENSION_OPENTELEMETRY_<OPTION>``), then, where OpenTelemetry defines
one, its standard environment variable (``OTEL_SERVICE_NAME``, ``OTEL_TRACES_SAMPLER`` and
``OTEL_TRACES_SAMPLER_ARG``, ``OTEL_EXPORTER_OTLP_ENDPOINT``,
``APPLICATIONINSIGHTS_CONNECTION_STRING`` ...), then the default. The standard variables
are read here, once, so ``configure()`` reports a bad one the same way as a bad option.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, FrozenSet, Mapping, Optional, Tuple

from python_worker_extension_framework.toolkit import ExtensionConfigError, Option

APP_SETTING_PREFIX = "PYTHON_WORKER_EXTENSION_OPENTELEMETRY_"
CONNECTION_STRING_SETTING = "APPLICATIONINSIGHTS_CONNECTION_STRING"
SERVICE_NAME_SETTING = "OTEL_SERVICE_NAME"
SAMPLER_SETTING = "OTEL_TRACES_SAMPLER"
SAMPLER_ARG_SETTING = "OTEL_TRACES_SAMPLER_ARG"
OTLP_ENDPOINT_SETTING = "OTEL_EXPORTER_OTLP_ENDPOINT"
OTLP_TRACES_ENDPOINT_SETTING = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
METRIC_INTERVAL_SETTING = "OTEL_METRIC_EXPORT_INTERVAL"  # milliseconds, as OpenTelemetry says
SITE_NAME_SETTING = "WEBSITE_SITE_NAME"
WORKER_OPENTELEMETRY_SETTING = "PYTHON_ENABLE_OPENTELEMETRY"

EXPORTER_NAMES = ("azure_monitor", "otlp", "console", "jsonl", "none")
INVOCATION_SPAN_MODES = ("auto", "always", "never")
INSTRUMENTATION_NAMES = ("requests", "httpx", "urllib3", "aiohttp", "azure_sdk")
DEFAULT_JSONL_PATH = "opentelemetry-spans.jsonl"
DEFAULT_SERVICE_NAME = "azure-functions-app"
DEFAULT_QUEUE_SIZE = 2048
DEFAULT_METRIC_INTERVAL_SECONDS = 60.0
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})


def app_setting(option_name: str) -> str:
    """The app setting that sets an option: ``PYTHON_WORKER_EXTENSION_OPENTELEMETRY_<NAME>``."""
    return APP_SETTING_PREFIX + option_name.upper()


def _exporter(value: Any) -> Any:
    if isinstance(value, str):
        name = value.strip().lower().replace("-", "_")
        if name == "azure":
            name = "azure_monitor"
        if name not in EXPORTER_NAMES:
            raise ValueError(
                f"use one of {', '.join(map(repr, EXPORTER_NAMES))}, or an OpenTelemetry "
                "SpanExporter object (one with export(spans) and shutdown())"
            )
        return name
    if not callable(getattr(value, "export", None)):
        raise ValueError(
            "an exporter object needs export(spans) and shutdown() methods, like "
            "opentelemetry.sdk.trace.export.SpanExporter (or use a name: "
            f"{', '.join(map(repr, EXPORTER_NAMES))})"
        )
    return value


def _has_export(value: Any, kind: str) -> Any:
    if not callable(getattr(value, "export", None)):
        raise ValueError(f"use an object with an export() method, like an OpenTelemetry {kind}")
    return value


def _ratio(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError("use a fraction from 0.0 (record no new trace) to 1.0 (record all)")
    return float(value)


def _positive(value: float) -> Any:
    if value <= 0:
        raise ValueError("use a number greater than 0")
    return value


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("use a non-empty string")
    return value.strip()


def _mode(value: str) -> str:
    mode = value.strip().lower()
    if mode not in INVOCATION_SPAN_MODES:
        raise ValueError(f"use one of {', '.join(map(repr, INVOCATION_SPAN_MODES))}")
    return mode


def _names(value: Any) -> Tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    bad = [item for item in items if not isinstance(item, str)]
    if bad:
        raise ValueError(f"every name must be a string, got {bad[0]!r}")
    return tuple(item.strip().lower() for item in items if item.strip())


def _instrumentations(value: Any) -> Tuple[str, ...]:
    names = _names(value)
    if names in (("none",), ()):
        return ()
    if names == ("all",):
        return INSTRUMENTATION_NAMES
    unknown = [name for name in names if name not in INSTRUMENTATION_NAMES]
    if unknown:
        raise ValueError(
            f"unknown instrumentation {unknown[0]!r}; use names from "
            f"{', '.join(INSTRUMENTATION_NAMES)}, or 'all' or 'none'"
        )
    return names


OPTIONS = (
    Option(
        "exporter",
        (str, object),
        None,
        env=app_setting("exporter"),
        doc="Where spans, metrics and logs go: 'azure_monitor', 'otlp', 'console', 'jsonl', "
        "'none' or a SpanExporter object. By default 'azure_monitor' when a connection string "
        "is set, else 'otlp' when an OTLP endpoint is set.",
        check=_exporter,
    ),
    Option(
        "metric_exporter",
        object,
        None,
        doc="A MetricExporter object for the metrics when ``exporter`` is an exporter object "
        "(named exporters bring their own).",
        check=lambda value: _has_export(value, "MetricExporter"),
    ),
    Option(
        "connection_string",
        str,
        None,
        env=app_setting("connection_string"),
        doc=f"Application Insights connection string; falls back to {CONNECTION_STRING_SETTING}.",
        check=_non_empty,
    ),
    Option(
        "otlp_endpoint",
        str,
        None,
        env=app_setting("otlp_endpoint"),
        doc="OTLP/HTTP base URL (``/v1/traces`` etc. are added); falls back to "
        f"{OTLP_ENDPOINT_SETTING} (the OTLP exporter also reads the other OTEL_EXPORTER_OTLP_*).",
        check=_non_empty,
    ),
    Option(
        "service_name",
        str,
        None,
        env=app_setting("service_name"),
        doc=f"service.name; falls back to {SERVICE_NAME_SETTING}, then {SITE_NAME_SETTING}.",
        check=_non_empty,
    ),
    Option(
        "sampling_ratio",
        float,
        None,
        env=app_setting("sampling_ratio"),
        doc="Fraction of new traces recorded (parent-based: a caller's decision is followed); "
        f"falls back to {SAMPLER_SETTING}/{SAMPLER_ARG_SETTING}, then 1.0.",
        check=_ratio,
    ),
    Option(
        "invocation_span",
        str,
        "auto",
        env=app_setting("invocation_span"),
        doc="'auto' (record one unless the worker's own OpenTelemetry mode is on, where the "
        "host records the request), 'always' or 'never'.",
        check=_mode,
    ),
    Option(
        "metrics",
        bool,
        True,
        env=app_setting("metrics"),
        doc="Record invocation count, error count and duration per function and trigger.",
    ),
    Option(
        "export_logs",
        bool,
        False,
        env=app_setting("export_logs"),
        doc="Also send log records (with their trace and span ids) through the exporter.",
    ),
    Option(
        "instrumentations",
        (str, tuple, list),
        INSTRUMENTATION_NAMES,
        env=app_setting("instrumentations"),
        doc="Outgoing clients to instrument when their OpenTelemetry package is installed: "
        f"{', '.join(INSTRUMENTATION_NAMES)}; 'none' for none.",
        check=_instrumentations,
    ),
    Option(
        "jsonl_path",
        str,
        DEFAULT_JSONL_PATH,
        env=app_setting("jsonl_path"),
        doc="The file the 'jsonl' exporter appends one JSON object per span to.",
        check=_non_empty,
    ),
    Option(
        "redact_names",
        (str, tuple, list),
        (),
        env=app_setting("redact_names"),
        doc="More query, header and field names whose values are replaced by the marker.",
        check=_names,
    ),
    Option(
        "queue_size",
        int,
        DEFAULT_QUEUE_SIZE,
        env=app_setting("queue_size"),
        doc="Spans waiting for export at most; beyond it new spans are dropped and counted.",
        check=_positive,
    ),
    Option(
        "azure_monitor_options",
        dict,
        None,
        doc="Keyword options passed unchanged to the Azure Monitor exporters "
        "(``disable_offline_storage``, ``storage_directory``, ``credential`` ...).",
    ),
    Option(
        "record_headers",
        (str, tuple, list),
        (),
        env=app_setting("record_headers"),
        doc="Request header names recorded as ``http.request.header.<name>``, redacted.",
        check=_names,
    ),
    Option(
        "metric_export_interval",
        float,
        None,
        env=app_setting("metric_export_interval"),
        doc=f"Seconds between metric exports; falls back to {METRIC_INTERVAL_SETTING} "
        "(milliseconds), then 60.",
        check=_positive,
    ),
)


@dataclass(frozen=True)
class Plan:
    """The settings in the form the extension uses them, built once per ``configure()``."""

    exporter: Any  # a name from EXPORTER_NAMES or a SpanExporter object
    connection_string: Optional[str]
    otlp_endpoint: Optional[str]
    service_name: str
    sampling_ratio: float
    invocation_span: bool
    metrics: bool
    export_logs: bool
    instrumentations: Tuple[str, ...]
    jsonl_path: str
    redact_names: FrozenSet[str]
    queue_size: int
    metric_export_interval: float
    worker_mode: bool
    azure_monitor_options: Mapping[str, Any]
    record_headers: Tuple[str, ...]
    metric_exporter: Any = None
    # exporter="azure_monitor" was chosen, but the worker's mode already sends there.
    left_to_worker: bool = False

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any],
        provider_configured: bool = False,
        environ: Optional[Mapping[str, str]] = None,
    ) -> Plan:
        """Options and standard variables combined; raises ``ExtensionConfigError`` naming
        the fix. ``provider_configured``: someone (the worker) set a tracer provider first."""
        return build_plan(settings, provider_configured, environ)


def worker_mode_on(environ: Mapping[str, str]) -> bool:
    """Whether the worker's own OpenTelemetry mode is on (``PYTHON_ENABLE_OPENTELEMETRY``)."""
    return environ.get(WORKER_OPENTELEMETRY_SETTING, "").strip().lower() in _TRUE


def sampling_ratio_from_environment(environ: Mapping[str, str]) -> float:
    """The ratio OpenTelemetry's ``OTEL_TRACES_SAMPLER``/``_ARG`` name; 1.0 when unset.

    Every sampler this extension builds is parent-based, so ``traceidratio`` and
    ``parentbased_traceidratio`` mean the same here, as do ``always_on`` and
    ``parentbased_always_on``.
    """
    name = environ.get(SAMPLER_SETTING, "").strip().lower()
    if not name:
        return 1.0
    if name.endswith("always_on"):
        return 1.0
    if name.endswith("always_off"):
        return 0.0
    if name.endswith("traceidratio"):
        raw = environ.get(SAMPLER_ARG_SETTING, "1.0").strip() or "1.0"
        try:
            return _ratio(float(raw))
        except ValueError:
            raise ExtensionConfigError(
                f"OpenTelemetryExtension: {SAMPLER_ARG_SETTING}={raw!r} is not a ratio from "
                "0.0 to 1.0; fix it or pass sampling_ratio=... to configure()"
            ) from None
    raise ExtensionConfigError(
        f"OpenTelemetryExtension: {SAMPLER_SETTING}={name!r} is not supported; use "
        "always_on, always_off, traceidratio or their parentbased_ forms, or pass "
        "sampling_ratio=... to configure()"
    )


def _metric_interval(settings: Mapping[str, Any], environ: Mapping[str, str]) -> float:
    if settings["metric_export_interval"] is not None:
        return float(settings["metric_export_interval"])
    raw = environ.get(METRIC_INTERVAL_SETTING, "").strip()
    if not raw:
        return DEFAULT_METRIC_INTERVAL_SECONDS
    try:
        return float(_positive(float(raw))) / 1000.0
    except ValueError:
        raise ExtensionConfigError(
            f"OpenTelemetryExtension: {METRIC_INTERVAL_SETTING}={raw!r} is not a positive "
            "number of milliseconds"
        ) from None


NO_EXPORTER_MESSAGE = (
    "OpenTelemetryExtension has nowhere to send telemetry. For Application Insights, set the "
    f"app setting {CONNECTION_STRING_SETTING} (and install the [azure] extra); for any "
    f"OTLP backend set {OTLP_ENDPOINT_SETTING} (and install the [otlp] extra); or call "
    'OpenTelemetryExtension.configure(exporter="console") or exporter="jsonl" to keep it '
    'on this machine, or exporter="none".'
)


def sends_like_the_worker(
    connection_string: Optional[str], environ: Mapping[str, str], provider_configured: bool
) -> bool:
    """Whether the worker's own mode already exports to this Application Insights resource.

    With ``PYTHON_ENABLE_OPENTELEMETRY`` on, the worker configured the Azure Monitor distro
    with the ``APPLICATIONINSIGHTS_CONNECTION_STRING`` app setting before the app loaded, and
    its provider is the one we reuse: exporting to the same resource ourselves too would
    send every span twice.
    """
    return (
        provider_configured
        and worker_mode_on(environ)
        and bool(connection_string)
        and connection_string == environ.get(CONNECTION_STRING_SETTING)
    )


def choose_exporter(
    settings: Mapping[str, Any],
    connection_string: Optional[str],
    otlp_endpoint: Optional[str],
    environ: Mapping[str, str],
    provider_configured: bool,
) -> Any:
    """The exporter to build: the one chosen, else the one the environment points at.

    When the worker (or the app) has already configured a tracer provider and nothing is
    chosen, the answer is ``"none"``: we add to that provider and export nothing ourselves.
    So it is for ``"azure_monitor"`` to the resource the worker's mode already sends to.
    """
    chosen = settings["exporter"]
    if chosen == "azure_monitor" and not connection_string:
        raise ExtensionConfigError(
            "OpenTelemetryExtension: exporter='azure_monitor' needs a connection string; "
            f"set the app setting {CONNECTION_STRING_SETTING} or pass "
            "connection_string='InstrumentationKey=...;IngestionEndpoint=...'"
        )
    if chosen is not None:
        if chosen == "azure_monitor" and sends_like_the_worker(
            connection_string, environ, provider_configured
        ):
            return "none"
        return chosen
    if provider_configured:
        return "none"
    if connection_string:
        return "azure_monitor"
    if otlp_endpoint or environ.get(OTLP_TRACES_ENDPOINT_SETTING):
        return "otlp"
    raise ExtensionConfigError(NO_EXPORTER_MESSAGE)


def build_plan(
    settings: Mapping[str, Any],
    provider_configured: bool,
    environ: Optional[Mapping[str, str]] = None,
) -> Plan:
    """Options and standard variables combined; raises ``ExtensionConfigError`` naming the fix."""
    env = os.environ if environ is None else environ
    connection_string = settings["connection_string"] or env.get(CONNECTION_STRING_SETTING) or None
    otlp_endpoint = settings["otlp_endpoint"] or env.get(OTLP_ENDPOINT_SETTING) or None
    worker_mode = worker_mode_on(env)
    ratio = settings["sampling_ratio"]
    mode = settings["invocation_span"]
    exporter = choose_exporter(settings, connection_string, otlp_endpoint, env, provider_configured)
    return Plan(
        exporter=exporter,
        connection_string=connection_string,
        otlp_endpoint=otlp_endpoint,
        service_name=(
            settings["service_name"]
            or env.get(SERVICE_NAME_SETTING, "").strip()
            or env.get(SITE_NAME_SETTING, "").strip()
            or DEFAULT_SERVICE_NAME
        ),
        sampling_ratio=ratio if ratio is not None else sampling_ratio_from_environment(env),
        invocation_span=mode == "always" or (mode == "auto" and not worker_mode),
        metrics=settings["metrics"],
        export_logs=settings["export_logs"],
        instrumentations=settings["instrumentations"],
        jsonl_path=settings["jsonl_path"],
        redact_names=frozenset(settings["redact_names"]),
        queue_size=settings["queue_size"],
        metric_export_interval=_metric_interval(settings, env),
        worker_mode=worker_mode,
        azure_monitor_options=dict(settings["azure_monitor_options"] or {}),
        record_headers=settings["record_headers"],
        metric_exporter=settings["metric_exporter"],
        left_to_worker=settings["exporter"] == "azure_monitor" and exporter == "none",
    )
