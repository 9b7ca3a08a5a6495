"""A view of the worker's extension registry, ``azure.functions.ExtensionMeta``.

The framework never keeps a registry of its own: reading ``ExtensionMeta`` means any
extension, ours or a third party's, is seen exactly as the worker sees it. The view also
finds the framework's error hooks, which ``ExtensionMeta`` does not collect, on the same
registered classes and instances. It writes to the registry in one case only: tests
snapshot, clear and restore the process-global registry so they stay isolated.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, NamedTuple, Sequence

from azure.functions import ExtensionMeta

from .hooks import (
    INVOCATION_ERROR,
    INVOCATION_ERROR_APP,
    PRE_INVOCATION,
    PRE_INVOCATION_APP,
)


class HookImpl(NamedTuple):
    """One registered implementation of a hook, shaped like the SDK's ``ExtensionHookMeta``."""

    ext_name: str
    ext_impl: Callable[..., Any]


def _hook_list(hooks: Any, hook_name: str) -> Sequence[HookImpl]:
    if hooks is None:
        return ()
    return getattr(hooks, hook_name, ())


def app_hooks(hook_name: str) -> Sequence[HookImpl]:
    """The app-level implementations of ``hook_name``, in registration order."""
    return _hook_list(ExtensionMeta.get_application_hooks(), hook_name)


def function_hooks(function_name: str, hook_name: str) -> Sequence[HookImpl]:
    """The function-level implementations of ``hook_name`` for a function (case-insensitive)."""
    return _hook_list(ExtensionMeta.get_function_hooks(function_name), hook_name)


def app_extensions() -> List[type]:
    """The registered app-level extension classes, in registration order."""
    return [impl.ext_impl.__self__ for impl in app_hooks(PRE_INVOCATION_APP.name)]  # type: ignore[attr-defined]


def function_extensions(function_name: str) -> List[Any]:
    """The function-level extension instances registered for a function."""
    return [impl.ext_impl.__self__ for impl in function_hooks(function_name, PRE_INVOCATION.name)]  # type: ignore[attr-defined]


def _error_impls(owners: Sequence[Any], hook_name: str) -> List[HookImpl]:
    found = []
    for owner in owners:
        impl = getattr(owner, hook_name, None)
        if callable(impl):
            name = owner.__name__ if isinstance(owner, type) else type(owner).__name__
            found.append(HookImpl(name, impl))
    return found


def app_error_hooks() -> List[HookImpl]:
    """App-level implementations of the framework's error hook, in registration order."""
    return _error_impls(app_extensions(), INVOCATION_ERROR_APP.name)


def function_error_hooks(function_name: str) -> List[HookImpl]:
    """Function-level implementations of the framework's error hook for a function."""
    return _error_impls(function_extensions(function_name), INVOCATION_ERROR.name)


@dataclass
class RegistrySnapshot:
    """A copy of ``ExtensionMeta``'s global state, to put back after a test."""

    func_exts: Dict[str, Any]
    app_exts: Any
    info: Dict[str, Any]

    def restore(self) -> None:
        """Make the registry exactly what it was when the snapshot was taken."""
        ExtensionMeta._func_exts = copy.copy(self.func_exts)
        ExtensionMeta._app_exts = _copy_hooks(self.app_exts)
        ExtensionMeta._info = copy.deepcopy(self.info)


def _copy_hooks(hooks: Any) -> Any:
    if hooks is None:
        return None
    return type(hooks)(*(list(values) for values in hooks))


def snapshot_registry() -> RegistrySnapshot:
    """Capture the registry (hook lists are copied, so later registrations do not leak in)."""
    return RegistrySnapshot(
        func_exts={name: _copy_hooks(hooks) for name, hooks in ExtensionMeta._func_exts.items()},
        app_exts=_copy_hooks(ExtensionMeta._app_exts),
        info=copy.deepcopy(ExtensionMeta._info),
    )


def clear_registry() -> None:
    """Empty the registry (tests only: the worker's registry is never cleared)."""
    ExtensionMeta._func_exts = {}
    ExtensionMeta._app_exts = None
    ExtensionMeta._info = {}
