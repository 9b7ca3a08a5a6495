"""The pytest plugin: fixtures for testing function apps and extensions.

Which registry fixture to use:

- ``extension_registry``: an empty registry, for extension authors: only the extensions
  the test defines or registers (``registered(...)``) run.
- ``app_registry``: the registry as the app's imports left it (the extensions the app
  configured stay), for app authors; whatever the test adds is dropped afterwards.
- ``app_client``: the whole app in the host's ASGI application; it has a registry of its
  own (the extensions the app's imports register), so it needs neither.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Union

import pytest

from ..core import InvocationRecord
from ..core.gating import SETTING
from .harness import invoke
from .host import RunningHost, running_host
from .registry import isolated_registry

if TYPE_CHECKING:
    from .app_client import AppClient


@pytest.fixture
def extension_registry() -> Iterator[None]:
    """An empty, isolated ``ExtensionMeta`` registry, restored after the test."""
    with isolated_registry(empty=True):
        yield


@pytest.fixture
def app_registry() -> Iterator[None]:
    """The registry with the extensions already registered (the app's, when the test module
    imported the app); extensions registered during the test are dropped afterwards."""
    with isolated_registry(empty=False):
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
def app_client() -> Iterator[Callable[..., AppClient]]:
    """Load a function app in this process: ``client = app_client("path/to/app")``.

    The ``AppClient`` is an ``httpx.Client`` into the host's ASGI application
    (``client.get("/api/items/42")``), with ``client.admin.run(name, input=...)`` for
    non-HTTP functions and ``client.lines`` for the console; it is closed after the test.
    """
    from .app_client import AppClient  # needs httpx, the [testing] extra: imported on use

    with contextlib.ExitStack() as stack:

        def load(app_dir: Union[str, Path], **options: Any) -> AppClient:
            return stack.enter_context(AppClient(app_dir, **options))

        yield load


@pytest.fixture
def function_host() -> Iterator[Callable[..., RunningHost]]:
    """Start the local host on an app folder: ``host = function_host("path/to/app")``.

    Each call starts ``funcext start`` in a subprocess on a free 127.0.0.1 port and returns
    the ``RunningHost`` (``base_url``, ``url(path)``, ``wait_for(regex)``, ``output``);
    every host started is stopped after the test. For start-up and shutdown behaviour;
    ``app_client`` answers requests the same way without a process.
    """
    with contextlib.ExitStack() as stack:

        def start(app_dir: Union[str, Path], **options: Any) -> RunningHost:
            return stack.enter_context(running_host(app_dir, **options))

        yield start
