"""The diagnostic view: which extensions run for a function, in which order, with which hooks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Dict, List

from azure.functions import AppExtensionBase, FuncExtensionBase

from ..toolkit._base import WorkerExtension
from . import _registry as registry
from .hooks import APP_HOOKS, FUNCTION_HOOKS

# Classes whose hook methods are plumbing, not the extension author's: the SDK's bases and ours.
_NOT_THE_AUTHORS = (AppExtensionBase, FuncExtensionBase, WorkerExtension, object)


@dataclass(frozen=True)
class ChainEntry:
    """One extension in a function's hook chain."""

    position: int
    extension: str
    scope: str  # "app" or "function"
    hooks: List[str]
    applies: bool

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)


def _defined_hooks(owner: Any, app_level: bool) -> List[str]:
    cls = owner if isinstance(owner, type) else type(owner)
    if isinstance(owner, type) and issubclass(owner, WorkerExtension):
        steps = owner.implemented_hooks()
        return [step.removeprefix("_on_") for step in steps]
    specs = APP_HOOKS if app_level else FUNCTION_HOOKS
    return [
        spec.name
        for spec in specs
        if any(spec.name in vars(k) for k in cls.__mro__ if k not in _NOT_THE_AUTHORS)
    ]


def hook_chain(function_name: str) -> List[ChainEntry]:
    """The chain for ``function_name``: function-level extensions run inside app-level ones."""
    entries: List[ChainEntry] = []
    for cls in registry.app_extensions():
        if getattr(cls, "_framework_internal", False):
            continue  # the wrapper's marker: plumbing, not an extension the user chose
        applies = cls.applies_to(function_name) if issubclass(cls, WorkerExtension) else True
        entries.append(
            ChainEntry(len(entries) + 1, cls.__name__, "app", _defined_hooks(cls, True), applies)
        )
    for ext in registry.function_extensions(function_name):
        entries.append(
            ChainEntry(
                len(entries) + 1, type(ext).__name__, "function", _defined_hooks(ext, False), True
            )
        )
    return entries


def format_hook_chain(function_name: str) -> str:
    """A readable table of ``hook_chain(function_name)``."""
    entries = hook_chain(function_name)
    if not entries:
        return f"{function_name}: no extensions registered"
    rows = [("#", "extension", "scope", "applies", "hooks")]
    rows += [
        (
            str(e.position),
            e.extension,
            e.scope,
            "yes" if e.applies else "no",
            ", ".join(e.hooks) or "-",
        )
        for e in entries
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [f"{function_name}:"]
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(4)] + [row[4]]
        lines.append("  " + "  ".join(cells).rstrip())
    return "\n".join(lines)
