"""What the host checks before it serves: configuration types, the extension bundle,
binding types and routes two functions share. Each problem is named with its fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from python_worker_extension_framework.host.bindings import (
    check_route_conflicts,
    unknown_binding_notes,
)
from python_worker_extension_framework.host.loader import FunctionSpec
from python_worker_extension_framework.host.routing import RouteTemplateError, compile_route
from python_worker_extension_framework.host.settings import AppConfigError, load_settings


def _write(folder: Path, name: str, data: object) -> None:
    (folder / name).write_text(data if isinstance(data, str) else json.dumps(data))


@pytest.mark.parametrize(
    "host_json, problem",
    [
        ({"extensions": "x"}, r"extensions must be an object, not a string \"x\""),
        ({"extensions": {"http": []}}, r"extensions.http must be an object, not an array"),
        ({"extensions": {"queues": 3}}, r"extensions.queues must be an object, not a number"),
        ({"logging": True}, r"logging must be an object, not true or false"),
        ({"version": 2.0}, r"version must be a string, not a number"),
        ({"functionTimeout": True}, r"functionTimeout must be a string or a number"),
        ({"functions": "a,b"}, r"functions must be an array"),
        ({"extensionBundle": "v4"}, r"extensionBundle must be an object"),
        ({"extensionBundle": {"version": "[4.*, 5.0.0)"}}, r"extensionBundle.id must be"),
        (
            {"extensionBundle": {"id": "Microsoft.Azure.Functions.ExtensionBundle"}},
            r"extensionBundle.version must be a version range .* not null",
        ),
        (
            {
                "extensionBundle": {
                    "id": "Microsoft.Azure.Functions.ExtensionBundle",
                    "version": "4",
                }
            },
            None,
        ),
        (
            {
                "extensionBundle": {
                    "id": "Microsoft.Azure.Functions.ExtensionBundle",
                    "version": "latest",
                }
            },
            r"extensionBundle.version must be a version range .* not \"latest\"",
        ),
    ],
)
def test_host_json_sections_of_the_wrong_type_are_named(
    tmp_path: Path, host_json: Dict[str, Any], problem: Optional[str]
) -> None:
    _write(tmp_path, "host.json", host_json)
    if problem is None:
        load_settings(tmp_path)
        return
    with pytest.raises(AppConfigError, match=problem) as error:
        load_settings(tmp_path)
    assert str(tmp_path / "host.json") in str(error.value)


@pytest.mark.parametrize(
    "version", ["[4.*, 5.0.0)", "[3.3.0, 4.0.0)", "[2.*, 3.0.0)", "[1.0]", "4.0.0", "(,5.0)"]
)
def test_bundle_version_ranges_in_use_are_accepted(tmp_path: Path, version: str) -> None:
    bundle = {"id": "Microsoft.Azure.Functions.ExtensionBundle", "version": version}
    _write(tmp_path, "host.json", {"version": "2.0", "extensionBundle": bundle})
    load_settings(tmp_path)


@pytest.mark.parametrize(
    "local_settings, problem",
    [
        ({"IsEncrypted": "true"}, r'IsEncrypted must be true or false without quotes.*"true"'),
        ({"IsEncrypted": "false"}, r'IsEncrypted must be true or false without quotes.*"false"'),
        ({"IsEncrypted": 0}, r"IsEncrypted must be true or false, not a number"),
        ({"Values": ["A=b"]}, r"Values must be an object, not an array"),
        ({"Host": "7071"}, r"Host must be an object"),
        ({"ConnectionStrings": []}, r"ConnectionStrings must be an object"),
    ],
)
def test_local_settings_of_the_wrong_type_are_named(
    tmp_path: Path, local_settings: Dict[str, Any], problem: str
) -> None:
    _write(tmp_path, "local.settings.json", local_settings)
    with pytest.raises(AppConfigError, match=problem):
        load_settings(tmp_path)


def _spec(name: str, bindings: List[Dict[str, Any]]) -> FunctionSpec:
    for binding in bindings:
        binding.setdefault("direction", "in")
    return FunctionSpec(name, "", "", lambda: None, bindings, "v2")


def test_unknown_binding_type_is_named_with_a_suggestion() -> None:
    specs = [
        _spec("ok", [{"type": "HTTPTRIGGER", "name": "req"}, {"type": "http", "name": "$return"}]),
        _spec("typo", [{"type": "queueTriger", "name": "msg"}]),
        _spec("custom", [{"type": "timerTrigger", "name": "t"}, {"type": "madeUp", "name": "x"}]),
    ]
    notes = unknown_binding_notes(specs)
    assert len(notes) == 2
    assert "Functions.typo: binding 'msg' has type 'queueTriger'" in notes[0]
    assert "did you mean 'queueTrigger'?" in notes[0]
    assert "Functions.custom: binding 'x' has type 'madeUp'" in notes[1]
    assert "did you mean" not in notes[1]
    assert "install the extension" in notes[1]


def _http(name: str, route: str, methods: Optional[List[str]]) -> Any:
    spec = _spec(name, [{"type": "httpTrigger", "name": "req", "route": route}])
    return compile_route(route, spec, methods)


@pytest.mark.parametrize(
    "first, second",
    [
        (("items/{id}", None), ("items/{key}", ["GET"])),
        (("Items/{id:int}", ["GET", "POST"]), ("items/{n:int}", ["POST"])),
        (("files/{*path}", ["GET"]), ("files/{*rest}", ["GET"])),
        (("hello", None), ("HELLO", None)),
    ],
)
def test_two_functions_on_the_same_route_stop_the_start(first: Any, second: Any) -> None:
    routes = [_http("first", *first), _http("second", *second)]
    with pytest.raises(
        RouteTemplateError, match=r"Functions.first and Functions.second have the same route"
    ) as error:
        check_route_conflicts(routes)
    assert "Fix: give one of them another route" in str(error.value)


@pytest.mark.parametrize(
    "first, second",
    [
        (("items/{id}", ["GET"]), ("items/{id}", ["POST"])),
        (("items/{id:int}", None), ("items/{id}", None)),  # the constrained one wins for numbers
        (("items/{id}", None), ("items/{id}/parts", None)),
        (("items/new", None), ("items/{id}", None)),
    ],
)
def test_routes_that_differ_are_accepted(first: Any, second: Any) -> None:
    check_route_conflicts([_http("first", *first), _http("second", *second)])
