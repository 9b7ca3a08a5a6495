"""Retry-context extension for Azure Functions Python apps: which attempt an invocation is,
in a typed read-only object, in the logs, and in callbacks for retries and final failures."""

from .extension import LOGGER_NAME, RetryContextExtension
from .info import FailureInfo, RetryInfo, failure_info_from, retry_info_from
from .options import APP_SETTING_PREFIX
from .version import VERSION

__version__ = VERSION

__all__ = [
    "APP_SETTING_PREFIX",
    "LOGGER_NAME",
    "FailureInfo",
    "RetryContextExtension",
    "RetryInfo",
    "__version__",
    "failure_info_from",
    "retry_info_from",
]
