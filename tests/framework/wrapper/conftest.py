"""Fixtures of the wrapper tests: each platform configuration, and recorders for its hooks."""

from __future__ import annotations

import pytest
from python_worker_extension_framework.core.gating import SETTING

from ..worker_like import (
    WORKERS,
    WorkerLike,
)


@pytest.fixture(params=WORKERS, ids=[w.name for w in WORKERS])
def worker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> WorkerLike:
    """Each platform configuration in turn, with its app setting applied."""
    configuration: WorkerLike = request.param
    if configuration.setting is not None:
        monkeypatch.setenv(SETTING, configuration.setting)
    return configuration
