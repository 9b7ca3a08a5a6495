"""Conversions between HTTP and the worker's types: answers, query parameters, admin inputs."""

from __future__ import annotations

import json

import azure.functions as func
import pytest
from python_worker_extension_framework.host.convert import (
    ResultConversionError,
    http_answer,
    query_params,
    trigger_input,
)
from python_worker_extension_framework.host.loader import FunctionSpec


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
