"""Python Worker Extensions framework: the hook core, the extension author's toolkit, the
in-function wrapper, retry policies, the local host and the pytest harness.

Subpackages: ``core`` (hooks, registry view, gating, the call loop), ``toolkit`` (what an
extension imports), ``wrapper`` (extensions from inside the function), ``retry_policy``,
``host`` (``funcext start``) and ``testing`` (the pytest harness).
"""

from typing import TYPE_CHECKING, Any

from .core import (
    ChainEntry,
    Dispatcher,
    HookCall,
    HookTrace,
    InvocationContext,
    RetryContext,
    RpcException,
    TraceContext,
    extensions_enabled,
    format_hook_chain,
    hook_chain,
)
from .errors import (
    ExtensionConfigError,
    ExtensionDefinitionWarning,
    OptionTypeError,
    OptionValueError,
    UnknownOptionError,
)
from .toolkit import Invocation, Option, Settings, WorkerExtension, http, traceparent
from .version import VERSION

if TYPE_CHECKING:
    from .wrapper import ExtensionsFunctionApp, is_wrapped, with_extensions, wrap_app

__version__ = VERSION

# The wrapper (and wrapt under it) loads when an app first asks for one of its names: the
# local host and an app that does not wrap its functions never need it.
_WRAPPER_NAMES = frozenset({"ExtensionsFunctionApp", "is_wrapped", "with_extensions", "wrap_app"})


def __getattr__(name: str) -> Any:
    if name in _WRAPPER_NAMES:
        from . import wrapper

        value = getattr(wrapper, name)
        globals()[name] = value  # found directly from now on
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    "http",
    "is_wrapped",
    "traceparent",
    "with_extensions",
    "wrap_app",
]
