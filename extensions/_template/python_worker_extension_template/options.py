"""The template's options, their checks, and the ``Plan`` compiled from them.

Every option with an app setting reads ``PYTHON_WORKER_EXTENSION_TEMPLATE_`` plus the
option's name in capitals; an argument to ``configure()`` wins over the app setting, which
wins over the default. Checks run when ``configure()`` runs (or, unconfigured, when the app
settings are first read), so a mistake names the option at import time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Mapping

from python_worker_extension_framework.toolkit import Option

APP_SETTING_PREFIX = "PYTHON_WORKER_EXTENSION_TEMPLATE_"
LEVEL_NAMES = ("DEBUG", "INFO", "WARNING", "ERROR")


def _app_setting(option_name: str) -> str:
    return APP_SETTING_PREFIX + option_name.upper()


def _level_name(value: str) -> str:
    name = value.strip().upper()
    if name not in LEVEL_NAMES:
        raise ValueError(f"use one of {', '.join(map(repr, LEVEL_NAMES))}")
    return name


OPTIONS = (
    Option(
        "level",
        str,
        "INFO",
        env=_app_setting("level"),
        doc="The level of the line logged for each invocation: DEBUG, INFO, WARNING or ERROR.",
        check=_level_name,
    ),
)


@dataclass(frozen=True)
class Plan:
    """The settings in the form the hooks use them, built once per ``configure()``."""

    level: int = logging.INFO

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Plan:
        return cls(level=logging.getLevelName(settings["level"]))
