"""The HttpResponse helper: one tested place that changes bodies and headers."""

from __future__ import annotations

import json

import azure.functions as func
from python_worker_extension_framework import http


def test_append_text_to_text_body() -> None:
    response = func.HttpResponse("hello")
    assert http.append_text(response, " world")
    assert response.get_body() == b"hello world"


def test_append_text_respects_the_response_charset() -> None:
    response = func.HttpResponse("café", charset="latin-1")
    assert http.append_text(response, " (é)")
    assert response.get_body() == "café (é)".encode("latin-1")


def test_content_type_header_wins_over_mimetype() -> None:
    response = func.HttpResponse('{"a": 1}', headers={"Content-Type": "application/json"})
    assert not http.append_text(response, " x")
    assert json.loads(response.get_body()) == {"a": 1}
    html = func.HttpResponse("<p>", headers={"content-type": "text/html; charset=utf-16"})
    assert http.content_type(html) == ("text/html", "utf-16")


def test_json_and_binary_bodies_are_not_touched() -> None:
    payload = bytes(range(256))
    binary = func.HttpResponse(payload, mimetype="application/octet-stream")
    data = func.HttpResponse(json.dumps({"k": "v"}), mimetype="application/json")
    assert not http.append_text(binary, "x") and not http.append_text(data, "x")
    assert binary.get_body() == payload
    assert json.loads(data.get_body()) == {"k": "v"}


def test_text_that_charset_cannot_encode_is_not_appended() -> None:
    response = func.HttpResponse("plain", charset="ascii")
    assert not http.append_text(response, " ✓")
    assert response.get_body() == b"plain"


def test_headers_set_and_appended() -> None:
    response = func.HttpResponse("x")
    http.set_header(response, "X-One", "1")
    http.add_header_value(response, "Server-Timing", "a;dur=1")
    http.add_header_value(response, "Server-Timing", "b;dur=2")
    assert response.headers["X-One"] == "1"
    assert response.headers["Server-Timing"] == "a;dur=1, b;dur=2"


def test_replace_body_and_status() -> None:
    response = func.HttpResponse("old", status_code=201)
    http.replace_body(response, b"new")
    assert response.get_body() == b"new"
    assert http.status_code(response) == 201
    assert http.status_code("text") is None


def test_append_text_to_utf16_body_keeps_a_single_byte_order_mark() -> None:
    response = func.HttpResponse("hi", charset="utf-16")
    assert http.append_text(response, " there")
    assert response.get_body().decode("utf-16") == "hi there"
    assert response.get_body().count(b"\xff\xfe") == 1


def test_body_can_grow_only_without_length_encoding_or_bodyless_status() -> None:
    assert http.body_can_grow(func.HttpResponse("x"))
    assert not http.body_can_grow(func.HttpResponse("x", status_code=204))
    assert not http.body_can_grow(func.HttpResponse("x", headers={"Content-Length": "1"}))
    assert not http.body_can_grow(func.HttpResponse(b"x", headers={"Content-Encoding": "gzip"}))
    assert http.body_can_grow(func.HttpResponse("x", headers={"Content-Encoding": "identity"}))
