"""local.settings.json beyond Values (Host, ConnectionStrings), CORS policies, system logs."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Dict, Iterator

import pytest
from python_worker_extension_framework.core.hooks import worker_extension_logger_name
from python_worker_extension_framework.host import console
from python_worker_extension_framework.host.cors import CorsConfigError, CorsPolicy
from python_worker_extension_framework.host.settings import (
    AppConfigError,
    apply_environment,
    load_settings,
)


def write_settings(folder: Path, data: object) -> None:
    (folder / "local.settings.json").write_text(json.dumps(data))


def test_host_section_is_read(tmp_path: Path) -> None:
    write_settings(
        tmp_path,
        {
            "Values": {},
            "Host": {"LocalHttpPort": 7099, "CORS": "http://a.test", "CORSCredentials": True},
        },
    )
    core_tools = load_settings(tmp_path).core_tools
    assert core_tools.local_http_port == 7099
    assert core_tools.cors == "http://a.test"
    assert core_tools.cors_credentials is True
    assert core_tools.warnings == []


def test_unknown_keys_are_named_not_dropped(tmp_path: Path) -> None:
    write_settings(
        tmp_path,
        {"Values": {}, "Host": {"LocalIpAddress": "0.0.0.0", "Port": 1}, "Extras": {}},
    )
    warnings = "\n".join(load_settings(tmp_path).core_tools.warnings)
    assert "Host.LocalIpAddress is not used" in warnings and "--host" in warnings
    assert "Host.Port is not a setting Core Tools reads" in warnings
    assert "the top-level key 'Extras' is not one Core Tools reads" in warnings


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ({"LocalHttpPort": "seven"}, r"LocalHttpPort must be a port number.*Fix"),
        ({"LocalHttpPort": 70000}, r"LocalHttpPort must be a port number"),
        ({"CORS": ["http://a.test"]}, r"CORS must be a string of comma-separated origins"),
        ({"CORSCredentials": "yes"}, r"CORSCredentials must be true or false"),
    ],
)
def test_bad_host_entries_stop_with_the_file_and_fix(
    tmp_path: Path, host: Dict[str, object], problem: str
) -> None:
    write_settings(tmp_path, {"Values": {}, "Host": host})
    with pytest.raises(AppConfigError, match=problem):
        load_settings(tmp_path)


def test_connection_strings_are_exported_and_the_environment_wins(tmp_path: Path) -> None:
    write_settings(
        tmp_path,
        {
            "Values": {},
            "ConnectionStrings": {
                "Db": "Server=db;Password=secret",
                "Other": {"ConnectionString": "Server=other", "ProviderName": "System.Data"},
                "Kept": "from-file",
            },
        },
    )
    settings = load_settings(tmp_path)
    environ = {"ConnectionStrings:Kept": "from-environment"}
    apply_environment(settings, environ)
    assert environ["ConnectionStrings:Db"] == "Server=db;Password=secret"
    assert environ["ConnectionStrings:Other"] == "Server=other"
    assert environ["ConnectionStrings:Kept"] == "from-environment"
    assert "ConnectionStrings:Kept" in settings.overridden


def test_cors_policy_echoes_listed_origins_only() -> None:
    policy = CorsPolicy.parse("http://localhost:3000, https://App.Example/", credentials=True)
    assert policy.allows("https://app.example")
    assert not policy.allows("http://evil.test")
    headers = dict(policy.preflight_headers("http://localhost:3000", "PUT", "content-type"))
    assert headers == {
        b"access-control-allow-origin": b"http://localhost:3000",
        b"vary": b"Origin",
        b"access-control-allow-credentials": b"true",
        b"access-control-allow-methods": b"PUT",
        b"access-control-allow-headers": b"content-type",
    }
    assert policy.response_headers("http://evil.test") == []


def test_cors_wildcard_answers_star() -> None:
    policy = CorsPolicy.parse("*")
    assert dict(policy.response_headers("http://any.test")) == {
        b"access-control-allow-origin": b"*"
    }


def test_cors_wildcard_with_credentials_and_bare_hosts_are_refused() -> None:
    with pytest.raises(CorsConfigError, match=r"forbids.*Fix: list the origins"):
        CorsPolicy.parse("*", credentials=True)
    with pytest.raises(CorsConfigError, match=r"'localhost:3000' has no scheme"):
        CorsPolicy.parse("localhost:3000")


@pytest.fixture
def console_stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    stream = io.StringIO()
    yield stream
    for handler in list(root.handlers):
        if handler not in before[0]:
            root.removeHandler(handler)
    root.setLevel(before[1])


@pytest.mark.parametrize("verbose", [False, True])
def test_worker_logger_lines_are_system_lines(console_stream: io.StringIO, verbose: bool) -> None:
    console.install_console(verbose=verbose, stream=console_stream)
    logging.getLogger(worker_extension_logger_name("Probe")).info("from the hook logger")
    logging.getLogger("python_worker_extension_probe").info("from its own logger")
    logging.getLogger("azure_functions_worker").error("a load hook failed")
    lines = console_stream.getvalue().splitlines()
    assert any(line.endswith("] from its own logger") for line in lines)
    system = [line for line in lines if "hook logger" in line or "load hook" in line]
    if verbose:
        assert len(system) == 2
        assert all("] [System] " in line for line in system)
        assert "\x1b[" not in console_stream.getvalue()  # not a terminal: no colour codes
    else:
        assert system == []
        # the hidden error is stood for by a hint, once, without its text
        assert sum("Run with --verbose to see it" in line for line in lines) == 1


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_system_lines_are_dimmed_on_a_terminal(
    console_stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = _Terminal()
    console.install_console(verbose=True, stream=terminal)
    logging.getLogger(worker_extension_logger_name("Probe")).info("dim me")
    logging.getLogger("python_worker_extension_probe").info("not me")
    text = terminal.getvalue()
    assert "\x1b[2m[System] dim me\x1b[0m" in text
    assert "] not me" in text and text.count("\x1b[2m") == 1
