"""Request logging for Azure Functions Python apps: one safe, structured record per invocation."""

# The framework's built-in secret names (one list for every output). The two older names
# are kept for code written against earlier releases; both are now the whole list.
from python_worker_extension_framework.toolkit.redaction import (
    BUILTIN_FRAGMENTS,
    BUILTIN_NAMES,
    NAME_CLASSES,
    REDACTED,
)
from python_worker_extension_framework.toolkit.redaction import (
    BUILTIN_FRAGMENTS as SECRET_FRAGMENTS,
)
from python_worker_extension_framework.toolkit.redaction import (
    BUILTIN_NAMES as BUILTIN_HEADER_NAMES,
)
from python_worker_extension_framework.toolkit.redaction import (
    BUILTIN_NAMES as BUILTIN_QUERY_NAMES,
)

from .extension import LOGGER_NAME, RECORD_ATTRIBUTE, RequestLoggingExtension
from .options import APP_SETTING_PREFIX
from .record import ATTEMPT_KEY, OPTIONAL_KEYS, RECORD_KEYS
from .version import VERSION

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
