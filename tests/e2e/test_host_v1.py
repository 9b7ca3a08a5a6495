"""The v1 sample (``samples/v1_app``: function.json folders, shared code) through the host."""

from __future__ import annotations

import re

import httpx
from python_worker_extension_framework.testing import RunningHost


def test_named_http_output_and_relative_import(v1_host: RunningHost, client: httpx.Client) -> None:
    response = client.get(v1_host.url("api/greet/Zoe"))
    assert response.status_code == 200
    assert re.fullmatch(r"Hello, Zoe\. \(TimeElapsed: [0-9.e-]+ sec\)", response.text)


def test_str_return_queue_output_and_absolute_shared_import(
    v1_host: RunningHost, client: httpx.Client
) -> None:
    response = client.post(v1_host.url("api/Enqueue"), content=b"job-5521")
    assert response.status_code == 200
    assert response.text.startswith("Hello, queue.")
    v1_host.wait_for(r"Output binding 'msg' of Functions\.Enqueue: job-5521")


def test_routes_match_without_regard_to_case(v1_host: RunningHost, client: httpx.Client) -> None:
    assert client.post(v1_host.url("API/enqueue"), content=b"x").status_code == 200


def test_raising_function_answers_500(v1_host: RunningHost, client: httpx.Client) -> None:
    response = client.get(v1_host.url("api/Fail"))
    assert response.status_code == 500
    assert b"Fail always fails" not in response.content
    v1_host.wait_for(r"RuntimeError: Fail always fails")
    assert client.get(v1_host.url("api/greet/Al")).status_code == 200


def test_admin_timer_invocation_gets_a_context(v1_host: RunningHost, client: httpx.Client) -> None:
    assert client.post(v1_host.url("admin/functions/Tick"), json={"input": ""}).status_code == 202
    v1_host.wait_for(r"Tick ran in Tick \(past_due=False\)")
