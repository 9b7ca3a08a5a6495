"""The pytest plugin: fixtures for testing functions and extensions through the hook chain."""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from ..gating import SETTING
from .harness import InvocationRecord, invoke
from .registry import isolated_registry


@pytest.fixture
def extension_registry() -> Iterator[None]:
    """An empty, isolated ``ExtensionMeta`` registry, restored after the test."""
    with isolated_registry(empty=True):
        yield


@pytest.fixture
def extensions_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    """``PYTHON_ENABLE_WORKER_EXTENSIONS=1`` for the test, as a function app sets it."""
    monkeypatch.setenv(SETTING, "1")


@pytest.fixture
def invoke_function(extensions_enabled: None) -> Callable[..., InvocationRecord]:
    """``invoke`` with extensions enabled: ``invoke_function(main, req=...)``."""

    def run(function: Callable[..., Any], **kwargs: Any) -> InvocationRecord:
        return invoke(function, **kwargs)

    return run
