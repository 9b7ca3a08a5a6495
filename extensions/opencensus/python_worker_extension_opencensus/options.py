"""The extension's options, their checks, and the ``Plan`` compiled from them.

Two kinds of options: our own (exporter choice, sampling, cloud role, ...), each with an
app-setting fallback, and the keyword options of ``opencensus.ext.azure``'s
``AzureExporter``, which the original extension passed straight through. We accept those
by their exact names (read from the installed ``opencensus-ext-azure``, so a newer release's
options are accepted too) and hand them to ``AzureExporter`` unchanged; any other name is
rejected by ``configure()`` with the list of known names, instead of being ignored the way
``AzureExporter(**options)`` ignores a typo.

Our own options read the app setting ``PYTHON_WORKER_EXTENSION_OPENCENSUS_`` plus the
option's name in capitals; the connection string and the cloud role also read the
platform's own settings (``APPLICATIONINSIGHTS_CONNECTION_STRING``, ``WEBSITE_SITE_NAME``)
when ours is not set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Mapping, Optional, Tuple

from opencensus.ext.azure.common import Options as _AzureOptions
from python_worker_extension_framework.toolkit import (
    ExtensionConfigError,
    Option,
    TypeSpec,
    redaction,
)

APP_SETTING_PREFIX = "PYTHON_WORKER_EXTENSION_OPENCENSUS_"
CONNECTION_STRING_SETTING = "APPLICATIONINSIGHTS_CONNECTION_STRING"
INSTRUMENTATION_KEY_SETTING = "APPINSIGHTS_INSTRUMENTATIONKEY"
SITE_NAME_SETTING = "WEBSITE_SITE_NAME"
EXPORTER_SETTING = APP_SETTING_PREFIX + "EXPORTER"

EXPORTER_NAMES = ("azure", "jsonl", "console", "none")
DEFAULT_JSONL_PATH = "opencensus-spans.jsonl"
DEFAULT_QUEUE_CAPACITY = 8192

# AzureExporter's keyword options and their defaults, as the installed release declares them.
_AZURE_DEFAULTS: Dict[str, Any] = dict(_AzureOptions._default)
# Options of ours that AzureExporter also understands: we validate them, then pass them on.
_SHARED_WITH_AZURE = ("connection_string", "queue_capacity")
AZURE_EXPORTER_OPTIONS: Tuple[str, ...] = tuple(
    sorted(name for name in _AZURE_DEFAULTS if name not in _SHARED_WITH_AZURE)
)


def _app_setting(option_name: str) -> str:
    return APP_SETTING_PREFIX + option_name.upper()


def _exporter(value: Any) -> Any:
    if isinstance(value, str):
        name = value.strip().lower()
        if name not in EXPORTER_NAMES:
            raise ValueError(
                f"use one of {', '.join(map(repr, EXPORTER_NAMES))}, or an opencensus "
                "exporter object (one with an export(span_datas) method)"
            )
        return name
    if not callable(getattr(value, "export", None)):
        raise ValueError(
            "an exporter object needs an export(span_datas) method, like the exporters "
            "in opencensus.trace (or use 'azure', 'jsonl', 'console' or 'none')"
        )
    return value


def _rate(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError("use a fraction from 0.0 (record no new trace) to 1.0 (record all)")
    return float(value)


def _positive(value: int) -> int:
    if value <= 0:
        raise ValueError("use a whole number greater than 0")
    return value


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("use a non-empty string")
    return value


def _names(value: Any) -> FrozenSet[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    bad = [item for item in items if not isinstance(item, str)]
    if bad:
        raise ValueError(f"every name must be a string, got {bad[0]!r}")
    return frozenset(item.strip().lower() for item in items if item.strip())


def _patterns(value: Any) -> Tuple[str, ...]:
    # A string is one pattern (a comma is common inside one: ``{20,}``); join several
    # with ``|``.
    patterns = (value,) if isinstance(value, str) else tuple(value)
    redaction.compile_patterns(patterns)  # raises ValueError naming the bad pattern
    return tuple(p if isinstance(p, str) else p.pattern for p in patterns)


OWN_OPTIONS = (
    Option(
        "connection_string",
        str,
        None,
        env=_app_setting("connection_string"),
        aliases=(CONNECTION_STRING_SETTING,),
        doc="Application Insights connection string for the Azure Monitor exporter.",
        check=_non_empty,
    ),
    Option(
        "exporter",
        (str, object),
        None,
        env=EXPORTER_SETTING,
        doc="Where spans go: 'azure', 'jsonl', 'console', 'none' or an exporter object; "
        "by default 'azure' when a connection string is set.",
        check=_exporter,
    ),
    Option(
        "jsonl_path",
        str,
        DEFAULT_JSONL_PATH,
        env=_app_setting("jsonl_path"),
        doc="The file the 'jsonl' exporter appends one JSON object per span to.",
        check=_non_empty,
    ),
    Option(
        "sampling_rate",
        float,
        1.0,
        env=_app_setting("sampling_rate"),
        doc="Fraction of new traces recorded; a caller's sampled flag always records.",
        check=_rate,
    ),
    Option(
        "honor_unsampled_parent",
        bool,
        False,
        env=_app_setting("honor_unsampled_parent"),
        doc="Also follow a caller's not-sampled flag: never record those invocations.",
    ),
    Option(
        "cloud_role_name",
        str,
        None,
        env=_app_setting("cloud_role_name"),
        aliases=(SITE_NAME_SETTING,),
        doc="The cloud role (Application Map node); the function app's name by default.",
        check=_non_empty,
    ),
    Option(
        "trace_requests",
        bool,
        True,
        env=_app_setting("trace_requests"),
        doc="Trace and propagate outgoing calls made with requests (opencensus-ext-requests).",
    ),
    Option(
        "redact_query_params",
        (str, tuple, list, frozenset, set),
        (),
        env=_app_setting("redact_query_params"),
        doc="More names whose values are masked in spans (http.url and attributes).",
        check=_names,
    ),
    Option(
        "redact_patterns",
        (str, tuple, list),
        (),
        env=_app_setting("redact_patterns"),
        doc="Regular expressions of secret values, masked wherever they appear in spans.",
        check=_patterns,
    ),
    Option(
        "queue_capacity",
        int,
        DEFAULT_QUEUE_CAPACITY,
        env=_app_setting("queue_capacity"),
        doc="Spans waiting for export at most; beyond it new spans are dropped and counted.",
        check=_positive,
    ),
)


def _azure_kind(name: str) -> TypeSpec:
    """The type an ``AzureExporter`` option takes, from its default there (any type when
    the default is None; a number where the default is a number)."""
    default = _AZURE_DEFAULTS.get(name)
    if isinstance(default, bool):
        return bool
    if isinstance(default, (int, float)):
        return (int, float)
    if isinstance(default, str):
        return str
    return object


AZURE_OPTIONS = tuple(
    Option(
        name,
        _azure_kind(name),
        None,
        doc="Passed to opencensus.ext.azure AzureExporter unchanged.",
    )
    for name in AZURE_EXPORTER_OPTIONS
)

OPTIONS = OWN_OPTIONS + AZURE_OPTIONS


@dataclass(frozen=True)
class Plan:
    """The settings in the form the hooks use them, built once per ``configure()``."""

    exporter: Any = "none"  # a name from EXPORTER_NAMES or an exporter object
    connection_string: Optional[str] = None
    jsonl_path: str = DEFAULT_JSONL_PATH
    sampling_rate: float = 1.0
    honor_unsampled_parent: bool = False
    cloud_role_name: Optional[str] = None
    trace_requests: bool = True
    queue_capacity: int = DEFAULT_QUEUE_CAPACITY
    redactor: redaction.Redactor = redaction.DEFAULT
    azure_options: Tuple[Tuple[str, Any], ...] = ()
    # Trace ids whose lower 64 bits are below this are recorded (see ``propagation``);
    # computed once here, not per invocation.
    sample_bound: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sample_bound", int(self.sampling_rate * (1 << 64)))

    def azure_exporter_options(self) -> Dict[str, Any]:
        options = dict(self.azure_options)
        if self.connection_string is not None:
            options["connection_string"] = self.connection_string
        options["queue_capacity"] = self.queue_capacity
        return options

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Plan:
        """Raises ``ExtensionConfigError`` when the settings name nowhere to send spans."""
        return cls(
            exporter=choose_exporter(settings),
            connection_string=settings["connection_string"],
            jsonl_path=settings["jsonl_path"],
            sampling_rate=settings["sampling_rate"],
            honor_unsampled_parent=settings["honor_unsampled_parent"],
            cloud_role_name=settings["cloud_role_name"],
            trace_requests=settings["trace_requests"],
            queue_capacity=settings["queue_capacity"],
            redactor=redaction.Redactor(
                settings["redact_query_params"], settings["redact_patterns"]
            ),
            azure_options=tuple(
                (name, settings[name])
                for name in AZURE_EXPORTER_OPTIONS
                if settings[name] is not None
            ),
        )


NO_EXPORTER_MESSAGE = (
    "OpenCensusExtension has nowhere to send spans. To send them to Application Insights, "
    f"set the app setting {CONNECTION_STRING_SETTING} (in Azure: the function app's "
    'application settings; locally: "Values" in local.settings.json), or call '
    'OpenCensusExtension.configure(connection_string="InstrumentationKey=...;'
    'IngestionEndpoint=..."). To keep them on this machine instead, call '
    'OpenCensusExtension.configure(exporter="jsonl") (appends to '
    f"{DEFAULT_JSONL_PATH}; choose the file with jsonl_path=...) or "
    'configure(exporter="console"), or set the app setting '
    f"{EXPORTER_SETTING}=jsonl (or console)."
)
AZURE_NEEDS_CONNECTION_MESSAGE = (
    "OpenCensusExtension: exporter='azure' needs a connection string. Set the app setting "
    f"{CONNECTION_STRING_SETTING} (in Azure: the function app's application settings; "
    'locally: "Values" in local.settings.json), or call OpenCensusExtension.configure('
    'connection_string="InstrumentationKey=...;IngestionEndpoint=..."). For local runs '
    'without Application Insights use exporter="jsonl" or exporter="console".'
)


def choose_exporter(
    settings: Mapping[str, Any], environ: Optional[Mapping[str, str]] = None
) -> Any:
    """The exporter to build: the one chosen, else ``'azure'`` when a connection string
    (or instrumentation key) is set; raises ``ExtensionConfigError`` saying what to set."""
    env = os.environ if environ is None else environ
    has_connection = bool(
        settings["connection_string"]
        or settings["instrumentation_key"]
        or env.get(INSTRUMENTATION_KEY_SETTING)
    )
    chosen = settings["exporter"]
    if chosen is None:
        if has_connection:
            return "azure"
        raise ExtensionConfigError(NO_EXPORTER_MESSAGE)
    if chosen == "azure" and not has_connection:
        raise ExtensionConfigError(AZURE_NEEDS_CONNECTION_MESSAGE)
    return chosen
