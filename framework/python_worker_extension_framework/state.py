"""Per-invocation state, kept on the invocation's context object.

The worker builds one context per invocation and passes the same object to pre hooks,
the function and post hooks, then drops it. State stored on it cannot leak into another
invocation, needs no lock (one invocation's hooks run one after another) and dies with
the invocation even when the function raises and no post hook runs.
"""

from __future__ import annotations

import contextlib
from typing import Any, Dict, Optional

_STATE_ATTRIBUTE = "_python_worker_extension_state"


def _store(context: Any, create: bool) -> Optional[Dict[str, Any]]:
    store: Optional[Dict[str, Any]] = getattr(context, _STATE_ATTRIBUTE, None)
    if store is None and create:
        store = {}
        setattr(context, _STATE_ATTRIBUTE, store)
    return store


def put(context: Any, owner: str, value: Any) -> None:
    """Keep ``value`` for ``owner`` (an extension name) on this invocation."""
    store = _store(context, create=True)
    assert store is not None
    store[owner] = value


def get(context: Any, owner: str) -> Any:
    """What ``owner`` kept on this invocation, or ``None``."""
    store = _store(context, create=False)
    return None if store is None else store.get(owner)


def pop(context: Any, owner: str) -> Any:
    """Take ``owner``'s value off the invocation (``None`` if absent); the store goes when empty."""
    store = _store(context, create=False)
    if store is None:
        return None
    value = store.pop(owner, None)
    if not store:
        with contextlib.suppress(AttributeError):
            delattr(context, _STATE_ATTRIBUTE)
    return value


def owners(context: Any) -> Dict[str, Any]:
    """A copy of everything kept on this invocation (for tests and diagnostics)."""
    store = _store(context, create=False)
    return dict(store or {})
