"""Request logging for Azure Functions Python apps: one safe, structured record per invocation."""

from .extension import LOGGER_NAME, RECORD_ATTRIBUTE, RequestLoggingExtension
from .options import APP_SETTING_PREFIX
from .record import ATTEMPT_KEY, OPTIONAL_KEYS, RECORD_KEYS
from .redaction import BUILTIN_HEADER_NAMES, BUILTIN_QUERY_NAMES, REDACTED, SECRET_FRAGMENTS
from .version import VERSION

__version__ = VERSION

__all__ = [
    "APP_SETTING_PREFIX",
    "ATTEMPT_KEY",
    "BUILTIN_HEADER_NAMES",
    "BUILTIN_QUERY_NAMES",
    "LOGGER_NAME",
    "OPTIONAL_KEYS",
    "RECORD_ATTRIBUTE",
    "RECORD_KEYS",
    "REDACTED",
    "SECRET_FRAGMENTS",
    "RequestLoggingExtension",
    "__version__",
]
