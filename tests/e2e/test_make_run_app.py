"""The app `make run` serves (samples/timer_app), through the pytest fixture users get."""

from __future__ import annotations

import re
from typing import Callable

import httpx
from python_worker_extension_framework.testing import RunningHost

from .conftest import SAMPLES


def test_readme_curl_answers(function_host: Callable[..., RunningHost]) -> None:
    host = function_host(SAMPLES / "timer_app")
    response = httpx.get(host.url("api/HttpTrigger"), params={"name": "World"})
    assert re.fullmatch(
        r"Hello, World\. This HTTP triggered function executed successfully\. "
        r"\(TimeElapsed: [0-9.e-]+ sec\)",
        response.text,
    )
    assert httpx.delete(host.url("api/HttpTrigger")).status_code == 405
    host.wait_for(r"Time taken to execute HttpTrigger is [0-9.e-]+ sec")
    host.wait_for(r"Executed 'Functions\.HttpTrigger' \(Succeeded, Id=[0-9a-f-]{36}")
