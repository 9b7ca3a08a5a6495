from __future__ import annotations

from typing import Any, Iterator

import pytest
from python_worker_extension_framework.testing import isolated_registry

from .recorders import FUNCTION, FunctionRecorder, Journal, app_recorder


@pytest.fixture(autouse=True)
def _empty_registry() -> Iterator[None]:
    """Every framework test starts with no extension registered and leaves none behind."""
    with isolated_registry(empty=True):
        yield


@pytest.fixture
def journal(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Journal:
    """Two app-level recorders and a function-level one for FUNCTION, in that order."""
    entries: Journal = []
    monkeypatch.setenv("AzureWebJobsScriptRoot", str(tmp_path))
    app_recorder("Alpha", entries)
    app_recorder("Beta", entries)
    FunctionRecorder(str(tmp_path / FUNCTION / "__init__.py"), entries)
    return entries
