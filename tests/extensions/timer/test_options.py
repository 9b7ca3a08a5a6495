"""Options: validated by ``configure()``, with app-setting fallback and safe defaults."""

from __future__ import annotations

import logging
from typing import Any, Dict

import azure.functions as func
import pytest
from python_worker_extension_framework import (
    ExtensionConfigError,
    OptionTypeError,
    OptionValueError,
    UnknownOptionError,
)
from python_worker_extension_framework.testing import invoke, make_http_request
from python_worker_extension_timer import (
    ELAPSED_HEADER,
    LOGGER_NAME,
    SERVER_TIMING_HEADER,
    TimerExtension,
)

from .conftest import body_time, logged_time, timer_logs


def hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("hello")


def test_defaults() -> None:
    settings = TimerExtension.settings()
    assert settings.append_to_http_response is False
    assert settings.add_server_timing_header is False
    assert settings.server_timing_metric == "function"
    assert settings.slow_threshold_ms is None


def test_tutorial_call_still_works() -> None:
    TimerExtension.configure(append_to_http_response=True)
    assert TimerExtension.is_configured()
    assert TimerExtension.settings().append_to_http_response is True


@pytest.mark.parametrize(
    "options, error, message",
    [
        (
            {"append_to_http_responses": True},
            UnknownOptionError,
            r"TimerExtension\.configure\(\) got unknown option\(s\) 'append_to_http_responses'",
        ),
        (
            {"append_to_http_response": "yes"},
            OptionTypeError,
            r"option 'append_to_http_response' must be bool, got str 'yes'",
        ),
        (
            {"add_server_timing_header": 1},
            OptionTypeError,
            r"option 'add_server_timing_header' must be bool, got int 1",
        ),
        (
            {"slow_threshold_ms": "100"},
            OptionTypeError,
            r"option 'slow_threshold_ms' must be float, got str",
        ),
        (
            {"slow_threshold_ms": True},
            OptionTypeError,
            r"option 'slow_threshold_ms' must be float, got bool",
        ),
        (
            {"slow_threshold_ms": 0},
            OptionValueError,
            r"option 'slow_threshold_ms' has a bad value 0: use a number of milliseconds "
            r"greater than 0",
        ),
        (
            {"slow_threshold_ms": float("nan")},
            OptionValueError,
            r"option 'slow_threshold_ms' has a bad value nan",
        ),
        (
            {"server_timing_metric": "my metric"},
            OptionValueError,
            r"option 'server_timing_metric' has a bad value 'my metric': a Server-Timing "
            r"metric name is an HTTP token",
        ),
    ],
)
def test_configure_rejects_bad_options_naming_them(
    options: Dict[str, Any], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        TimerExtension.configure(**options)
    assert not TimerExtension.is_configured()


def test_configure_rejects_positional_arguments() -> None:
    with pytest.raises(TypeError, match=r"TimerExtension\.configure\(\) takes keyword options"):
        TimerExtension.configure(True)


def test_integer_threshold_is_accepted_as_milliseconds() -> None:
    TimerExtension.configure(slow_threshold_ms=250)
    assert TimerExtension.settings().slow_threshold_ms == 250.0


@pytest.mark.parametrize(
    "setting, value, option, expected",
    [
        ("APPEND_TO_HTTP_RESPONSE", "1", "append_to_http_response", True),
        ("APPEND_TO_HTTP_RESPONSE", "false", "append_to_http_response", False),
        ("ADD_SERVER_TIMING_HEADER", "yes", "add_server_timing_header", True),
        ("SERVER_TIMING_METRIC", "func", "server_timing_metric", "func"),
        ("SLOW_THRESHOLD_MS", "500", "slow_threshold_ms", 500.0),
    ],
)
def test_app_settings_are_the_fallback(
    monkeypatch: pytest.MonkeyPatch, setting: str, value: str, option: str, expected: Any
) -> None:
    monkeypatch.setenv(f"PYTHON_WORKER_EXTENSION_TIMER_{setting}", value)
    assert TimerExtension.settings()[option] == expected


def test_app_setting_drives_an_unconfigured_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_WORKER_EXTENSION_TIMER_APPEND_TO_HTTP_RESPONSE", "1")
    monkeypatch.setenv("PYTHON_WORKER_EXTENSION_TIMER_ADD_SERVER_TIMING_HEADER", "1")
    record = invoke(hello, req=make_http_request())
    assert body_time(record.result.get_body()) == logged_time(record)[2]
    assert record.result.headers[SERVER_TIMING_HEADER].startswith("function;dur=")


def test_configure_argument_wins_over_the_app_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_WORKER_EXTENSION_TIMER_APPEND_TO_HTTP_RESPONSE", "1")
    TimerExtension.configure(append_to_http_response=False)
    record = invoke(hello, req=make_http_request())
    assert record.result.get_body() == b"hello"
    assert ELAPSED_HEADER not in record.result.headers


def test_bad_app_setting_fails_configure_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHON_WORKER_EXTENSION_TIMER_SLOW_THRESHOLD_MS", "fast")
    with pytest.raises(
        ExtensionConfigError,
        match=r"app setting PYTHON_WORKER_EXTENSION_TIMER_SLOW_THRESHOLD_MS='fast' "
        r"\(for option 'slow_threshold_ms'\) is not a number",
    ):
        TimerExtension.configure(append_to_http_response=True)


def test_bad_app_setting_without_configure_logs_an_error_and_never_breaks_a_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHON_WORKER_EXTENSION_TIMER_APPEND_TO_HTTP_RESPONSE", "maybe")
    record = invoke(hello, req=make_http_request())
    assert record.exception is None and record.result.get_body() == b"hello"
    errors = [r for r in record.records if r.name == LOGGER_NAME and r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "TimerExtension is inactive" in errors[0].getMessage()
    assert "PYTHON_WORKER_EXTENSION_TIMER_APPEND_TO_HTTP_RESPONSE" in errors[0].getMessage()
    assert [r for r in timer_logs(record) if r.levelno == logging.INFO] == []


def test_server_timing_metric_alone_does_not_add_the_header() -> None:
    TimerExtension.configure(server_timing_metric="api")
    record = invoke(hello, req=make_http_request())
    assert SERVER_TIMING_HEADER not in record.result.headers


def test_reset_forgets_the_configuration() -> None:
    TimerExtension.configure(append_to_http_response=True)
    TimerExtension.reset()
    assert not TimerExtension.is_configured()
    assert TimerExtension.settings().append_to_http_response is False
