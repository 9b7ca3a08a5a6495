"""The app folder's own configuration: ``host.json`` and ``local.settings.json``.

Read as the Functions host reads them for a local run: ``extensions.http.routePrefix``
(default ``api``) and ``functionTimeout`` from ``host.json``; the ``Values`` of
``local.settings.json`` become environment variables unless a variable of that name is
already set (the environment wins, as with ``func start``). An encrypted settings file is
refused: its values are only readable with the machine key Core Tools encrypted them with.
The file's ``Host`` section and ``ConnectionStrings`` are read by ``core_tools.py``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, MutableMapping, Optional

from ..core.gating import SETTING
from ..retry_policy import RetryPolicyError
from ..retry_policy.parsing import parse_timespan
from .core_tools import (
    CoreToolsSettings,
    CoreToolsSettingsError,
    export_connection_strings,
    read_core_tools_sections,
)

DEFAULT_ROUTE_PREFIX = "api"
# The Consumption plan's default; host.json may set another value, or -1 for none.
DEFAULT_FUNCTION_TIMEOUT = 300.0


class AppConfigError(Exception):
    """The app folder's configuration cannot be used; the message names the file and fix."""


@dataclass
class AppSettings:
    """What the host needs from the app folder's configuration files."""

    app_dir: Path
    route_prefix: str = DEFAULT_ROUTE_PREFIX
    function_timeout: Optional[float] = DEFAULT_FUNCTION_TIMEOUT  # None: no limit
    values: Dict[str, str] = field(default_factory=dict)
    has_local_settings: bool = False
    applied: List[str] = field(default_factory=list)  # names set from Values
    overridden: List[str] = field(default_factory=list)  # names the environment kept
    core_tools: CoreToolsSettings = field(default_factory=CoreToolsSettings)

    @property
    def extensions_setting_in_values(self) -> Optional[str]:
        """``PYTHON_ENABLE_WORKER_EXTENSIONS`` as local.settings.json sets it (None: absent)."""
        return self.values.get(SETTING)


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise AppConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise AppConfigError(
            f"{path}, line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})"
        ) from None


def _read_object(path: Path) -> Optional[Dict[str, Any]]:
    """The file's JSON object, or None when there is no such file."""
    if not path.is_file():
        return None
    data = _read_json(path)
    if not isinstance(data, dict):
        raise AppConfigError(f"{path}: the top level must be a JSON object")
    return data


def read_host_json(app_dir: Path, settings: AppSettings) -> None:
    path = app_dir / "host.json"
    data = _read_object(path)
    if data is None:
        return
    http = (data.get("extensions") or {}).get("http") or {}
    if not isinstance(http, dict):
        raise AppConfigError(f"{path}: extensions.http must be an object")
    prefix = http.get("routePrefix", DEFAULT_ROUTE_PREFIX)
    if not isinstance(prefix, str):
        raise AppConfigError(f"{path}: extensions.http.routePrefix must be a string")
    settings.route_prefix = prefix.strip("/")
    timeout = data.get("functionTimeout")
    if timeout is not None:
        settings.function_timeout = _timeout(path, timeout)


def _timeout(path: Path, value: Any) -> Optional[float]:
    if str(value).strip() == "-1":
        return None
    try:
        seconds = parse_timespan(value, field_name="functionTimeout")
    except RetryPolicyError as exc:
        raise AppConfigError(f"{path}: {exc}") from None
    if seconds <= 0:
        raise AppConfigError(f"{path}: functionTimeout must be positive or -1, got {value!r}")
    return seconds


def read_local_settings(app_dir: Path, settings: AppSettings) -> None:
    path = app_dir / "local.settings.json"
    data = _read_object(path)
    if data is None:
        return
    if data.get("IsEncrypted") is True:
        raise AppConfigError(
            f"{path}: IsEncrypted is true, so its values can only be read with the key "
            "Core Tools encrypted them with. Run `func settings decrypt` in the app folder, "
            "or set IsEncrypted to false and write the values in plain text."
        )
    values = data.get("Values") or {}
    if not isinstance(values, dict):
        raise AppConfigError(f"{path}: Values must be an object of name/value strings")
    for name, value in values.items():
        if isinstance(value, (dict, list)):
            raise AppConfigError(
                f"{path}: Values.{name} must be a string, not {type(value).__name__}"
            )
        settings.values[str(name)] = "" if value is None else str(value)
    try:
        settings.core_tools = read_core_tools_sections(path, data)
    except CoreToolsSettingsError as exc:
        raise AppConfigError(str(exc)) from None
    settings.has_local_settings = True


def load_settings(app_dir: Path) -> AppSettings:
    """Read both files; raises ``AppConfigError`` with the file, position and fix."""
    settings = AppSettings(app_dir=app_dir)
    read_host_json(app_dir, settings)
    read_local_settings(app_dir, settings)
    return settings


def apply_environment(
    settings: AppSettings, environ: Optional[MutableMapping[str, str]] = None
) -> None:
    """Export ``Values`` and ``ConnectionStrings`` (existing variables win) and
    ``AzureWebJobsScriptRoot``."""
    env = os.environ if environ is None else environ
    for name, value in settings.values.items():
        if name in env:
            settings.overridden.append(name)
            continue
        env[name] = value
        settings.applied.append(name)
    applied, kept = export_connection_strings(settings.core_tools, env)
    settings.applied += applied
    settings.overridden += kept
    env["AzureWebJobsScriptRoot"] = str(settings.app_dir)
