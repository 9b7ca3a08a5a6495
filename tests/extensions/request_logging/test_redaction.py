"""Redaction by example: URL, headers, cookies, bodies, user names, echoes."""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, Optional

import azure.functions as func
import pytest
from python_worker_extension_framework.testing import make_http_request
from python_worker_extension_framework.toolkit import OptionValueError
from python_worker_extension_request_logging import (
    BUILTIN_HEADER_NAMES,
    BUILTIN_QUERY_NAMES,
    RECORD_ATTRIBUTE,
    REDACTED,
    RequestLoggingExtension,
)

from .conftest import RunFunction

SECRET = "Sx7Qp2LmW9zR4t"


def Echo(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        req.get_body(), mimetype=req.headers.get("content-type") or "text/plain"
    )


def logged(
    run: RunFunction,
    url: str = "http://localhost/api/x",
    *,
    headers: Optional[Dict[str, str]] = None,
    body: Any = None,
    function: Any = Echo,
    route_params: Optional[Dict[str, str]] = None,
) -> Dict[str, Any]:
    request = make_http_request(
        "POST", url, headers=headers or {}, body=body, route_params=route_params or {}
    )
    [log] = run(function, req=request)
    everything = log.getMessage() + repr(vars(log))
    assert SECRET not in everything
    record: Dict[str, Any] = getattr(log, RECORD_ATTRIBUTE)
    return record


@pytest.mark.parametrize("name", BUILTIN_QUERY_NAMES)
def test_builtin_query_parameters_are_masked(run: RunFunction, name: str) -> None:
    record = logged(run, f"http://localhost/api/x?a=1&{name}={SECRET}&b=2")
    assert record["query"] == f"a=1&{name}={REDACTED}&b=2"


@pytest.mark.parametrize(
    "name",
    ["CODE", "Api_Key", "%63ode", "%2563ode", "api%5Fkey", "api-key", "ACCESS%5ftoken", "sig"],
)
def test_query_names_match_in_any_case_and_url_encoding(run: RunFunction, name: str) -> None:
    record = logged(run, f"http://localhost/api/x?{name}={SECRET}")
    assert record["query"] == f"{name}={REDACTED}"


@pytest.mark.parametrize(
    "name", ["client_secret", "refresh_token", "dbPassword", "X-Auth-Token", "user[password]"]
)
def test_secret_looking_names_are_masked_too(run: RunFunction, name: str) -> None:
    record = logged(run, f"http://localhost/api/x?{name}={SECRET}")
    assert record["query"] == f"{name}={REDACTED}"


def test_ordinary_names_are_kept(run: RunFunction) -> None:
    record = logged(run, "http://localhost/api/x?zipcode=12345&keyboard=uk&monkey=1")
    assert record["query"] == "zipcode=12345&keyboard=uk&monkey=1"


def test_secret_inside_an_encoded_url_parameter(run: RunFunction) -> None:
    record = logged(run, f"http://localhost/api/x?next=https%3A%2F%2Fapp%2F%3Fcode%3D{SECRET}")
    assert REDACTED in record["query"]


def test_secret_route_parameter_is_masked_in_the_path(run: RunFunction) -> None:
    record = logged(run, f"http://localhost/api/reset/{SECRET}", route_params={"token": SECRET})
    assert (record["route"], record["path"]) == ("/api/reset/{token}", f"/api/reset/{REDACTED}")


def test_same_value_elsewhere_in_the_url_is_masked(run: RunFunction) -> None:
    record = logged(run, f"http://localhost/api/users/{SECRET}?token={SECRET}")
    assert record["path"] == f"/api/users/{REDACTED}"


@pytest.mark.parametrize("name", BUILTIN_HEADER_NAMES)
def test_builtin_headers_stay_masked_even_when_allow_listed(run: RunFunction, name: str) -> None:
    RequestLoggingExtension.configure(log_headers=[name, "accept"])
    record = logged(run, headers={name.upper(): f"Bearer {SECRET}", "Accept": "*/*"})
    assert record["request_headers"] == {name.lower(): REDACTED, "accept": "*/*"}


def test_headers_are_off_by_default_and_allow_listed_when_on(run: RunFunction) -> None:
    headers = {"Accept": "*/*", "X-Request-Id": "r1", "Authorization": f"Basic {SECRET}"}
    assert "request_headers" not in logged(run, headers=headers)
    RequestLoggingExtension.configure(log_headers=["x-request-id"])
    assert logged(run, headers=headers)["request_headers"] == {"x-request-id": "r1"}


def test_allowed_header_values_are_scanned(run: RunFunction) -> None:
    RequestLoggingExtension.configure(log_headers=["referer", "x-debug"])
    record = logged(
        run,
        headers={
            "Referer": f"https://app.example/callback?state=1&code={SECRET}",
            "X-Debug": f"Bearer {SECRET}",
        },
    )
    assert record["request_headers"] == {
        "referer": f"https://app.example/callback?state=1&code={REDACTED}",
        "x-debug": f"Bearer {REDACTED}",
    }


def test_response_set_cookie_is_masked(run: RunFunction) -> None:
    RequestLoggingExtension.configure(log_headers=["set-cookie", "content-type"])

    def Login(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("ok", headers={"Set-Cookie": f"sid={SECRET}; HttpOnly"})

    record = logged(run, function=Login)
    assert record["response_headers"]["set-cookie"] == REDACTED


def test_bodies_are_off_by_default(run: RunFunction) -> None:
    record = logged(run, body=json.dumps({"password": SECRET}))
    assert "request_body" not in record and record["request_bytes"] > 0


def test_json_body_secret_keys_masked_at_any_depth(run: RunFunction) -> None:
    RequestLoggingExtension.configure(log_body=True)
    body = {
        "user": "ann",
        "Password": SECRET,
        "nested": {"deeper": [{"API-KEY": SECRET, "note": "fine"}, {"client_secret": [SECRET]}]},
        "settings": [{"name": "AccountKey", "value": SECRET}, {"name": "color", "value": "red"}],
        "auth": {"token": SECRET},
    }
    record = logged(run, headers={"Content-Type": "application/json"}, body=json.dumps(body))
    assert json.loads(record["request_body"]) == {
        "user": "ann",
        "Password": REDACTED,
        "nested": {"deeper": [{"API-KEY": REDACTED, "note": "fine"}, {"client_secret": REDACTED}]},
        "settings": [{"name": "AccountKey", "value": REDACTED}, {"name": "color", "value": "red"}],
        "auth": REDACTED,
    }
    assert record["response_body"] == record["request_body"]  # the echo is masked the same way


def test_json_looking_body_is_parsed_whatever_its_content_type(run: RunFunction) -> None:
    RequestLoggingExtension.configure(log_body=True)
    record = logged(run, headers={"Content-Type": "text/plain"}, body=f'{{"token": "{SECRET}"}}')
    assert json.loads(record["request_body"]) == {"token": REDACTED}


def test_unparseable_json_body_is_not_logged(run: RunFunction) -> None:
    RequestLoggingExtension.configure(log_body=True)
    record = logged(
        run, headers={"Content-Type": "application/json"}, body=f'{{"password": "{SECRET}"'
    )
    assert record["request_body"].startswith("[JSON body not logged")


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        (
            "application/x-www-form-urlencoded",
            f"user=ann&pass%77ord={SECRET}&remember=1",
            f"user=ann&pass%77ord={REDACTED}&remember=1",
        ),
        ("text/plain", f"Authorization: Bearer {SECRET}\nok", f"Authorization: {REDACTED}\nok"),
        (
            "application/xml",
            f"<a><Password>{SECRET}</Password></a>",
            f"<a><Password>{REDACTED}</Password></a>",
        ),
        ("text/plain", f"my key is 'api_key': '{SECRET}'", f"my key is 'api_key': '{REDACTED}'"),
        ("", f"token={SECRET}", f"token={REDACTED}"),
    ],
)
def test_text_bodies_have_secret_pairs_masked(
    run: RunFunction, content_type: str, body: str, expected: str
) -> None:
    RequestLoggingExtension.configure(log_body=True)
    headers = {"Content-Type": content_type} if content_type else {}
    assert logged(run, headers=headers, body=body)["request_body"] == expected


def test_binary_body_is_logged_by_size_only(run: RunFunction) -> None:
    RequestLoggingExtension.configure(log_body=True)
    record = logged(run, headers={"Content-Type": "image/png"}, body=b"\x89PNG" + SECRET.encode())
    assert record["request_body"] == "[image/png body, 18 bytes]"


def test_bodies_are_capped_after_redaction(run: RunFunction) -> None:
    RequestLoggingExtension.configure(log_body=True, max_body_chars=40)
    body = "x=" + "a" * 30 + f"&password={SECRET}" + "b" * 500
    record = logged(run, headers={"Content-Type": "text/plain"}, body=body)
    assert record["request_body"] == ("x=" + "a" * 30 + "&passwor")[:40] + "...[truncated]"
    big = json.dumps({"items": list(range(200)), "secret": SECRET})
    record = logged(run, headers={"Content-Type": "application/json"}, body=big)
    assert len(record["request_body"]) == 40 + len("...[truncated]")


def test_response_echo_of_a_header_secret_is_masked(run: RunFunction) -> None:
    RequestLoggingExtension.configure(log_body=True)

    def Whoami(req: func.HttpRequest) -> str:
        return f"you sent {req.headers['x-functions-key']}"

    record = logged(run, headers={"x-functions-key": SECRET}, function=Whoami)
    assert record["response_body"] == f"you sent {REDACTED}"


def test_user_names_are_added_to_the_builtins(run: RunFunction) -> None:
    RequestLoggingExtension.configure(
        redact_names=["ssn", "X-Tenant-Pin"], log_headers=["x-tenant-pin"]
    )
    record = logged(
        run,
        f"http://localhost/api/x?ssn={SECRET}&code={SECRET}",
        headers={"X-Tenant-Pin": SECRET},
    )
    assert record["query"] == f"ssn={REDACTED}&code={REDACTED}"
    assert record["request_headers"] == {"x-tenant-pin": REDACTED}


def test_builtins_cannot_be_removed(run: RunFunction) -> None:
    RequestLoggingExtension.configure(redact_names=[])
    assert logged(run, f"http://localhost/api/x?code={SECRET}")["query"] == f"code={REDACTED}"
    RequestLoggingExtension.configure(redact_names=["-code", "!code"])
    assert logged(run, f"http://localhost/api/x?code={SECRET}")["query"] == f"code={REDACTED}"


def test_user_agent_is_scanned(run: RunFunction) -> None:
    record = logged(run, headers={"User-Agent": f"bot/1.0 (token={SECRET})"})
    # the value runs to the next separator: masking too much beats masking too little
    assert record["user_agent"] == f"bot/1.0 (token={REDACTED}"


def test_a_failure_while_building_never_leaks(
    run: RunFunction, monkeypatch: pytest.MonkeyPatch
) -> None:
    from python_worker_extension_request_logging import extension

    def broken(*args: Any) -> Any:
        raise RuntimeError(f"boom {SECRET}")

    monkeypatch.setattr(extension, "build", broken)
    request = make_http_request("GET", f"http://localhost/api/x?code={SECRET}")
    [log] = run(Echo, req=request)
    assert log.levelno == logging.ERROR
    assert "could not be built: RuntimeError" in log.getMessage()
    assert SECRET not in log.getMessage() + repr(vars(log))


def test_form_field_holding_an_encoded_connection_string(run: RunFunction) -> None:
    RequestLoggingExtension.configure(log_body=True)
    body = (
        "user=ann&storage=DefaultEndpointsProtocol%3Dhttps%3BAccountName%3Dacct%3B"
        f"AccountKey%3D{SECRET}%2B%2F%3D%3D%3BEndpointSuffix%3Dcore.windows.net&remember=1"
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    record = logged(run, headers=headers, body=body)
    assert record["request_body"] == f"user=ann&storage={REDACTED}&remember=1"


def test_client_principal_header_is_masked_when_allow_listed(run: RunFunction) -> None:
    RequestLoggingExtension.configure(
        log_headers=["x-ms-client-principal", "x-ms-client-principal-id"]
    )
    record = logged(
        run, headers={"X-MS-CLIENT-PRINCIPAL": f"eyJ{SECRET}", "X-MS-CLIENT-PRINCIPAL-ID": SECRET}
    )
    assert record["request_headers"] == {
        "x-ms-client-principal": REDACTED,
        "x-ms-client-principal-id": REDACTED,
    }


def test_user_patterns_mask_values_anywhere(run: RunFunction) -> None:
    RequestLoggingExtension.configure(redact_patterns=r"Sx7Qp\w+", log_headers=["x-note"])
    record = logged(run, f"http://localhost/api/x?q={SECRET}", headers={"X-Note": SECRET})
    assert record["query"] == f"q={REDACTED}"
    assert record["request_headers"] == {"x-note": REDACTED}


def test_a_bad_pattern_fails_configure() -> None:
    with pytest.raises(OptionValueError, match=r"redact_patterns.*matches the empty string"):
        RequestLoggingExtension.configure(redact_patterns=[".*"])
