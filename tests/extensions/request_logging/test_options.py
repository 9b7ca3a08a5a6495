"""Options are validated by configure(), fall back to app settings, and default safely."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from python_worker_extension_framework import (
    OptionTypeError,
    OptionValueError,
    UnknownOptionError,
)
from python_worker_extension_request_logging import RequestLoggingExtension


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"format": "xml"}, OptionValueError, r"option 'format' has a bad value 'xml'.*'json'"),
        ({"format": 1}, OptionTypeError, r"option 'format' must be str"),
        ({"sample_rate": 1.5}, OptionValueError, r"'sample_rate'.*from 0.0"),
        ({"sample_rate": -0.1}, OptionValueError, r"'sample_rate'"),
        ({"sample_rate": True}, OptionTypeError, r"'sample_rate' must be float"),
        ({"trace_sampling": "always"}, OptionValueError, r"'request', 'context', 'off'"),
        ({"success_level": "LOUD"}, OptionValueError, r"'success_level'.*logging level"),
        ({"client_error_level": -1}, OptionValueError, r"'client_error_level'"),
        ({"exclude_paths": ["api/health"]}, OptionValueError, r"start with '/'"),
        ({"exclude_paths": [3]}, OptionValueError, r"must be a string, got 3"),
        ({"log_headers": ["bad header"]}, OptionValueError, r"'bad header' is not a header name"),
        ({"log_body": "yes"}, OptionTypeError, r"'log_body' must be bool"),
        ({"max_body_chars": 0}, OptionValueError, r"'max_body_chars'.*1 to 65536"),
        ({"max_body_chars": 10**6}, OptionValueError, r"'max_body_chars'"),
        ({"redact_names": [None]}, OptionValueError, r"'redact_names'.*must be a string"),
        ({"formt": "json"}, UnknownOptionError, r"unknown option\(s\) 'formt'"),
    ],
)
def test_bad_options_fail_at_configure_naming_the_option(
    options: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        RequestLoggingExtension.configure(**options)
    assert not RequestLoggingExtension.is_configured()


def test_defaults_are_safe() -> None:
    settings = RequestLoggingExtension.settings()
    assert settings["format"] == "text"
    assert settings["sample_rate"] == 1.0
    assert settings["log_headers"] == frozenset()
    assert settings["log_body"] is False
    assert settings["exclude_paths"] == ()
    assert settings["success_level"] == logging.INFO


@pytest.mark.parametrize(
    "prefix, headers",
    [
        ("PYTHON_WORKER_EXTENSION_REQUEST_LOGGING_", "LOG_HEADERS"),
        ("REQUEST_LOGGING_", "HEADERS"),  # the first release's names, kept as aliases
    ],
)
def test_options_from_app_settings(
    monkeypatch: pytest.MonkeyPatch, prefix: str, headers: str
) -> None:
    monkeypatch.setenv(f"{prefix}FORMAT", "JSON")
    monkeypatch.setenv(f"{prefix}SAMPLE_RATE", "0.5")
    monkeypatch.setenv(f"{prefix}EXCLUDE_PATHS", "/api/health, /api/ready")
    monkeypatch.setenv(f"{prefix}{headers}", "Accept,User-Agent")
    monkeypatch.setenv(f"{prefix}LOG_BODY", "yes")
    monkeypatch.setenv(f"{prefix}REDACT_NAMES", "ssn")
    settings = RequestLoggingExtension.settings()
    assert settings["format"] == "json"
    assert settings["sample_rate"] == 0.5
    assert settings["exclude_paths"] == ("/api/health", "/api/ready")
    assert settings["log_headers"] == frozenset({"accept", "user-agent"})
    assert settings["log_body"] is True
    assert settings["redact_names"] == ("ssn",)


def test_new_app_setting_name_wins_over_the_first_release_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REQUEST_LOGGING_FORMAT", "text")
    monkeypatch.setenv("REQUEST_LOGGING_HEADERS", "Accept")
    monkeypatch.setenv("PYTHON_WORKER_EXTENSION_REQUEST_LOGGING_FORMAT", "json")
    monkeypatch.setenv("PYTHON_WORKER_EXTENSION_REQUEST_LOGGING_LOG_HEADERS", "X-Request-Id")
    settings = RequestLoggingExtension.settings()
    assert settings["format"] == "json"
    assert settings["log_headers"] == frozenset({"x-request-id"})


def test_bad_value_under_the_new_name_is_reported_by_that_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REQUEST_LOGGING_SAMPLE_RATE", "0.5")
    monkeypatch.setenv("PYTHON_WORKER_EXTENSION_REQUEST_LOGGING_SAMPLE_RATE", "lots")
    with pytest.raises(
        OptionValueError,
        match=r"app setting PYTHON_WORKER_EXTENSION_REQUEST_LOGGING_SAMPLE_RATE='lots'",
    ):
        RequestLoggingExtension.configure()


def test_argument_beats_app_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUEST_LOGGING_FORMAT", "json")
    RequestLoggingExtension.configure(format="text")
    assert RequestLoggingExtension.settings()["format"] == "text"


def test_bad_app_setting_makes_the_extension_inactive_with_an_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("REQUEST_LOGGING_SAMPLE_RATE", "lots")
    assert not RequestLoggingExtension.applies_to("Anything")
    assert "REQUEST_LOGGING_SAMPLE_RATE" in caplog.text
