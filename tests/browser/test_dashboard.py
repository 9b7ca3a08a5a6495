"""The dashboard as a person sees it: the host serves samples/dashboard_app, headless Chromium
shows /_funcext/, and the tests send requests and read the page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import httpx
import pytest
from python_worker_extension_framework.testing import RunningHost, running_host
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from .conftest import SCREENSHOTS

APP = Path(__file__).resolve().parents[2] / "samples" / "dashboard_app"
SECRETS = {
    "query": "Zq9code0secret4471",
    "header": "hdr0secret998877",
    "bearer": "tok0secret554433",
    "cookie": "cookie0secret112233",
    "body": "body0secret667788",
}


@pytest.fixture(scope="module")
def host() -> Iterator[RunningHost]:
    with running_host(APP) as running:
        yield running


@pytest.fixture(scope="module")
def page(browser: WebDriver, host: RunningHost) -> WebDriver:
    """The dashboard, open and following the stream."""
    browser.get(host.url("/_funcext/"))
    _wait(browser, lambda: _connection(browser) == "live")
    browser.execute_script("window.__sameDocument = true;")
    return browser


def _wait(browser: WebDriver, condition: Callable[[], Any], timeout: float = 20.0) -> Any:
    return WebDriverWait(browser, timeout, poll_frequency=0.1).until(lambda _driver: condition())


def _connection(browser: WebDriver) -> str:
    return str(browser.find_element(By.ID, "connection").get_attribute("data-state"))


def _rows(browser: WebDriver, function: str = "") -> List[Dict[str, str]]:
    """The list as shown, read in one go (the page re-renders it as invocations arrive)."""
    selector = "#invocations tbody tr" + (f'[data-function="{function}"]' if function else "")
    rows: List[Dict[str, str]] = browser.execute_script(
        """return [...document.querySelectorAll(arguments[0])].map((row) => ({
            id: row.dataset.id, function: row.dataset.function, classes: row.className,
            text: row.innerText, background: getComputedStyle(row).backgroundColor}));""",
        selector,
    )
    return rows


def _open(browser: WebDriver, row: Dict[str, str]) -> WebElement:
    """Click the row of this invocation; the detail panel once it shows it."""
    browser.execute_script(
        "document.querySelector(`#invocations tr[data-id='${arguments[0]}']`).click();",
        row["id"],
    )
    detail = browser.find_element(By.ID, "detail")
    _wait(browser, lambda: row["id"] in detail.text)
    return detail


def _texts(detail: WebElement, selector: str) -> List[str]:
    return [element.text for element in detail.find_elements(By.CSS_SELECTOR, selector)]


def _hooks(detail: WebElement, kind: str = "") -> List[str]:
    """The hook chain in order: ``Extension.hook``, and ``function`` for the function."""
    rows = detail.find_elements(By.CSS_SELECTOR, f".hook-row{kind}")
    return [
        f"{row.get_attribute('data-extension')}.{row.get_attribute('data-hook')}".lstrip(".")
        for row in rows
    ]


def test_rows_appear_live_without_a_reload(page: WebDriver, host: RunningHost) -> None:
    before = len(_rows(page, "hello"))
    for name in ("Ann", "Bo"):
        assert httpx.get(host.url(f"/api/hello?name={name}")).status_code == 200
    _wait(page, lambda: len(_rows(page, "hello")) == before + 2)
    assert page.execute_script("return window.__sameDocument === true;")
    newest = _rows(page)[0]
    assert newest["function"] == "hello"
    assert "GET /api/hello?name=Bo" in newest["text"] and "200" in newest["text"]
    card = page.execute_script(
        "return document.querySelector('.card[data-function=\"hello\"]').innerText;"
    )
    assert f"{before + 2} calls" in card and "p50" in card and "p95" in card


def test_a_click_opens_the_hook_chain_spans_and_log_of_that_invocation(
    page: WebDriver, host: RunningHost
) -> None:
    httpx.get(host.url("/api/hello?name=Detail"))
    _wait(page, lambda: "name=Detail" in _rows(page, "hello")[0]["text"])
    detail = _open(page, _rows(page, "hello")[0])
    hooks = _hooks(detail)
    assert hooks[0] == "OpenCensusExtension.pre_invocation_app_level"
    assert hooks.index("TimerExtension.pre_invocation_app_level") < hooks.index("function")
    assert hooks.index("function") < hooks.index("TimerExtension.post_invocation_app_level")
    assert _texts(detail, ".hook-row .hook-label")[0] == "OpenCensusExtension · pre (app)"
    spans = _texts(detail, ".span-row .span-name")
    assert spans[:3] == ["hello", "compose-greeting", "look-up-title"]
    log = _texts(detail, ".log-line")
    assert any("Greeting Detail" in line and "User" in line for line in log)
    assert any("Executing 'Functions.hello'" in line and "Host" in line for line in log)
    assert any("audit: hello done" in line and "System" in line for line in log)
    assert not any("Greeting Ann" in line for line in log)  # only this invocation's lines
    assert "GET /api/hello?name=Detail" in detail.find_element(By.CSS_SELECTOR, ".request-box").text


def test_a_raising_function_stands_out_and_shows_its_error(
    page: WebDriver, host: RunningHost
) -> None:
    assert httpx.get(host.url("/api/fail")).status_code == 500
    _wait(page, lambda: bool(_rows(page, "fail")))
    row = _rows(page, "fail")[0]
    assert "failed" in row["classes"].split()
    assert row["background"] != _rows(page, "hello")[0]["background"]
    detail = _open(page, row)
    error = detail.find_element(By.CSS_SELECTOR, ".error-box").text
    assert "ValueError: this function always fails" in error
    assert 'raise ValueError("this function always fails")' in error
    error_hooks = _hooks(detail, ".error-phase")
    assert "OpenCensusExtension.on_invocation_error_app_level" in error_hooks
    assert not [hook for hook in _hooks(detail) if ".post_invocation" in hook]
    assert any("About to fail on purpose" in line for line in _texts(detail, ".log-line"))
    assert [s for s in _texts(detail, ".span-row .span-name") if s == "fail"]


def test_a_retried_function_shows_every_attempt(page: WebDriver, host: RunningHost) -> None:
    answer = httpx.post(host.url("/admin/functions/flaky"), json={"input": ""})
    assert answer.status_code == 202
    _wait(page, lambda: len(_rows(page, "flaky")) >= 3)
    newest = _rows(page, "flaky")[0]
    assert "3 of 3" in newest["text"]
    detail = _open(page, newest)
    _wait(page, lambda: len(detail.find_elements(By.CSS_SELECTOR, ".attempt-row")) == 3)
    attempts = [row.text for row in detail.find_elements(By.CSS_SELECTOR, ".attempt-row")]
    assert (
        "failed" in attempts[0]
        and "ConnectionError: dependency unavailable (attempt 1)" in attempts[0]
    )
    assert "failed" in attempts[1] and "1.00 s (policy)" in attempts[1]
    assert "succeeded" in attempts[2] and "1.00 s (policy)" in attempts[2]
    first = detail.find_elements(By.CSS_SELECTOR, ".attempt-row")[0]
    first.click()
    _wait(
        page,
        lambda: (
            "ConnectionError" in page.find_element(By.ID, "detail").text
            and bool(page.find_elements(By.CSS_SELECTOR, "#detail .error-box"))
        ),
    )


def test_filters_by_function_and_outcome(page: WebDriver, host: RunningHost) -> None:
    httpx.get(host.url("/api/fail"))
    httpx.get(host.url("/api/hello?name=Filter"))
    _wait(page, lambda: "name=Filter" in _rows(page)[0]["text"])
    outcome = Select(page.find_element(By.ID, "filter-outcome"))
    outcome.select_by_value("failed")
    _wait(page, lambda: all("failed" in r["classes"].split() for r in _rows(page)))
    assert {r["function"] for r in _rows(page)} <= {"fail", "flaky"}
    outcome.select_by_value("")
    function = Select(page.find_element(By.ID, "filter-function"))
    function.select_by_value("hello")
    _wait(page, lambda: {r["function"] for r in _rows(page)} == {"hello"})
    function.select_by_value("")
    _wait(page, lambda: len({r["function"] for r in _rows(page)}) > 1)


def test_a_secret_sent_in_the_request_appears_nowhere(page: WebDriver, host: RunningHost) -> None:
    answer = httpx.post(
        host.url(f"/api/hello?name=Sec&code={SECRETS['query']}"),
        headers={
            "x-functions-key": SECRETS["header"],
            "authorization": f"Bearer {SECRETS['bearer']}",
            "cookie": f"session={SECRETS['cookie']}",
            "content-type": "application/x-www-form-urlencoded",
        },
        content=f"password={SECRETS['body']}&name=Sec",
    )
    assert answer.status_code == 200
    _wait(page, lambda: "name=Sec" in _rows(page)[0]["text"])
    detail = _open(page, _rows(page)[0])
    for element in detail.find_elements(By.CSS_SELECTOR, "details"):
        page.execute_script("arguments[0].open = true;", element)
    shown = detail.text
    assert "[REDACTED]" in shown and "x-functions-key" in shown and "password=" in shown
    everything = page.page_source + page.execute_script("return document.body.innerText;")
    invocation_id = _rows(page)[0]["id"]
    everything += httpx.get(host.url(f"/_funcext/api/invocations/{invocation_id}")).text
    everything += httpx.get(host.url("/_funcext/api/invocations")).text
    for where, secret in SECRETS.items():
        assert secret not in everything, f"the {where} secret is on the page"


def test_screenshots_of_the_list_and_a_detail(page: WebDriver, host: RunningHost) -> None:
    for name in ("Ann", "Ben", "Cy", "Dee"):
        httpx.get(host.url(f"/api/hello?name={name}"))
    httpx.get(host.url("/api/fail"))
    httpx.post(host.url("/admin/functions/flaky"), json={"input": ""})
    _wait(page, lambda: len(_rows(page, "flaky")) >= 3)
    httpx.get(host.url("/api/hello?name=Eve"))
    _wait(page, lambda: "name=Eve" in _rows(page)[0]["text"])
    page.find_element(By.CSS_SELECTOR, "body").send_keys(Keys.ESCAPE)
    _wait(page, lambda: not page.find_element(By.ID, "detail").is_displayed())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    list_shot = SCREENSHOTS / "dashboard-list.png"
    assert page.save_screenshot(str(list_shot))
    page.set_window_size(1400, 1500)  # tall enough for the whole detail of one invocation
    try:
        detail = _open(page, _rows(page, "hello")[0])
        _wait(page, lambda: bool(detail.find_elements(By.CSS_SELECTOR, ".span-row")))
        detail_shot = SCREENSHOTS / "dashboard-detail.png"
        assert page.save_screenshot(str(detail_shot))
    finally:
        page.set_window_size(1400, 900)
    for shot in (list_shot, detail_shot):
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_the_page_loads_nothing_from_the_network(page: WebDriver, host: RunningHost) -> None:
    entries = page.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name);"
    )
    assert entries and all(str(url).startswith(host.base_url) for url in entries), json.dumps(
        entries
    )
