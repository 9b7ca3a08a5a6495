"""Calls extension hooks the way the real Python worker 4.x does, for benchmarks.

The framework's ``Dispatcher`` reproduces the worker's *behaviour*; what an extension costs
a user, though, is measured on the worker's own call path, which does more per invocation:

- the feature flag ``PYTHON_ENABLE_WORKER_EXTENSIONS`` is read from the environment for
  every hook call (the worker wraps each call in a feature-flag check);
- each of the four invocation hook calls looks up the function's hook list *and* the app's
  hook list in ``ExtensionMeta``, and walks the one that has the hook name;
- for every hook implementation it looks up the logger
  ``azure_functions_worker.extension.<ExtName>`` with ``logging.getLogger`` (which takes the
  logging module's lock) before calling the hook with positional arguments;
- a hook's exception is logged with ``ext_logger.error(exc, exc_info=True)`` and swallowed;
- if the function raises, no post hook runs and the exception propagates;
- an ``async def`` function is awaited on the event loop with its hooks inline there.

This module follows those facts of worker 4.34's ``ExtensionManager``; it is not the
worker's code, which is not published on PyPI for this worker line.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Awaitable, Callable, Dict, Optional

from azure.functions import ExtensionMeta

SETTING = "PYTHON_ENABLE_WORKER_EXTENSIONS"
_TRUE_LIKE = ("1", "true", "t", "yes", "y")
_PRE_HOOKS = ("pre_invocation", "pre_invocation_app_level")
_POST_HOOKS = ("post_invocation", "post_invocation_app_level")


def _flag_on(default_on: bool) -> bool:
    """The worker's flag check: true-like value, or unset with a default of on (3.9)."""
    if os.getenv(SETTING) is not None and os.environ[SETTING].lower().strip() in _TRUE_LIKE:
        return True
    return default_on and os.getenv(SETTING) is None


class WorkerCaller:
    """``invoke(context, function, func_args)`` as the worker's sync invocation wrapper,
    ``invoke_async`` as its path for ``async def`` functions."""

    def __init__(self, default_on: bool = False) -> None:
        self._default_on = default_on

    def invoke(self, context: Any, function: Callable[..., Any], func_args: Dict[str, Any]) -> Any:
        self._pre(context, func_args)
        result = function(**func_args)
        self._post(context, func_args, result)
        return result

    async def invoke_async(
        self, context: Any, function: Callable[..., Awaitable[Any]], func_args: Dict[str, Any]
    ) -> Any:
        self._pre(context, func_args)
        result = await function(**func_args)
        self._post(context, func_args, result)
        return result

    def _pre(self, context: Any, func_args: Dict[str, Any]) -> None:
        self._run(context, "pre_invocation_app_level", func_args)
        self._run(context, "pre_invocation", func_args)

    def _post(self, context: Any, func_args: Dict[str, Any], result: Any) -> None:
        self._run(context, "post_invocation", func_args, result)
        self._run(context, "post_invocation_app_level", func_args, result)

    def _run(self, context: Any, hook_name: str, func_args: Any, func_ret: Any = None) -> None:
        if not _flag_on(self._default_on):
            return
        functions = ExtensionMeta.get_function_hooks(context.function_name)
        _call(functions, hook_name, context, func_args, func_ret)
        apps = ExtensionMeta.get_application_hooks()
        _call(apps, hook_name, context, func_args, func_ret)


def _call(
    hooks: Optional[Any], hook_name: str, context: Any, func_args: Any, func_ret: Any
) -> None:
    if not hooks:
        return
    for hook_meta in getattr(hooks, hook_name, []):
        ext_logger = logging.getLogger(f"azure_functions_worker.extension.{hook_meta.ext_name}")
        try:
            if hook_name in _PRE_HOOKS:
                hook_meta.ext_impl(ext_logger, context, func_args)
            elif hook_name in _POST_HOOKS:
                hook_meta.ext_impl(ext_logger, context, func_args, func_ret)
        except Exception as exc:
            ext_logger.error(exc, exc_info=True)
