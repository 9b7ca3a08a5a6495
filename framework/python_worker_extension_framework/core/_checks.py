"""Registration-time checks of an extension class: mistakes the worker would hide.

The worker calls hooks without awaiting them, with fixed positional arguments, and only
by their exact names, so an ``async def`` hook, a hook that cannot take those arguments,
or a misspelled hook name silently does nothing in Azure. ``WorkerExtension``'s metaclass
runs these checks when a subclass is defined, so the mistake is named at import.
``problems_of`` also takes any other extension class, for tools that inspect an app.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any, List, Sequence

from azure.functions import AppExtensionBase, FuncExtensionBase

from ..errors import ExtensionDefinitionWarning
from .hooks import ALL_HOOKS, APP_HOOKS, FUNCTION_HOOKS, HookSpec

_SDK_BASES = (AppExtensionBase, FuncExtensionBase, object)
_ALL_NAMES = [spec.name for spec in ALL_HOOKS]
_MISSPELLING_CUTOFF = 0.85


def _may_be_misspelt(name: str, hook_names: List[str]) -> bool:
    """Whether ``difflib.get_close_matches`` could find ``name`` close to a hook name: a
    similarity ratio is at most 2 * shorter / (both lengths), difflib's own first filter
    (``real_quick_ratio``), so a name of very different length (``current``, ``flush``)
    needs no difflib at all, which then never loads for most extensions."""
    return any(
        2.0 * min(len(name), len(hook)) / (len(name) + len(hook)) >= _MISSPELLING_CUTOFF
        for hook in hook_names
    )


def _own_attributes(cls: type, stop_at: Sequence[type]) -> dict[str, Any]:
    """Attributes defined by ``cls`` and its bases, excluding the SDK and framework bases."""
    found: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass in _SDK_BASES or klass in stop_at:
            continue
        found.update(vars(klass))
    return found


def _underlying(attribute: Any) -> Any:
    if isinstance(attribute, (classmethod, staticmethod)):
        return attribute.__func__
    return attribute


def _can_take(function: Any, spec: HookSpec, bound: bool) -> bool:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return True  # not introspectable (a C function): give it the benefit of the doubt
    extra = () if not bound else ("self",)
    try:
        signature.bind(*extra, *(None for _ in spec.arguments))
    except TypeError:
        return False
    return True


def problems_of(cls: type, framework_bases: Sequence[type] = ()) -> List[str]:
    """Human-readable problems with an extension class; empty when it is fine."""
    is_app = issubclass(cls, AppExtensionBase)
    own_specs = APP_HOOKS if is_app else FUNCTION_HOOKS
    other_specs = FUNCTION_HOOKS if is_app else APP_HOOKS
    scope = "app-level" if is_app else "function-level"
    attributes = _own_attributes(cls, framework_bases)
    found: List[str] = []
    for spec in own_specs:
        if spec.name not in attributes:
            continue
        raw = attributes[spec.name]
        function = _underlying(raw)
        if inspect.iscoroutinefunction(function):
            found.append(
                f"{cls.__name__}.{spec.name} is 'async def': the worker calls hooks without "
                "awaiting them, so its body would never run. Make it a plain 'def' "
                "(start background work explicitly if you need it)."
            )
        bound = not isinstance(raw, staticmethod)
        if callable(function) and not _can_take(function, spec, bound):
            found.append(
                f"{cls.__name__}.{spec.name} cannot accept the worker's positional arguments "
                f"({', '.join(spec.arguments)}); give it that signature and end it with "
                "'*args, **kwargs' to stay compatible with future arguments."
            )
    hook_names = [s.name for s in own_specs]
    for name, value in attributes.items():
        if name.startswith("_") or name in _ALL_NAMES or not callable(_underlying(value)):
            continue
        if not _may_be_misspelt(name, hook_names):
            continue
        import difflib  # only to suggest a name for a mistake

        close = difflib.get_close_matches(name, hook_names, n=1, cutoff=_MISSPELLING_CUTOFF)
        if close:
            found.append(
                f"{cls.__name__}.{name} looks like a misspelling of the hook {close[0]!r}; "
                "the worker only calls hooks by their exact names, so rename it."
            )
    for spec in other_specs:
        if spec.name in attributes:
            wanted = spec.name + "_app_level" if is_app else spec.name.replace("_app_level", "")
            found.append(
                f"{cls.__name__}.{spec.name} is not a hook of a {scope} extension and will "
                f"never be called; name it {wanted!r}."
            )
    return found


def warn_about(cls: type, framework_bases: Sequence[type] = (), stacklevel: int = 3) -> List[str]:
    """Issue an ``ExtensionDefinitionWarning`` per problem; return the problems."""
    found = problems_of(cls, framework_bases)
    for problem in found:
        warnings.warn(problem, ExtensionDefinitionWarning, stacklevel=stacklevel)
    return found
