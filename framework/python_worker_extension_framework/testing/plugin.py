"""The pytest plugin: fixtures for testing functions and extensions through the hook chain."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Callable, Iterator, Union

import pytest

from ..core.gating import SETTING
from .harness import InvocationRecord, invoke
from .host import RunningHost, running_host
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


@pytest.fixture
def function_host() -> Iterator[Callable[..., RunningHost]]:
    """Start the local host on an app folder: ``host = function_host("path/to/app")``.

    Each call starts ``funcext start`` in a subprocess on a free 127.0.0.1 port and returns
    the ``RunningHost`` (``base_url``, ``url(path)``, ``wait_for(regex)``, ``output``);
    every host started is stopped after the test.
    """
    with contextlib.ExitStack() as stack:

        def start(app_dir: Union[str, Path], **options: Any) -> RunningHost:
            return stack.enter_context(running_host(app_dir, **options))

        yield start
