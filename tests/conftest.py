"""Test-suite wide set-up: no extension setting leaks in from the machine running the tests."""

from __future__ import annotations

import pytest
from python_worker_extension_framework.core.gating import SETTING


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--slow",
        action="store_true",
        default=False,
        help="Run the property tests with ten times as many generated cases.",
    )


@pytest.fixture(scope="session")
def slow(request: pytest.FixtureRequest) -> bool:
    """Whether ``--slow`` was given: property tests then generate more cases."""
    return bool(request.config.getoption("--slow"))


@pytest.fixture(autouse=True)
def _no_inherited_extension_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SETTING, raising=False)
