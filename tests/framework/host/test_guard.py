"""The Host and Origin rules that keep web pages from driving the local host."""

from __future__ import annotations

from typing import Dict, Optional

import pytest
from python_worker_extension_framework.host.guard import RequestGuard, split_host


@pytest.mark.parametrize(
    "value, expected",
    [
        ("localhost:7071", ("localhost", 7071)),
        ("LOCALHOST.", ("localhost", None)),
        ("[::1]:7071", ("::1", 7071)),
        ("::1", ("::1", None)),
        ("127.0.0.1", ("127.0.0.1", None)),
        ("evil.example:80", ("evil.example", 80)),
    ],
)
def test_host_values_are_split_into_name_and_port(value: str, expected: object) -> None:
    assert split_host(value) == expected


@pytest.mark.parametrize(
    "host", ["localhost:7071", "127.0.0.1:7071", "127.5.6.7", "[::1]:7071", "app.localhost:7071"]
)
def test_loopback_hosts_are_accepted(host: str) -> None:
    assert RequestGuard().host_problem({"host": host}) is None


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:7071", "localhost.evil.example", "10.0.0.5:7071", ""]
)
def test_foreign_hosts_are_refused_with_the_flag_that_allows_them(host: str) -> None:
    problem = RequestGuard().host_problem({"host": host})
    assert problem is not None
    assert "--allow-host" in problem


def test_a_request_without_host_is_accepted() -> None:
    assert RequestGuard().host_problem({}) is None


def test_allowed_names_and_the_bound_address() -> None:
    guard = RequestGuard.for_binding("192.168.1.20", ("DevBox.test",))
    assert guard.host_problem({"host": "devbox.test:7071"}) is None
    assert guard.host_problem({"host": "192.168.1.20:7071"}) is None
    assert guard.host_problem({"host": "192.168.1.21:7071"}) is not None
    anywhere = RequestGuard.for_binding("0.0.0.0")
    assert anywhere.host_problem({"host": "192.168.1.21:7071"}) is None  # an address, not a name
    assert anywhere.host_problem({"host": "rebound.evil.example"}) is not None
    assert RequestGuard.for_binding("127.0.0.1", ("*",)).host_problem({"host": "x.y"}) is None


@pytest.mark.parametrize(
    "headers, refused",
    [
        ({"host": "127.0.0.1:7071"}, False),
        ({"host": "127.0.0.1:7071", "origin": "http://127.0.0.1:7071"}, False),
        ({"host": "localhost", "origin": "http://localhost:80"}, False),
        ({"host": "127.0.0.1:7071", "sec-fetch-site": "same-origin"}, False),
        ({"host": "127.0.0.1:7071", "sec-fetch-site": "none"}, False),
        ({"host": "127.0.0.1:7071", "origin": "http://evil.example"}, True),
        ({"host": "127.0.0.1:7071", "origin": "http://127.0.0.1:3000"}, True),
        ({"host": "127.0.0.1:7071", "origin": "https://127.0.0.1:7071"}, True),
        ({"host": "127.0.0.1:7071", "origin": "null"}, True),
        ({"host": "127.0.0.1:7071", "origin": "http://[bad"}, True),
        ({"host": "127.0.0.1:7071", "sec-fetch-site": "cross-site"}, True),
        ({"host": "127.0.0.1:7071", "sec-fetch-site": "same-site"}, True),
    ],
)
def test_admin_requests_from_other_origins_are_refused(
    headers: Dict[str, str], refused: bool
) -> None:
    problem: Optional[str] = RequestGuard().origin_problem(headers)
    assert (problem is not None) == refused
    if problem:
        assert problem.startswith("Cross-origin request refused")
