"""The hook core: the worker's hooks, its registry, its gating rule, and the one call loop.

Everything here behaves as the Python worker does unless a caller asks for more (the error
phase, ungated chains for the wrapper). Modules starting with ``_`` are private.
"""

from ._chain import ChainEntry, format_hook_chain, hook_chain
from ._dispatch import Dispatcher, HookCall, HookTrace, is_async_function
from ._record import InvocationRecord
from .context import InvocationContext, RetryContext, RpcException, TraceContext
from .gating import SETTING, extensions_enabled

__all__ = [
    "SETTING",
    "ChainEntry",
    "Dispatcher",
    "HookCall",
    "HookTrace",
    "InvocationContext",
    "InvocationRecord",
    "RetryContext",
    "RpcException",
    "TraceContext",
    "extensions_enabled",
    "format_hook_chain",
    "hook_chain",
    "is_async_function",
]
