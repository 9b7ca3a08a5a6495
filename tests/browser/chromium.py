"""Headless Chromium for tests: Debian's ``chromium`` and ``chromium-driver``, driven by Selenium.

Outside CI, ``headless_chromium`` skips the test, saying why, when Chromium or its driver
cannot be found; in CI (``CI=true``; ``.ci/run`` installs both) it fails the test instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from typing import Any, Iterator, Optional, Sequence

import pytest

_BROWSERS = ("chromium", "chromium-browser", "google-chrome")
_DRIVERS = ("chromedriver",)


def _find(names: Sequence[str], fallbacks: Sequence[str]) -> Optional[str]:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return next((path for path in fallbacks if os.path.exists(path)), None)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run installs chromium and chromium-driver)")
    pytest.skip(f"{reason}; install Debian's chromium and chromium-driver to run it")


@contextlib.contextmanager
def headless_chromium(width: int = 1400, height: int = 900) -> Iterator[Any]:
    """A Selenium driver of a headless Chromium window of ``width`` x ``height``."""
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
        f"--window-size={width},{height}",
        "--force-device-scale-factor=1",
        "--no-first-run",
        "--disable-extensions",
        "--enable-precise-memory-info",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_window_size(width, height)
    try:
        yield driver
    finally:
        driver.quit()
