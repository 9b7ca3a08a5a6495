"""The v2 sample (``samples/v2_app``) through the local host, over real HTTP."""

from __future__ import annotations

import re

import httpx
from python_worker_extension_framework.testing import RunningHost

TIMER_SUFFIX = re.compile(r" \(TimeElapsed: [0-9.e-]+ sec\)$")


def test_start_lists_every_function_with_its_url_and_methods(v2_host: RunningHost) -> None:
    output = v2_host.output
    assert f"hello: [GET,POST] {v2_host.base_url}/api/hello" in output
    assert f"get_item: [GET] {v2_host.base_url}/api/items/{{id:int}}" in output
    assert "cleanup: timerTrigger" in output
    assert f"service_status: [GET] {v2_host.base_url}/api/status" in output  # blueprint
    assert "Warning" not in output


def test_query_parameter_and_extension_suffix(v2_host: RunningHost, client: httpx.Client) -> None:
    response = client.get(v2_host.url("api/hello"), params={"name": "Ann"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text.startswith("Hello, Ann.")
    assert TIMER_SUFFIX.search(response.text), response.text


def test_json_body(v2_host: RunningHost, client: httpx.Client) -> None:
    response = client.post(v2_host.url("api/hello"), json={"name": "Bo"})
    assert response.status_code == 200
    assert response.text.startswith("Hello, Bo.")


def test_int_route_parameter_and_json_response(v2_host: RunningHost, client: httpx.Client) -> None:
    response = client.get(v2_host.url("api/items/42"), params={"fields": "a,b"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"id": 42, "fields": "a,b"}  # the timer left JSON alone
    assert float(response.headers["x-time-elapsed"]) >= 0


def test_route_constraint_mismatch_is_404(v2_host: RunningHost, client: httpx.Client) -> None:
    assert client.get(v2_host.url("api/items/abc")).status_code == 404


def test_catch_all_route_and_str_return(v2_host: RunningHost, client: httpx.Client) -> None:
    response = client.get(v2_host.url("api/files/docs/a%20b.txt"))
    assert response.status_code == 200
    assert response.text.startswith("file docs/a b.txt")


def test_output_binding_is_captured_and_logged(v2_host: RunningHost, client: httpx.Client) -> None:
    response = client.post(v2_host.url("api/orders"), content=b"order-7731")
    assert response.status_code == 202
    assert response.text.startswith("accepted")
    v2_host.wait_for(r"Output binding 'order' of Functions\.place_order: order-7731")


def test_unknown_route_is_404(v2_host: RunningHost, client: httpx.Client) -> None:
    assert client.get(v2_host.url("api/nothing-here")).status_code == 404
    assert client.get(v2_host.url("hello")).status_code == 404  # no route prefix


def test_wrong_method_is_405_with_allow(v2_host: RunningHost, client: httpx.Client) -> None:
    response = client.delete(v2_host.url("api/hello"))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


def test_raising_function_is_500_and_the_next_request_works(
    v2_host: RunningHost, client: httpx.Client
) -> None:
    response = client.get(v2_host.url("api/fail"))
    assert response.status_code == 500
    assert response.content == b""  # the traceback goes to the console only
    v2_host.wait_for(r"ValueError: this function always fails")
    v2_host.wait_for(r"Executed 'Functions\.fail' \(Failed, Id=[0-9a-f-]{36}, Duration=\d+ms\)")
    assert client.get(v2_host.url("api/hello")).status_code == 200


def test_body_over_the_limit_is_413(v2_host: RunningHost, client: httpx.Client) -> None:
    response = client.post(v2_host.url("api/hello"), content=b"x" * 70_000)
    assert response.status_code == 413
    assert client.get(v2_host.url("api/hello")).status_code == 200


def test_invocation_start_and_end_lines_share_the_id(
    v2_host: RunningHost, client: httpx.Client
) -> None:
    client.get(v2_host.url("api/status"))
    started = v2_host.wait_for(r"Executing 'Functions\.service_status' .*Id=")[-1]
    invocation_id = re.search(r"Id=([0-9a-f-]{36})", started).group(1)  # type: ignore[union-attr]
    v2_host.wait_for(
        rf"Executed 'Functions\.service_status' \(Succeeded, Id={invocation_id}, Duration=\d+ms\)"
    )


def test_admin_runs_a_timer_function(v2_host: RunningHost, client: httpx.Client) -> None:
    response = client.post(v2_host.url("admin/functions/cleanup"), json={"input": ""})
    assert response.status_code == 202
    v2_host.wait_for(r"cleanup ran \(past_due=False, invocation [0-9a-f-]{36}\)")
    v2_host.wait_for(r"Time taken to execute cleanup is")


def test_admin_errors(v2_host: RunningHost, client: httpx.Client) -> None:
    assert client.post(v2_host.url("admin/functions/nope"), json={}).status_code == 404
    http_function = client.post(v2_host.url("admin/functions/hello"), json={})
    assert http_function.status_code == 400
    assert "/api/hello" in http_function.text
    bad_json = client.post(v2_host.url("admin/functions/cleanup"), content=b"{not json")
    assert bad_json.status_code == 400
    assert "JSON" in bad_json.text
    assert client.get(v2_host.url("admin/functions/cleanup")).status_code == 405
