"""Python Worker Extensions framework: dispatcher, extension base class and helpers."""

from .base import Invocation, WorkerExtension
from .chain import ChainEntry, format_hook_chain, hook_chain
from .context import InvocationContext, RetryContext, RpcException, TraceContext
from .dispatch import Dispatcher, HookCall, HookTrace
from .errors import (
    ExtensionConfigError,
    ExtensionDefinitionWarning,
    OptionTypeError,
    OptionValueError,
    UnknownOptionError,
)
from .gating import extensions_enabled
from .options import Option, Settings
from .version import VERSION
from .wrapper import ExtensionsFunctionApp, is_wrapped, with_extensions, wrap_app

__version__ = VERSION

__all__ = [
    "ChainEntry",
    "Dispatcher",
    "ExtensionConfigError",
    "ExtensionDefinitionWarning",
    "ExtensionsFunctionApp",
    "HookCall",
    "HookTrace",
    "Invocation",
    "InvocationContext",
    "Option",
    "OptionTypeError",
    "OptionValueError",
    "RetryContext",
    "RpcException",
    "Settings",
    "TraceContext",
    "UnknownOptionError",
    "WorkerExtension",
    "__version__",
    "extensions_enabled",
    "format_hook_chain",
    "hook_chain",
    "is_wrapped",
    "with_extensions",
    "wrap_app",
]
