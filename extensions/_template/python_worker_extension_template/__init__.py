"""Template extension for Azure Functions Python apps: one log line per invocation.

Copy ``extensions/_template`` to start a new extension (see ``extensions/README.md``).
"""

from .extension import LOGGER_NAME, TemplateExtension
from .options import APP_SETTING_PREFIX
from .version import VERSION

__version__ = VERSION

__all__ = [
    "APP_SETTING_PREFIX",
    "LOGGER_NAME",
    "TemplateExtension",
    "__version__",
]
