"""What Core Tools reads from ``local.settings.json`` beyond ``Values``.

``func start`` also honours the ``Host`` section (``LocalHttpPort``, ``CORS``,
``CORSCredentials``) and exports ``ConnectionStrings``. The local host does the same, and
names at start-up every part of the file it cannot honour, so nothing in it is dropped
without a word. Connection string values are secrets: only their names are ever printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, MutableMapping, Optional, Tuple

# The keys Core Tools itself reads at the top level of local.settings.json.
KNOWN_TOP_LEVEL = ("IsEncrypted", "Values", "Host", "ConnectionStrings")
CONNECTION_STRING_PREFIX = "ConnectionStrings:"


class CoreToolsSettingsError(ValueError):
    """A ``Host`` or ``ConnectionStrings`` entry of the wrong type; names the file and fix."""


@dataclass
class CoreToolsSettings:
    """The ``Host`` section and ``ConnectionStrings`` of ``local.settings.json``."""

    local_http_port: Optional[int] = None
    cors: Optional[str] = None  # comma-separated origins, as Core Tools takes them
    cors_credentials: bool = False
    connection_strings: Dict[str, str] = field(default_factory=dict)
    warnings: List[str] = field(default_factory=list)


def _port(path: Path, value: Any) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or not 0 < int(text) < 65536:
        raise CoreToolsSettingsError(
            f"{path}: Host.LocalHttpPort must be a port number from 1 to 65535, got {value!r}. "
            'Fix: write it as a number, e.g. "LocalHttpPort": 7072.'
        )
    return int(text)


def _read_host(path: Path, host: Any, found: CoreToolsSettings) -> None:
    if not isinstance(host, dict):
        raise CoreToolsSettingsError(
            f'{path}: Host must be an object, e.g. "Host": {{"LocalHttpPort": 7071}}'
        )
    for name, value in host.items():
        if name == "LocalHttpPort":
            found.local_http_port = _port(path, value)
        elif name == "CORS":
            if not isinstance(value, str):
                raise CoreToolsSettingsError(
                    f"{path}: Host.CORS must be a string of comma-separated origins, e.g. "
                    '"CORS": "http://localhost:3000,https://example.com"'
                )
            found.cors = value
        elif name == "CORSCredentials":
            if not isinstance(value, bool):
                raise CoreToolsSettingsError(
                    f"{path}: Host.CORSCredentials must be true or false, got {value!r}"
                )
            found.cors_credentials = value
        elif name == "LocalIpAddress":
            found.warnings.append(
                f"{path}: Host.LocalIpAddress is not used: funcext listens on 127.0.0.1. "
                "Fix: pass --host (with --allow-remote for an address beyond this machine)."
            )
        else:
            found.warnings.append(
                f"{path}: Host.{name} is not a setting Core Tools reads, so it is ignored. "
                "Fix: remove it (known: LocalHttpPort, CORS, CORSCredentials)."
            )


def _read_connection_strings(path: Path, strings: Any, found: CoreToolsSettings) -> None:
    if not isinstance(strings, dict):
        raise CoreToolsSettingsError(
            f'{path}: ConnectionStrings must be an object, e.g. {{"MyDb": "Server=..."}}'
        )
    for name, value in strings.items():
        if isinstance(value, dict):  # the {"ConnectionString": ..., "ProviderName": ...} form
            value = value.get("ConnectionString")
        if not isinstance(value, str):
            raise CoreToolsSettingsError(
                f"{path}: ConnectionStrings.{name} must be a string or an object with a "
                '"ConnectionString" string'
            )
        found.connection_strings[str(name)] = value


def read_core_tools_sections(path: Path, data: Mapping[str, Any]) -> CoreToolsSettings:
    """The ``Host`` section, the connection strings and a warning per ignored key."""
    found = CoreToolsSettings()
    if "Host" in data and data["Host"] is not None:
        _read_host(path, data["Host"], found)
    if "ConnectionStrings" in data and data["ConnectionStrings"] is not None:
        _read_connection_strings(path, data["ConnectionStrings"], found)
    for name in data:
        if name not in KNOWN_TOP_LEVEL:
            found.warnings.append(
                f"{path}: the top-level key {name!r} is not one Core Tools reads, so it is "
                "ignored. Fix: move app settings into Values (known keys: "
                f"{', '.join(KNOWN_TOP_LEVEL)})."
            )
    return found


def export_connection_strings(
    found: CoreToolsSettings, environ: MutableMapping[str, str]
) -> Tuple[List[str], List[str]]:
    """Export each as ``ConnectionStrings:<name>``, as Core Tools does; the environment wins.

    Returns the variable names set and the names the environment kept.
    """
    applied: List[str] = []
    kept: List[str] = []
    for name, value in found.connection_strings.items():
        variable = CONNECTION_STRING_PREFIX + name
        if variable in environ:
            kept.append(variable)
            continue
        environ[variable] = value
        applied.append(variable)
    return applied, kept
