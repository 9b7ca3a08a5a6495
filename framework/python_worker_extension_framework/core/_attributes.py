"""Everything the framework and the extensions write on an invocation's context, in one place.

The worker builds one context object per invocation and passes the same object to the pre
hooks, the function and the post hooks, then drops it. What is kept on it cannot leak into
another invocation, needs no lock (one invocation's hooks run one after another) and dies
with the invocation even when the function raises and no post hook runs. So every piece of
per-invocation state lives there, and every attribute is named here, once:

========================================  ==========================================================
attribute                                 what it holds, who writes it
========================================  ==========================================================
``_python_worker_extension_state.<owner>``  each extension's per-invocation state, one
                                          attribute per owner (``put``/``get``/``pop``); the base
                                          class keeps its ``Invocation`` there between hooks
``_python_worker_extension_error_phase``  ``id()`` of the exception the error phase handled, so
                                          an enclosing dispatcher does not run it a second time
``_python_worker_extension_worker_ran``   ``True`` from the wrapper's marker extension: the
                                          worker ran this invocation's pre hooks
``_python_worker_extension_hook_trace``   the ``HookTrace`` the host's dispatcher records
                                          into, so that hooks the in-function wrapper runs
                                          (its error phase) are recorded in it too
``retry_info``                            public: the normalised retry facts, published by the
                                          retry-context extension, read by the others
``tracer``                                public: the OpenCensus tracer, as the original
                                          OpenCensus extension names it for user code
========================================  ==========================================================

Private names start with ``_python_worker_extension_`` so they never meet a user's own
attribute; the public ones are the names users' code reads. Attribute writes that fail (a
context that refuses attributes) are ignored: the invocation runs without that state.
"""

from __future__ import annotations

import sys
from typing import Any, Dict

STATE = "_python_worker_extension_state."  # followed by the owner's name
ERROR_PHASE = "_python_worker_extension_error_phase"
WORKER_RAN = "_python_worker_extension_worker_ran"
HOOK_TRACE = "_python_worker_extension_hook_trace"
RETRY_INFO = "retry_info"
TRACER = "tracer"


def _set(context: Any, name: str, value: Any) -> None:
    try:  # noqa: SIM105 (cheaper than contextlib.suppress on every invocation)
        setattr(context, name, value)
    except AttributeError:
        pass


def _delete(context: Any, name: str) -> None:
    try:  # noqa: SIM105 (cheaper than contextlib.suppress on every invocation)
        delattr(context, name)
    except AttributeError:
        pass


# -- extension state ------------------------------------------------------------------------


def put(context: Any, owner: str, value: Any) -> None:
    """Keep ``value`` for ``owner`` (an extension's name) on this invocation."""
    put_in(context, STATE + owner, value)


def get(context: Any, owner: str) -> Any:
    """What ``owner`` kept on this invocation, or ``None``."""
    return getattr(context, STATE + owner, None)


def pop(context: Any, owner: str) -> Any:
    """Take ``owner``'s value off the invocation (``None`` if absent)."""
    return pop_from(context, STATE + owner)


def slot(owner: str) -> str:
    """The attribute that holds ``owner``'s value, for a caller that keeps the name: with
    ``put_in`` and ``pop_from`` it is not rebuilt (and rehashed) on every invocation."""
    return sys.intern(STATE + owner)


def put_in(context: Any, slot_name: str, value: Any) -> None:
    """``put`` by the attribute ``slot(owner)`` names."""
    try:  # noqa: SIM105 (_set inlined: this runs for every extension on every invocation)
        setattr(context, slot_name, value)
    except AttributeError:
        pass


def pop_from(context: Any, slot_name: str) -> Any:
    """``pop`` by the attribute ``slot(owner)`` names."""
    try:
        return vars(context).pop(slot_name, None)
    except TypeError:  # a context without ``__dict__`` (slots): the slower general path
        value = getattr(context, slot_name, None)
        _delete(context, slot_name)
        return value


def owners(context: Any) -> Dict[str, Any]:
    """Everything kept on this invocation, by owner (for tests and diagnostics)."""
    attributes = getattr(context, "__dict__", {})
    return {
        name[len(STATE) :]: value for name, value in attributes.items() if name.startswith(STATE)
    }


# -- the framework's marks ------------------------------------------------------------------


def mark_error_phase(context: Any, exception: BaseException) -> None:
    """Note that the error phase ran for ``exception``."""
    # id(), not the exception: a reference would tie the context to the traceback's frames.
    _set(context, ERROR_PHASE, id(exception))


def take_error_phase_mark(context: Any, exception: BaseException) -> bool:
    """Whether the error phase already ran for ``exception``; forgets it once asked."""
    if getattr(context, ERROR_PHASE, None) != id(exception):
        return False
    _delete(context, ERROR_PHASE)
    return True


def mark_worker_ran(context: Any) -> None:
    """Note that the worker ran this invocation's pre hooks (the wrapper's marker calls it)."""
    _set(context, WORKER_RAN, True)


def take_worker_ran_mark(context: Any) -> bool:
    """Whether the worker ran this invocation's pre hooks; takes the mark off."""
    if not getattr(context, WORKER_RAN, False):
        return False
    _delete(context, WORKER_RAN)
    return True


def keep_hook_trace(context: Any, trace: Any) -> None:
    """Note the ``HookTrace`` this invocation's hooks are recorded into."""
    _set(context, HOOK_TRACE, trace)


def hook_trace(context: Any) -> Any:
    """The ``HookTrace`` an enclosing dispatcher records this invocation into, or ``None``."""
    return getattr(context, HOOK_TRACE, None)


# -- published facts ------------------------------------------------------------------------


def publish(context: Any, name: str, value: Any) -> None:
    """Set a public attribute (``RETRY_INFO``, ``TRACER``) for users and other extensions."""
    _set(context, name, value)


def published(context: Any, name: str) -> Any:
    """A public attribute's value, or ``None`` (a failing property counts as absent)."""
    try:
        return getattr(context, name, None)
    except Exception:
        return None


def withdraw(context: Any, name: str, value: Any) -> None:
    """Remove a public attribute, but only while it still holds ``value`` (not a user's own)."""
    if published(context, name) is value:
        _delete(context, name)
