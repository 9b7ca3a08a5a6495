"""The host's settings: host.json and local.settings.json read as the Functions host reads them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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
