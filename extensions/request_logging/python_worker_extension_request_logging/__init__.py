"""Request logging for Azure Functions Python apps: one safe, structured record per invocation."""

from python_worker_extension_framework.toolkit.redaction import (
    BUILTIN_FRAGMENTS,
    BUILTIN_NAMES,
    NAME_CLASSES,
    REDACTED,
)

from .extension import LOGGER_NAME, RECORD_ATTRIBUTE, RequestLoggingExtension
from .options import APP_SETTING_PREFIX
from .record import ATTEMPT_KEY, OPTIONAL_KEYS, RECORD_KEYS
from .version import VERSION

# The framework's built-in secret names (one list for every output). The two older names
# are kept for code written against earlier releases; both are now the whole list.
BUILTIN_QUERY_NAMES = BUILTIN_NAMES
BUILTIN_HEADER_NAMES = BUILTIN_NAMES
SECRET_FRAGMENTS = BUILTIN_FRAGMENTS

__version__ = VERSION

__all__ = [
    "APP_SETTING_PREFIX",
    "ATTEMPT_KEY",
    "BUILTIN_FRAGMENTS",
    "BUILTIN_HEADER_NAMES",
    "BUILTIN_NAMES",
    "BUILTIN_QUERY_NAMES",
    "LOGGER_NAME",
    "NAME_CLASSES",
    "OPTIONAL_KEYS",
    "RECORD_ATTRIBUTE",
    "RECORD_KEYS",
    "REDACTED",
    "SECRET_FRAGMENTS",
    "RequestLoggingExtension",
    "__version__",
]
