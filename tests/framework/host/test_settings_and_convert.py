"""host.json, local.settings.json, and the host's conversions in and out of functions."""

from __future__ import annotations

import json
from pathlib import Path

import azure.functions as func
import pytest
from python_worker_extension_framework.host.convert import (
    ResultConversionError,
    http_answer,
    query_params,
    trigger_input,
)
from python_worker_extension_framework.host.loader import FunctionSpec
from python_worker_extension_framework.host.runtime import incoming_trace_context
from python_worker_extension_framework.host.settings import (
    AppConfigError,
    apply_environment,
    load_settings,
)


def write(folder: Path, name: str, data: object) -> None:
    (folder / name).write_text(data if isinstance(data, str) else json.dumps(data))


def test_defaults_without_files(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert (settings.route_prefix, settings.function_timeout) == ("api", 300.0)
    assert not settings.has_local_settings


def test_host_json_prefix_and_timeout(tmp_path: Path) -> None:
    write(
        tmp_path,
        "host.json",
        {"extensions": {"http": {"routePrefix": "/v1/"}}, "functionTimeout": "00:02:30"},
    )
    settings = load_settings(tmp_path)
    assert (settings.route_prefix, settings.function_timeout) == ("v1", 150.0)
    write(tmp_path, "host.json", {"functionTimeout": "-1"})
    assert load_settings(tmp_path).function_timeout is None


@pytest.mark.parametrize(
    "name, text, problem",
    [
        ("host.json", '{"functionTimeout": "soon"}', "functionTimeout"),
        ("host.json", '{"version": "2.0",\n  oops}', "line 2"),
        ("local.settings.json", '{"Values": {"A": {"nested": 1}}}', "Values.A must be a string"),
        ("local.settings.json", '{"IsEncrypted": true}', "IsEncrypted is true"),
    ],
)
def test_bad_configuration_names_file_and_problem(
    tmp_path: Path, name: str, text: str, problem: str
) -> None:
    write(tmp_path, name, text)
    with pytest.raises(AppConfigError, match=problem) as error:
        load_settings(tmp_path)
    assert name in str(error.value)


def test_values_exported_unless_already_set(tmp_path: Path) -> None:
    write(tmp_path, "local.settings.json", {"Values": {"A": "from-file", "B": "from-file", "N": 3}})
    settings = load_settings(tmp_path)
    environ = {"B": "from-env"}
    apply_environment(settings, environ)
    assert environ == {
        "A": "from-file",
        "B": "from-env",
        "N": "3",
        "AzureWebJobsScriptRoot": str(tmp_path),
    }
    assert settings.overridden == ["B"]


def test_http_answers_like_the_worker() -> None:
    text = http_answer("hi")
    assert (text.status, text.body) == (200, b"hi")
    assert ("content-type", "text/plain; charset=utf-8") in text.headers
    json_answer = http_answer(func.HttpResponse("{}", status_code=201, mimetype="application/json"))
    assert (json_answer.status, json_answer.headers) == (
        201,
        [("content-type", "application/json")],
    )
    assert http_answer(None).status == 204
    with pytest.raises(ResultConversionError, match="returned a dict"):
        http_answer({"a": 1})


def test_repeated_query_parameters_are_joined() -> None:
    assert query_params("a=1&a=2&b=&c=x%20y") == {"a": "1,2", "b": "", "c": "x y"}


def spec_for(trigger_type: str) -> FunctionSpec:
    return FunctionSpec(
        "f", "", "", lambda: None, [{"type": trigger_type, "name": "x", "direction": "in"}], "v1"
    )


def test_admin_input_becomes_the_trigger_object() -> None:
    timer = trigger_input(spec_for("timerTrigger"), "")
    assert timer.past_due is False
    queue = trigger_input(spec_for("queueTrigger"), {"order": 7})
    assert json.loads(queue.get_body()) == {"order": 7}
    event = trigger_input(spec_for("eventHubTrigger"), "e1")
    assert event.get_body() == b"e1"
    documents = trigger_input(spec_for("cosmosDBTrigger"), [{"id": "1"}])
    assert documents[0]["id"] == "1"
    assert trigger_input(spec_for("customTrigger"), {"raw": True}) == {"raw": True}


def test_incoming_traceparent_is_continued_with_a_new_parent() -> None:
    incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    trace = incoming_trace_context({"traceparent": incoming, "tracestate": "k=v"})
    _version, trace_id, parent, flags = trace.trace_parent.split("-")
    assert (trace_id, flags, trace.trace_state) == ("0af7651916cd43dd8448eb211c80319c", "01", "k=v")
    assert parent != "b7ad6b7169203331"
    fresh = incoming_trace_context({"traceparent": "garbage", "tracestate": "k=v"})
    assert fresh.trace_parent.split("-")[1] != "0af7651916cd43dd8448eb211c80319c"
    assert fresh.trace_state == ""
