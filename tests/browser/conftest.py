"""Browser tests: the dashboard in headless Chromium (Debian's ``chromium`` and
``chromium-driver``), driven by Selenium.

Outside CI the tests skip, saying why, when Chromium or its driver cannot be found; in CI
(``CI=true``; ``.ci/run`` installs both) a missing browser fails them instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterator, Optional

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "images"
_BROWSERS = ("chromium", "chromium-browser", "google-chrome")
_DRIVERS = ("chromedriver",)


def _find(names: tuple, extra: tuple = ()) -> Optional[str]:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return next((path for path in extra if os.path.exists(path)), None)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run installs chromium and chromium-driver)")
    pytest.skip(f"{reason}; install Debian's chromium and chromium-driver to run it")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A headless Chromium window, 1400x900."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("Selenium is not installed (pip install selenium)")
    binary = _find(_BROWSERS, ("/usr/lib/chromium/chromium",))
    driver_path = _find(_DRIVERS, ("/usr/lib/chromium/chromedriver",))
    if binary is None or driver_path is None:
        _unavailable("headless Chromium is not available (no chromium or chromedriver on PATH)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,900",
        "--force-device-scale-factor=1",
        "--no-first-run",
        "--disable-extensions",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_window_size(1400, 900)
    try:
        yield driver
    finally:
        driver.quit()
