"""Retry policies through the local host's admin endpoint (samples/retry_app)."""

from __future__ import annotations

import re
from typing import Iterator

import httpx
import pytest
from python_worker_extension_framework.testing import RunningHost, running_host

from .conftest import SAMPLES


@pytest.fixture(scope="module")
def retry_host() -> Iterator[RunningHost]:
    with running_host(SAMPLES / "retry_app") as host:
        yield host


@pytest.mark.slow
def test_fails_twice_then_succeeds_in_three_attempts(
    retry_host: RunningHost, client: httpx.Client
) -> None:
    response = client.post(retry_host.url("admin/functions/flaky_sync"), json={"input": ""})
    assert response.status_code == 202
    retry_host.wait_for(r"'flaky_sync' succeeded on attempt 3 after 2 retries", timeout=20)
    attempts = retry_host.wait_for(r"flaky_sync attempt with retry count \d", count=3)
    assert [int(line[-1]) for line in attempts] == [0, 1, 2]
    retry_host.wait_for(r"Retry 2 of 3 for 'flaky_sync' after ConnectionError: dependency")
    outcomes = retry_host.wait_for(
        r"Executed 'Functions\.flaky_sync' \((Failed|Succeeded)", count=3
    )
    assert [re.search(r"\((\w+),", line).group(1) for line in outcomes] == [  # type: ignore[union-attr]
        "Failed",
        "Failed",
        "Succeeded",
    ]
    assert "Dead-lettered flaky_sync" not in retry_host.output


@pytest.mark.slow
def test_always_failing_function_exhausts_its_policy_and_dead_letters_once(
    retry_host: RunningHost, client: httpx.Client
) -> None:
    response = client.post(retry_host.url("admin/functions/always_fails"), json={"input": ""})
    assert response.status_code == 202
    retry_host.wait_for(
        r"Retries exhausted for 'always_fails': function execution failed after 2 retries; "
        r"last failure: ValueError: the input can never be processed",
        timeout=20,
    )
    waits = retry_host.wait_for(r"Waiting \S+ before retrying 'always_fails'", count=2)
    assert ["00:00:01" in waits[0], "00:00:02" in waits[1]] == [True, True]  # backoff
    dead = [line for line in retry_host.lines if "Dead-lettered always_fails" in line]
    assert len(dead) == 1 and "after 3 attempts" in dead[0]
