import json

import function_app
import httpx
import pytest
from python_worker_extension_framework.testing import (
    invoke,
    make_http_request,
    make_timer_request,
)

TIMER = "python_worker_extension_timer"


def test_get_item(app_registry):
    record = invoke(function_app.get_item, req=make_http_request("GET", "/api/items/42?name=x"))
    assert json.loads(record.result.get_body()) == {"id": 42, "name": "x"}
    assert record.messages(TIMER)[0].startswith("Time taken to execute get_item is")


def test_a_url_the_route_does_not_match_is_an_error(app_registry):
    with pytest.raises(ValueError, match="does not match the route of function 'get_item'"):
        invoke(function_app.get_item, req=make_http_request("GET", "/api/items/abc"))


def test_the_function_exception_propagates(app_registry):
    with pytest.raises(KeyError, match="sku"):
        invoke(function_app.place_order, req=make_http_request("POST", "/api/orders", json={}))


def test_nightly_when_late(app_registry):
    record = invoke(function_app.nightly, mytimer=make_timer_request(past_due=True))
    assert "nightly is running late" in record.messages()


def test_the_app_over_http(app_client):
    client = app_client(".")
    response = client.get("/api/items/7")
    assert response.status_code == 200
    assert response.json() == {"id": 7, "name": None}
    assert response.headers["Server-Timing"].startswith("function;dur=")
    assert client.post("/api/orders", json={}).status_code == 500
    assert client.admin.run("nightly").succeeded
    assert [m.split(" is ")[0] for m in client.messages(TIMER)] == [
        "Time taken to execute get_item",
        "Time taken to execute place_order",
        "Time taken to execute nightly",
    ]


def test_start_up(function_host):
    host = function_host(".")
    assert httpx.get(host.url("api/items/7")).status_code == 200
    host.wait_for(r"Executed 'Functions.get_item' \(Succeeded")
