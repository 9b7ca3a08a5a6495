"""Timer extension for Azure Functions Python apps: how long each invocation took."""

from .extension import LOGGER_NAME, TimerExtension
from .options import APP_SETTING_PREFIX, DEFAULT_SERVER_TIMING_METRIC
from .response import ELAPSED_HEADER, SERVER_TIMING_HEADER
from .version import VERSION

__version__ = VERSION

__all__ = [
    "APP_SETTING_PREFIX",
    "DEFAULT_SERVER_TIMING_METRIC",
    "ELAPSED_HEADER",
    "LOGGER_NAME",
    "SERVER_TIMING_HEADER",
    "TimerExtension",
    "__version__",
]
