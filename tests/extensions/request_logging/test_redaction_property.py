"""Property: no secret value ever appears in any emitted record, in either format.

Requests carry distinctive secret values (``Sx`` + 10 to 22 letters and digits) in
query strings, headers, cookies, route parameters, form bodies and nested JSON bodies,
under secret names in random letter case and random URL encoding; the function echoes
them back in its response (body and ``Set-Cookie``) or raises. With any mix of options
(both formats, headers allow-listed including the secret ones, bodies on or off, any
cap) the formatted message and every attribute of the LogRecord are free of each secret,
of its URL-encoded and decoded forms, and of any 10-character piece of it.
"""

from __future__ import annotations

import json
import logging
import string
from typing import Any, Dict, List, Tuple
from urllib.parse import quote, unquote_plus

import azure.functions as func
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_worker_extension_framework.testing import invoke, make_http_request
from python_worker_extension_request_logging import (
    BUILTIN_HEADER_NAMES,
    BUILTIN_QUERY_NAMES,
    RequestLoggingExtension,
)

from .conftest import request_logs

# Every other character a digit, so no 10-character piece of a secret can spell a word
# or field value that legitimately appears in a record (``SxValueError`` would).
SECRETS = st.text(string.ascii_letters + string.digits, min_size=5, max_size=11).map(
    lambda s: "Sx" + "".join(f"{char}{index % 10}" for index, char in enumerate(s))
)
QUERY_NAMES = (*BUILTIN_QUERY_NAMES, "client_secret", "refresh_token", "db_password")
HEADER_NAMES = (*BUILTIN_HEADER_NAMES, "X-Auth-Token")
JSON_KEYS = (*QUERY_NAMES, "Authorization", "apiKey", "accessToken", "db-password", "x-api-key")
BENIGN = st.sampled_from(["alpha", "beta", "gamma", "delta", "42", "blue", "page", "sort"])


@st.composite
def random_case(draw: st.DrawFn, name: str) -> str:
    return "".join(c.upper() if draw(st.booleans()) else c.lower() for c in name)


@st.composite
def url_encoded(draw: st.DrawFn, text: str) -> str:
    """Some characters as ``%XX`` (upper or lower hex); sometimes encoded twice."""
    out = []
    for char in text:
        if draw(st.integers(0, 3)) == 0:
            code = f"%{ord(char):02X}"
            out.append(code.lower() if draw(st.booleans()) else code)
        else:
            out.append(char)
    encoded = "".join(out)
    if draw(st.integers(0, 5)) == 0:
        encoded = encoded.replace("%", "%25")
    return encoded


@st.composite
def secret_name(draw: st.DrawFn, names: Tuple[str, ...], encode: bool) -> str:
    name = draw(random_case(draw(st.sampled_from(names))))
    return draw(url_encoded(name)) if encode and draw(st.booleans()) else name


@st.composite
def json_with_secrets(draw: st.DrawFn, secrets: List[str], depth: int = 0) -> Any:
    """A nested JSON object with secret keys somewhere inside."""
    node: Dict[str, Any] = {}
    for _ in range(draw(st.integers(1, 3))):
        choice = draw(st.integers(0, 4))
        if choice == 0 or depth >= 3:
            secret = draw(SECRETS)
            secrets.append(secret)
            value: Any = secret
            if draw(st.booleans()):
                value = {"v": [secret, draw(BENIGN)]}  # a whole object under a secret key
            node[draw(secret_name(JSON_KEYS, encode=False))] = value
        elif choice == 1:
            node[draw(BENIGN)] = [draw(json_with_secrets(secrets, depth + 1))]
        elif choice == 2:
            node[draw(BENIGN)] = draw(json_with_secrets(secrets, depth + 1))
        elif choice == 3:
            secret = draw(SECRETS)
            secrets.append(secret)
            node[draw(BENIGN)] = {"name": draw(random_case("password")), "value": secret}
        else:
            node[draw(BENIGN)] = draw(BENIGN)
    return node


@st.composite
def requests_with_secrets(draw: st.DrawFn) -> Tuple[func.HttpRequest, List[str], List[str]]:
    """``(request, secrets, header names used)``."""
    secrets: List[str] = []

    def new_secret() -> str:
        secret = draw(SECRETS)
        secrets.append(secret)
        return secret

    pairs = [f"{draw(BENIGN)}={draw(BENIGN)}" for _ in range(draw(st.integers(0, 2)))]
    for _ in range(draw(st.integers(0, 3))):
        value = new_secret()
        if draw(st.booleans()):
            value = quote(value, safe="") if draw(st.booleans()) else draw(url_encoded(value))
        pairs.append(f"{draw(secret_name(QUERY_NAMES, encode=True))}={value}")
    pairs = draw(st.permutations(pairs))
    path, route_params = "/api/items", {}
    if draw(st.booleans()):
        token = new_secret()
        path, route_params = f"/api/reset/{token}", {"token": token}
    url = f"http://localhost:7071{path}" + ("?" + "&".join(pairs) if pairs else "")

    headers: Dict[str, str] = {
        "User-Agent": "probe/1.0",
        "X-Mode": draw(st.sampled_from(["body", "str", "raise"])),
        "X-Status": draw(st.sampled_from(["200", "404", "500"])),
    }
    for _ in range(draw(st.integers(0, 3))):
        name = draw(random_case(draw(st.sampled_from(HEADER_NAMES))))
        scheme = draw(st.sampled_from(["", "Bearer ", "Basic ", "SharedAccessSignature sr=x&sig="]))
        headers[name] = scheme + new_secret()
    if draw(st.booleans()):
        headers[draw(random_case("cookie"))] = (
            f"theme=dark; session={new_secret()}; x={new_secret()}"
        )
    if draw(st.booleans()):
        headers["Referer"] = (
            f"https://app.example/cb?{draw(secret_name(QUERY_NAMES, encode=True))}={new_secret()}"
        )

    kind = draw(st.sampled_from(["none", "json", "form", "text"]))
    body = ""
    if kind == "json":
        headers["Content-Type"] = draw(st.sampled_from(["application/json", "text/plain", ""]))
        body = json.dumps(draw(json_with_secrets(secrets)))
    elif kind == "form":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        fields = [f"{draw(secret_name(QUERY_NAMES, encode=True))}={new_secret()}"]
        fields += [f"{draw(BENIGN)}={draw(BENIGN)}"]
        body = "&".join(draw(st.permutations(fields)))
    elif kind == "text":
        headers["Content-Type"] = "text/plain"
        body = f"Authorization: Bearer {new_secret()}\npassword={new_secret()}\n"
    headers = {k: v for k, v in headers.items() if v}
    request = make_http_request(
        draw(st.sampled_from(["GET", "POST"])),
        url,
        headers=headers,
        body=body,
        route_params=route_params,
    )
    return request, secrets, list(headers)


def Echo(req: func.HttpRequest) -> Any:
    """Echoes the request back in several ways, or raises."""
    mode = req.headers.get("x-mode", "body")
    if mode == "raise":
        raise ValueError(f"failed for {req.url} {req.get_body()!r}")
    if mode == "str":
        return "\n".join(f"{k}: {v}" for k, v in req.headers.items())
    cookie = req.headers.get("cookie") or "sid=none"
    return func.HttpResponse(
        req.get_body(),
        status_code=int(req.headers.get("x-status", "200")),
        headers={"Set-Cookie": cookie, "Content-Type": req.headers.get("content-type", "")},
    )


def emitted_text(record: logging.LogRecord) -> str:
    return record.getMessage() + "\n" + repr(vars(record))


def forms_of(secret: str) -> List[str]:
    return [secret, quote(secret, safe="")] + [secret[i : i + 10] for i in range(len(secret) - 9)]


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    generated=requests_with_secrets(),
    format=st.sampled_from(["text", "json"]),
    log_body=st.booleans(),
    allow_all_headers=st.booleans(),
    max_body_chars=st.integers(1, 4096),
)
def test_no_secret_ever_appears_in_a_record(
    generated: Tuple[func.HttpRequest, List[str], List[str]],
    format: str,
    log_body: bool,
    allow_all_headers: bool,
    max_body_chars: int,
) -> None:
    request, secrets, header_names = generated
    allowed = [*header_names, "x-mode", "content-type", *HEADER_NAMES] if allow_all_headers else []
    RequestLoggingExtension.configure(
        format=format, log_body=log_body, log_headers=allowed, max_body_chars=max_body_chars
    )
    records = request_logs(invoke(Echo, capture_exception=True, req=request))
    assert len(records) == 1
    text = emitted_text(records[0])
    decoded = unquote_plus(unquote_plus(text))
    if format == "json":
        json.loads(records[0].getMessage())
    for secret in secrets:
        for form in forms_of(secret):
            assert form not in text, (form, text)
            assert form not in decoded, (form, decoded)
