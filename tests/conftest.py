"""Test-suite wide set-up: no extension setting leaks in from the machine running the tests."""

from __future__ import annotations

import pytest
from python_worker_extension_framework.core.gating import SETTING


@pytest.fixture(autouse=True)
def _no_inherited_extension_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SETTING, raising=False)
