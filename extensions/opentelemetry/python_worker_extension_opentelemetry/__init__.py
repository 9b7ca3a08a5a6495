"""OpenTelemetry for Azure Functions Python apps: an invocation span per invocation that
continues the host's trace, FaaS metrics, log correlation and outgoing propagation,
exported to Azure Monitor, OTLP, the console, a local file or any exporter."""

from .attributes import FAAS_RETRY_ATTEMPT, FAAS_RETRY_MAX
from .exporters import (
    LOGGER_NAME,
    FailureLog,
    JsonLinesSpanExporter,
    NoopSpanExporter,
    span_record,
)
from .extension import OpenTelemetryExtension
from .options import (
    APP_SETTING_PREFIX,
    DEFAULT_JSONL_PATH,
    EXPORTER_NAMES,
    INSTRUMENTATION_NAMES,
    INVOCATION_SPAN_MODES,
)
from .version import VERSION

__version__ = VERSION

__all__ = [
    "APP_SETTING_PREFIX",
    "DEFAULT_JSONL_PATH",
    "EXPORTER_NAMES",
    "FAAS_RETRY_ATTEMPT",
    "FAAS_RETRY_MAX",
    "INSTRUMENTATION_NAMES",
    "INVOCATION_SPAN_MODES",
    "LOGGER_NAME",
    "FailureLog",
    "JsonLinesSpanExporter",
    "NoopSpanExporter",
    "OpenTelemetryExtension",
    "__version__",
    "span_record",
]
