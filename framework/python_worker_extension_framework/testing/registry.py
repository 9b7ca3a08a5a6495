"""Isolating the process-global ``ExtensionMeta`` registry in tests."""

from __future__ import annotations

import contextlib
from typing import Iterator

from ..core import _registry as registry


@contextlib.contextmanager
def isolated_registry(empty: bool = True) -> Iterator[None]:
    """Within the block, extensions registered (imported or defined) vanish afterwards.

    With ``empty=True`` the block also starts with no extension registered.
    """
    saved = registry.snapshot_registry()
    if empty:
        registry.clear_registry()
    try:
        yield
    finally:
        saved.restore()


@contextlib.contextmanager
def registered(*extensions: type) -> Iterator[None]:
    """An isolated registry holding exactly ``extensions`` (already-defined classes),
    registered again as at import (their ``init()`` runs, so their state starts fresh)."""
    from azure.functions import ExtensionMeta

    with isolated_registry(empty=True):
        for extension in extensions:
            ExtensionMeta._register_application_extension(extension)  # type: ignore[no-untyped-call]
        yield
