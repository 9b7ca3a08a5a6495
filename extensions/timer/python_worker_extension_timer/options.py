"""The timer's options, their checks, and the ``Plan`` compiled from them.

Every option can also come from an app setting named ``PYTHON_WORKER_EXTENSION_TIMER_``
plus the option's name in capitals; an argument to ``configure()`` wins over the app
setting, which wins over the default. Values are checked when ``configure()`` runs (or,
unconfigured, when the app settings are first read), so a mistake names the option at
import time instead of surfacing on the first request.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from python_worker_extension_framework.toolkit import Option

APP_SETTING_PREFIX = "PYTHON_WORKER_EXTENSION_TIMER_"
DEFAULT_SERVER_TIMING_METRIC = "function"

# A Server-Timing metric name is an HTTP token (RFC 9110, section 5.6.2).
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _app_setting(option_name: str) -> str:
    return APP_SETTING_PREFIX + option_name.upper()


def _metric_name(value: str) -> str:
    if not _TOKEN.fullmatch(value):
        raise ValueError(
            "a Server-Timing metric name is an HTTP token: letters, digits and "
            "!#$%&'*+-.^_`|~ only, no spaces or separators, e.g. 'function'"
        )
    return value


def _threshold(value: float) -> float:
    if not math.isfinite(value) or value <= 0:
        raise ValueError("use a number of milliseconds greater than 0, or None for no threshold")
    return float(value)


OPTIONS = (
    Option(
        "append_to_http_response",
        bool,
        False,
        env=_app_setting("append_to_http_response"),
        doc="Append ' (TimeElapsed: <seconds> sec)' to text/* HTTP bodies and set the "
        "X-Time-Elapsed header on every HTTP response.",
    ),
    Option(
        "add_server_timing_header",
        bool,
        False,
        env=_app_setting("add_server_timing_header"),
        doc="Add '<metric>;dur=<milliseconds>' to the response's Server-Timing header.",
    ),
    Option(
        "server_timing_metric",
        str,
        DEFAULT_SERVER_TIMING_METRIC,
        env=_app_setting("server_timing_metric"),
        doc="The metric name in the Server-Timing header (an HTTP token).",
        check=_metric_name,
    ),
    Option(
        "slow_threshold_ms",
        float,
        None,
        env=_app_setting("slow_threshold_ms"),
        doc="Invocations slower than this many milliseconds log at WARNING instead of INFO.",
        check=_threshold,
    ),
)


@dataclass(frozen=True)
class Plan:
    """The settings in the form the hot path uses them, built once per ``configure()``."""

    append_to_http_response: bool = False
    server_timing_metric: Optional[str] = None  # None: no Server-Timing header
    slow_threshold_seconds: Optional[float] = None
    # Whether an HTTP response needs to be looked for at all (derived, not an argument;
    # a field rather than a property, as the post hook reads it on every invocation).
    touches_response: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        touches = self.append_to_http_response or self.server_timing_metric is not None
        object.__setattr__(self, "touches_response", touches)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Plan:
        threshold_ms = settings["slow_threshold_ms"]
        return cls(
            append_to_http_response=settings["append_to_http_response"],
            server_timing_metric=(
                settings["server_timing_metric"] if settings["add_server_timing_header"] else None
            ),
            slow_threshold_seconds=None if threshold_ms is None else threshold_ms / 1000.0,
        )
