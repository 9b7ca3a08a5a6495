"""Browser tests: the dashboard in headless Chromium (see ``chromium.py``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import pytest

from .chromium import headless_chromium

# Each run saves its screenshots under .artifacts/ (ignored by git); the readme's copies in
# docs/images/ are refreshed on purpose, with FUNCEXT_UPDATE_SCREENSHOTS=1.
_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = (
    _ROOT / "docs" / "images"
    if os.environ.get("FUNCEXT_UPDATE_SCREENSHOTS") == "1"
    else _ROOT / ".artifacts" / "screenshots"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium window, 1400x900."""
    with headless_chromium() as driver:
        yield driver
