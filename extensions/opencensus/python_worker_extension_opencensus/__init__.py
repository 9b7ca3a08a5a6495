"""OpenCensus tracing for Azure Functions Python apps, a drop-in for
``opencensus-extension-azure-functions`` (``OpenCensusExtension.configure()``,
``context.tracer``)."""

from .attributes import FAAS_RETRY_ATTEMPT, REDACTED, SECRET_QUERY_NAMES
from .exporters import (
    LOGGER_NAME,
    CapturingExporter,
    JsonLinesExporter,
    NoopExporter,
    span_record,
)
from .extension import OpenCensusExtension
from .options import (
    APP_SETTING_PREFIX,
    AZURE_EXPORTER_OPTIONS,
    DEFAULT_JSONL_PATH,
    EXPORTER_NAMES,
)
from .tracing import InvocationTracer
from .version import VERSION

__version__ = VERSION

__all__ = [
    "APP_SETTING_PREFIX",
    "AZURE_EXPORTER_OPTIONS",
    "DEFAULT_JSONL_PATH",
    "EXPORTER_NAMES",
    "FAAS_RETRY_ATTEMPT",
    "LOGGER_NAME",
    "REDACTED",
    "SECRET_QUERY_NAMES",
    "CapturingExporter",
    "InvocationTracer",
    "JsonLinesExporter",
    "NoopExporter",
    "OpenCensusExtension",
    "__version__",
    "span_record",
]
