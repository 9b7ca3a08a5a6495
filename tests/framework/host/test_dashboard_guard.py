"""Only this machine's browser, on the dashboard's own origin, may read the dashboard."""

from __future__ import annotations

from typing import Dict, Optional, Tuple

import pytest
from python_worker_extension_framework.host.dashboard.guard import refusal

LOCAL = ("127.0.0.1", 50000)


def _check(
    headers: Dict[str, str], client: Optional[Tuple[str, int]] = LOCAL, bound: str = "127.0.0.1"
) -> Optional[str]:
    return refusal(headers, client, bound)


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:7071", "localhost:7071", "LOCALHOST.:7071", "app.localhost:7071", "[::1]:7071"],
)
def test_loopback_host_names_are_accepted(host: str) -> None:
    assert _check({"host": host}) is None


def test_the_bound_address_is_accepted() -> None:
    assert _check({"host": "192.168.1.20:7071"}, bound="192.168.1.20") is None


@pytest.mark.parametrize("host", ["evil.example:7071", "127.0.0.1.nip.io:7071", "", "0.0.0.0:7071"])
def test_other_host_names_are_refused(host: str) -> None:
    assert "is not allowed" in str(_check({"host": host}, bound="0.0.0.0"))


def test_a_remote_client_is_refused_even_with_a_loopback_host_header() -> None:
    problem = _check({"host": "127.0.0.1:7071"}, client=("10.0.0.5", 4000))
    assert problem is not None and "only this machine" in problem


def test_the_dashboards_own_origin_is_accepted() -> None:
    headers = {"host": "127.0.0.1:7071", "origin": "http://127.0.0.1:7071"}
    assert _check({**headers, "sec-fetch-site": "same-origin"}) is None
    assert _check({"host": "localhost:7071", "sec-fetch-site": "none"}) is None


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "http://localhost:7071",
        "http://127.0.0.1:8080",
        "null",
        "https://127.0.0.1:7071",
    ],
)
def test_another_origin_is_refused(origin: str) -> None:
    problem = _check({"host": "127.0.0.1:7071", "origin": origin})
    assert problem is not None and "Cross-origin request refused" in problem


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_cross_site_fetches_are_refused(site: str) -> None:
    problem = _check({"host": "127.0.0.1:7071", "sec-fetch-site": site})
    assert problem == f"Cross-site request refused (Sec-Fetch-Site: {site})."
