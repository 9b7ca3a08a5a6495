"""The hook names, declared once, with the positional arguments each receives.

The first six are the worker's own (``azure.functions`` ``AppExtensionHooks`` and
``FuncExtensionHooks``). The two error hooks are ours: the worker never calls them;
the framework's dispatcher (with ``error_phase=True``) and the in-function wrapper do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple


@dataclass(frozen=True)
class HookSpec:
    """One hook: its name, scope and the positional arguments it is called with."""

    name: str
    app_level: bool
    arguments: Tuple[str, ...]
    worker_calls_it: bool = True


POST_FUNCTION_LOAD = HookSpec("post_function_load", False, ("function_name", "function_directory"))
POST_FUNCTION_LOAD_APP = HookSpec(
    "post_function_load_app_level", True, ("function_name", "function_directory")
)
PRE_INVOCATION = HookSpec("pre_invocation", False, ("logger", "context", "func_args"))
PRE_INVOCATION_APP = HookSpec("pre_invocation_app_level", True, ("logger", "context", "func_args"))
POST_INVOCATION = HookSpec("post_invocation", False, ("logger", "context", "func_args", "func_ret"))
POST_INVOCATION_APP = HookSpec(
    "post_invocation_app_level", True, ("logger", "context", "func_args", "func_ret")
)
INVOCATION_ERROR = HookSpec(
    "on_invocation_error",
    False,
    ("logger", "context", "func_args", "exception"),
    worker_calls_it=False,
)
INVOCATION_ERROR_APP = HookSpec(
    "on_invocation_error_app_level",
    True,
    ("logger", "context", "func_args", "exception"),
    worker_calls_it=False,
)

ALL_HOOKS: Tuple[HookSpec, ...] = (
    POST_FUNCTION_LOAD,
    POST_FUNCTION_LOAD_APP,
    PRE_INVOCATION,
    PRE_INVOCATION_APP,
    POST_INVOCATION,
    POST_INVOCATION_APP,
    INVOCATION_ERROR,
    INVOCATION_ERROR_APP,
)
HOOKS_BY_NAME = {spec.name: spec for spec in ALL_HOOKS}
APP_HOOKS: Tuple[HookSpec, ...] = tuple(s for s in ALL_HOOKS if s.app_level)
FUNCTION_HOOKS: Tuple[HookSpec, ...] = tuple(s for s in ALL_HOOKS if not s.app_level)

# The worker's logger names: hook loggers live under it and are sent to the host as
# *system* logs, which is why customer-facing output uses an extension's own logger.
WORKER_LOGGER_PREFIX = "azure_functions_worker"


def worker_extension_logger_name(extension_name: str) -> str:
    """The logger name the worker passes to an extension's invocation hooks."""
    return f"{WORKER_LOGGER_PREFIX}.extension.{extension_name}"
