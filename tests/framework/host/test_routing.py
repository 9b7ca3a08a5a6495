"""Route templates and the route table, as the Functions host matches them."""

from __future__ import annotations

import pytest
from python_worker_extension_framework.host.routing import (
    RouteTable,
    RouteTemplateError,
    compile_route,
)


def table(*routes: tuple) -> RouteTable[str]:
    result: RouteTable[str] = RouteTable("api")
    for template, methods in routes:
        result.add(compile_route(template, template, methods))
    return result


def test_parameters_constraints_and_decoding() -> None:
    routes = table(("items/{id:int}", ["GET"]), ("items/{name}", None))
    match = routes.match("GET", "/api/items/42")
    assert (match.route.target, match.params) == ("items/{id:int}", {"id": "42"})  # type: ignore[union-attr]
    match = routes.match("GET", "/api/items/red%20box")
    assert (match.route.target, match.params) == ("items/{name}", {"name": "red box"})  # type: ignore[union-attr]


def test_literal_wins_over_parameter_whatever_the_order() -> None:
    routes = table(("users/{id}", None), ("users/me", None))
    assert routes.match("GET", "/api/users/me").route.target == "users/me"  # type: ignore[union-attr]
    assert routes.match("GET", "/api/users/7").route.target == "users/{id}"  # type: ignore[union-attr]


def test_catch_all_optional_and_default() -> None:
    routes = table(("files/{*path}", None), ("page/{n?}", None), ("lang/{code=en}", None))
    assert routes.match("GET", "/api/files/a/b/c.txt").params == {"path": "a/b/c.txt"}
    assert routes.match("GET", "/api/files").params == {}
    assert routes.match("GET", "/api/page").route is not None
    assert routes.match("GET", "/api/page/3").params == {"n": "3"}
    assert routes.match("GET", "/api/lang").params == {"code": "en"}


def test_prefix_and_literals_ignore_case() -> None:
    routes = table(("HttpTrigger", None))
    assert routes.match("GET", "/API/httptrigger").route is not None
    assert routes.match("GET", "/other/HttpTrigger").route is None


def test_method_not_allowed_lists_allowed_methods() -> None:
    routes = table(("orders", ["POST"]), ("orders", ["PUT"]))
    match = routes.match("GET", "/api/orders")
    assert match.route is None and match.method_not_allowed
    assert match.allowed == ["POST", "PUT"]
    assert routes.match("put", "/api/orders").route.methods == ["PUT"]  # type: ignore[union-attr]


def test_empty_prefix() -> None:
    routes: RouteTable[str] = RouteTable("")
    routes.add(compile_route("hello", "hello"))
    assert routes.match("GET", "/hello").route is not None
    assert routes.path_for(routes.routes[0]) == "/hello"


def test_unknown_constraint_is_noted_not_fatal() -> None:
    route = compile_route("items/{id:length(5)}", "x")
    assert any("length(5)" in note for note in route.notes)


@pytest.mark.parametrize(
    "template, problem",
    [
        ("files/{*path}/more", "catch-all must be the last"),
        ("a/{id}/{id}", "repeats"),
        ("a/{1bad}", "bad parameter name"),
        ("a//b", "empty segment"),
    ],
)
def test_bad_templates_are_rejected_by_name(template: str, problem: str) -> None:
    with pytest.raises(RouteTemplateError, match=problem) as error:
        compile_route(template, "x")
    assert template in str(error.value)
