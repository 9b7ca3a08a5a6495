"""The app folder's own configuration: ``host.json`` and ``local.settings.json``.

Read as the Functions host reads them for a local run: ``extensions.http.routePrefix``
(default ``api``) and ``functionTimeout`` from ``host.json``; the ``Values`` of
``local.settings.json`` become environment variables unless a variable of that name is
already set (the environment wins, as with ``func start``). An encrypted settings file is
refused: its values are only readable with the machine key Core Tools encrypted them with.
The file's ``Host`` section and ``ConnectionStrings`` are read by ``core_tools.py``.

Every section either file is known to have is checked for its JSON type, and
``extensionBundle`` for its ``id`` and version range, so a mistake is named at start (file,
key, what was found, what is expected) instead of surfacing as a traceback or not at all.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, MutableMapping, Optional, Tuple

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


_JSON_TYPE_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "true or false",
    int: "a number",
    float: "a number",
}
# host.json's sections and the JSON types the Functions host accepts for them.
_HOST_JSON_SECTIONS: Dict[str, Tuple[type, ...]] = {
    "version": (str,),
    "extensions": (dict,),
    "extensionBundle": (dict,),
    "logging": (dict,),
    "functionTimeout": (str, int, float),
    "functions": (list,),
    "healthMonitor": (dict,),
    "managedDependency": (dict,),
    "retry": (dict,),
    "singleton": (dict,),
    "aggregator": (dict,),
    "concurrency": (dict,),
    "customHandler": (dict,),
    "watchDirectories": (list,),
    "watchFiles": (list,),
}
# local.settings.json's sections.
_LOCAL_SETTINGS_SECTIONS: Dict[str, Tuple[type, ...]] = {
    "IsEncrypted": (bool,),
    "Values": (dict,),
    "Host": (dict,),
    "ConnectionStrings": (dict,),
}
_BUNDLE_EXAMPLE = (
    '"extensionBundle": {"id": "Microsoft.Azure.Functions.ExtensionBundle", '
    '"version": "[4.*, 5.0.0)"}'
)
_VERSION = r"\d+(?:\.(?:\d+|\*)){0,3}(?:-[0-9A-Za-z.-]+)?"
# NuGet version ranges as bundles use them: "[4.*, 5.0.0)", "[1.0]", "4.0.0".
_VERSION_RANGE = re.compile(
    rf"(?:[\[(]\s*(?:{_VERSION})?\s*,\s*(?:{_VERSION})?\s*[\])]|\[\s*{_VERSION}\s*\]|{_VERSION})"
)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _check_types(path: Path, data: Dict[str, Any], sections: Dict[str, Tuple[type, ...]]) -> None:
    for key, kinds in sections.items():
        value = data.get(key)
        if value is None or (isinstance(value, kinds) and not _is_bool_for_number(value, kinds)):
            continue
        expected = " or ".join(dict.fromkeys(_JSON_TYPE_NAMES[kind] for kind in kinds))
        found = f"{_type_name(value)} {json.dumps(value)[:60]}"
        raise AppConfigError(f"{path}: {key} must be {expected}, not {found}")


def _is_bool_for_number(value: Any, kinds: Tuple[type, ...]) -> bool:
    return isinstance(value, bool) and bool not in kinds


def _check_extension_bundle(path: Path, bundle: Dict[str, Any]) -> None:
    problem = None
    bundle_id, version = bundle.get("id"), bundle.get("version")
    if not isinstance(bundle_id, str) or not bundle_id.strip():
        problem = f"extensionBundle.id must be a non-empty string, not {json.dumps(bundle_id)}"
    elif not isinstance(version, str) or not _VERSION_RANGE.fullmatch(version.strip()):
        problem = (
            f'extensionBundle.version must be a version range such as "[4.*, 5.0.0)", '
            f"not {json.dumps(version)}"
        )
    if problem:
        raise AppConfigError(f"{path}: {problem}. A bundle reads: {_BUNDLE_EXAMPLE}")


def read_host_json(app_dir: Path, settings: AppSettings) -> None:
    path = app_dir / "host.json"
    data = _read_object(path)
    if data is None:
        return
    _check_types(path, data, _HOST_JSON_SECTIONS)
    if "extensionBundle" in data:
        _check_extension_bundle(path, data["extensionBundle"])
    extensions = data.get("extensions") or {}
    for name, section in extensions.items():
        if not isinstance(section, dict):
            raise AppConfigError(
                f"{path}: extensions.{name} must be an object, not {_type_name(section)} "
                f"{json.dumps(section)[:60]}"
            )
    http = extensions.get("http") or {}
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
    if isinstance(data.get("IsEncrypted"), str):
        raise AppConfigError(
            f"{path}: IsEncrypted must be true or false without quotes, not the string "
            f'{json.dumps(data["IsEncrypted"])[:40]}. Write "IsEncrypted": false for values '
            "in plain text."
        )
    _check_types(path, data, _LOCAL_SETTINGS_SECTIONS)
    if data.get("IsEncrypted") is True:
        raise AppConfigError(
            f"{path}: IsEncrypted is true, so its values can only be read with the key "
            "Core Tools encrypted them with. Run `func settings decrypt` in the app folder, "
            "or set IsEncrypted to false and write the values in plain text."
        )
    values = data.get("Values") or {}
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
