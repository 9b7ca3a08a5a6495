"""Tells the in-function wrapper, per invocation, whether the worker ran the chain around it.

The worker gives a function no sign of whether it ran extension hooks: that depends on the
Python version, the worker release and ``PYTHON_ENABLE_WORKER_EXTENSIONS`` (read on every
call). So the wrapper registers a marker: an app-level extension like any other, whose pre
hook marks the invocation's context and whose load hook notes the function's name. If the
worker ran this invocation's pre hooks it ran the marker's, and the mark is on the context
when the function starts; if it ran none, there is no mark. The marker only marks, so its
place in the hook lists (last, when it is registered after the other extensions) does not
matter.

The marker is registered when a function is first wrapped, not when this module is
imported, so importing the framework registers nothing. Registering it before the worker
calls any hook is what makes the answer exact: wrapping happens when the function's module
is imported (v1) or when the app is indexed (v2), both before the worker's load hooks and
first invocation. If the registry lost the marker afterwards (only tests reset it), the
answer for that invocation falls back to the worker's own gating rule for this interpreter,
and the marker is registered again for the next ones.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar, Dict, Optional, Set

from azure.functions import AppExtensionBase, ExtensionMeta

from ..core import _attributes
from ..core import _registry as registry
from ..core.gating import extensions_enabled
from ..core.hooks import PRE_INVOCATION_APP

_registration_lock = threading.Lock()


class _RegisteredOnDemand(ExtensionMeta):
    """``ExtensionMeta`` registers a subclass when its class statement runs; the marker
    must be registered when the wrapper is first used instead (see ``ensure_registered``)."""

    def __init__(cls, name: str, bases: Any, namespace: Dict[str, Any], **kwargs: Any) -> None:
        type.__init__(cls, name, bases, namespace, **kwargs)


class ExtensionsWrapperMarker(AppExtensionBase, metaclass=_RegisteredOnDemand):
    """Marks the invocations and loads the worker ran hooks for, and does nothing else.

    It is visible wherever registered extensions are listed (the hook chain view, the SDK's
    ``get_registered_extensions_json()``) because the worker has to call it like any other.
    ``_framework_internal`` lets diagnostics leave it out.
    """

    _framework_internal: ClassVar[bool] = True
    # Lower-cased names of the functions whose load hooks ran: called by the worker at load,
    # or by the wrapper's own chain at the first invocation (the marker is in that chain too).
    _loaded: ClassVar[Set[str]] = set()

    @classmethod
    def init(cls) -> None:
        """Called by ``ExtensionMeta`` on registration: forget loads of an earlier registry."""
        cls._loaded = set()

    @classmethod
    def post_function_load_app_level(
        cls, function_name: str, function_directory: str, *args: Any, **kwargs: Any
    ) -> None:
        cls._loaded.add(str(function_name).lower())

    @classmethod
    def pre_invocation_app_level(
        cls,
        logger: Any,
        context: Any,
        func_args: Optional[Dict[str, Any]] = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        _attributes.mark_worker_ran(context)


def is_registered() -> bool:
    """Whether the marker is in the worker's registry now."""
    return any(
        getattr(impl.ext_impl, "__self__", None) is ExtensionsWrapperMarker
        for impl in registry.app_hooks(PRE_INVOCATION_APP.name)
    )


def ensure_registered() -> bool:
    """Register the marker unless it already is; ``True`` when it already was."""
    if is_registered():
        return True
    with _registration_lock:
        if is_registered():
            return True
        ExtensionMeta._register_application_extension(ExtensionsWrapperMarker)  # type: ignore[no-untyped-call]
        return False


def forget_mark(context: Any) -> bool:
    """Take the mark off the context; ``True`` when it was there."""
    return _attributes.take_worker_ran_mark(context)


def worker_ran_pre_hooks(context: Any) -> bool:
    """Whether the worker ran this invocation's pre hooks; takes the mark off the context."""
    if forget_mark(context):
        return True
    if ensure_registered():
        return False
    return extensions_enabled()


def load_hooks_ran(function_name: str) -> bool:
    """Whether the load hooks for ``function_name`` already ran in this process."""
    if not ensure_registered():
        return extensions_enabled()
    return str(function_name).lower() in ExtensionsWrapperMarker._loaded
