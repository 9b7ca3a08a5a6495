"""Browser tests: the dashboard in headless Chromium (see ``chromium.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from .chromium import headless_chromium

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "images"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium window, 1400x900."""
    with headless_chromium() as driver:
        yield driver
