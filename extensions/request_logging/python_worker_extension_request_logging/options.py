"""The extension's options, their checks, and the ``Plan`` compiled from them.

Every option with an app setting reads ``PYTHON_WORKER_EXTENSION_REQUEST_LOGGING_`` plus the
option's name in capitals; the names of the first release (``REQUEST_LOGGING_*``) stay
working as aliases, and the new name wins when both are set. Every check runs in
``configure()`` (or when the app settings are first read), so a bad value fails at import
time with a message naming the option, not on the first request.
"""

from __future__ import annotations

import fnmatch
import logging
import re
from dataclasses import dataclass
from typing import Any, Callable, FrozenSet, Mapping, Optional, Tuple
from urllib.parse import unquote

from python_worker_extension_framework.toolkit import Option, redaction

from .sampling import TRACE_SAMPLING_MODES

APP_SETTING_PREFIX = "PYTHON_WORKER_EXTENSION_REQUEST_LOGGING_"
LEGACY_APP_SETTING_PREFIX = "REQUEST_LOGGING_"
FORMATS = ("text", "json")
OUTCOMES = ("success", "client_error", "server_error", "exception")
MAX_BODY_CHARS_LIMIT = 65536
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _app_setting(option_name: str) -> str:
    return APP_SETTING_PREFIX + option_name.upper()


def _first_release_name(option_name: str) -> Tuple[str]:
    """The name the first release read this option from, kept working as an alias."""
    return (LEGACY_APP_SETTING_PREFIX + option_name.upper(),)


def _choice(allowed: Tuple[str, ...]) -> Callable[[str], str]:
    def check(value: str) -> str:
        lowered = value.strip().lower()
        if lowered not in allowed:
            raise ValueError(f"use one of {', '.join(map(repr, allowed))}")
        return lowered

    return check


def _rate(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError("use a fraction from 0.0 (log no successes) to 1.0 (log all)")
    return float(value)


def _level(value: Any) -> int:
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a logging level is 0 or more, e.g. logging.INFO")
        return value
    level = logging.getLevelName(value.strip().upper())
    if not isinstance(level, int):
        raise ValueError("use a logging level such as logging.INFO or 'WARNING'")
    return level


def _strings(value: Any) -> Tuple[str, ...]:
    """A comma-separated string (as app settings give it) or a collection of strings."""
    items = value.split(",") if isinstance(value, str) else list(value)
    bad = [item for item in items if not isinstance(item, str)]
    if bad:
        raise ValueError(f"every entry must be a string, got {bad[0]!r}")
    return tuple(item.strip() for item in items if item.strip())


def _header_allow_list(value: Any) -> FrozenSet[str]:
    names = _strings(value)
    bad = [name for name in names if not _HEADER_NAME.fullmatch(name)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a header name")
    return frozenset(name.lower() for name in names)


def _paths(value: Any) -> Tuple[str, ...]:
    paths = _strings(value)
    bad = [path for path in paths if not path.startswith(("/", "*"))]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a URL path; paths start with '/', e.g. '/api/health'")
    return paths


def _patterns(value: Any) -> Tuple[str, ...]:
    # A string is one pattern (a comma is common inside one: ``{20,}``); join several
    # with ``|``.
    patterns = (value,) if isinstance(value, str) else tuple(value)
    redaction.compile_patterns(patterns)  # raises ValueError naming the bad pattern
    return tuple(p if isinstance(p, str) else p.pattern for p in patterns)


def _body_cap(value: int) -> int:
    if not 1 <= value <= MAX_BODY_CHARS_LIMIT:
        raise ValueError(f"use 1 to {MAX_BODY_CHARS_LIMIT} characters")
    return value


OPTIONS = (
    Option(
        "format",
        str,
        "text",
        env=_app_setting("format"),
        aliases=_first_release_name("format"),
        doc="'text' (one access-log line) or 'json' (one JSON object per record).",
        check=_choice(FORMATS),
    ),
    Option(
        "sample_rate",
        float,
        1.0,
        env=_app_setting("sample_rate"),
        aliases=_first_release_name("sample_rate"),
        doc="Fraction of successful invocations logged; failures are always logged.",
        check=_rate,
    ),
    Option(
        "trace_sampling",
        str,
        "request",
        env=_app_setting("trace_sampling"),
        aliases=_first_release_name("trace_sampling"),
        doc="Whose traceparent sampled flag overrides sample_rate: 'request', 'context', 'off'.",
        check=_choice(TRACE_SAMPLING_MODES),
    ),
    Option(
        "success_level",
        (int, str),
        logging.INFO,
        doc="Level of 1xx-3xx responses and successful non-HTTP invocations.",
        check=_level,
    ),
    Option("client_error_level", (int, str), logging.WARNING, doc="Level of 4xx.", check=_level),
    Option("server_error_level", (int, str), logging.ERROR, doc="Level of 5xx.", check=_level),
    Option(
        "exception_level",
        (int, str),
        logging.ERROR,
        doc="Level of invocations that raised.",
        check=_level,
    ),
    Option(
        "exclude_paths",
        (tuple, list, str),
        (),
        env=_app_setting("exclude_paths"),
        aliases=_first_release_name("exclude_paths"),
        doc="URL paths never logged ('/api/health', wildcards: '/api/internal/*').",
        check=_paths,
    ),
    Option(
        "log_headers",
        (tuple, list, set, frozenset, str),
        frozenset(),
        env=_app_setting("log_headers"),
        aliases=_first_release_name("headers"),
        doc="Allow-list of request and response headers to log; secret ones stay masked.",
        check=_header_allow_list,
    ),
    Option(
        "log_body",
        bool,
        False,
        env=_app_setting("log_body"),
        aliases=_first_release_name("log_body"),
        doc="Log redacted request and response bodies, capped at max_body_chars.",
    ),
    Option(
        "max_body_chars",
        int,
        1024,
        env=_app_setting("max_body_chars"),
        aliases=_first_release_name("max_body_chars"),
        doc=f"Cap on each logged body, 1 to {MAX_BODY_CHARS_LIMIT} characters.",
        check=_body_cap,
    ),
    Option(
        "redact_names",
        (tuple, list, set, frozenset, str),
        (),
        env=_app_setting("redact_names"),
        aliases=_first_release_name("redact_names"),
        doc="More query, header, form and JSON key names to mask (added to the built-ins).",
        check=_strings,
    ),
    Option(
        "redact_patterns",
        (tuple, list, str),
        (),
        env=_app_setting("redact_patterns"),
        doc="Regular expressions of secret values, masked wherever they appear (added).",
        check=_patterns,
    ),
)


def _path_matcher(patterns: Tuple[str, ...]) -> Optional[Callable[[str], bool]]:
    if not patterns:
        return None
    regex = re.compile(
        "|".join(fnmatch.translate(_normal_path(pattern)) for pattern in patterns), re.DOTALL
    )

    def excluded(path: str) -> bool:
        return regex.match(_normal_path(path)) is not None

    return excluded


def _normal_path(path: str) -> str:
    return unquote(path).lower().rstrip("/") or "/"


@dataclass(frozen=True)
class Plan:
    """The settings in the form the hot path uses them, built once per ``configure()``."""

    json: bool
    sample_rate: float
    trace_sampling: str
    levels: Mapping[str, int]
    excluded_path: Optional[Callable[[str], bool]]
    header_allow: FrozenSet[str]
    log_body: bool
    max_body_chars: int
    redactor: redaction.Redactor

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Plan:
        return cls(
            json=settings["format"] == "json",
            sample_rate=settings["sample_rate"],
            trace_sampling=settings["trace_sampling"],
            levels={
                "success": settings["success_level"],
                "client_error": settings["client_error_level"],
                "server_error": settings["server_error_level"],
                "exception": settings["exception_level"],
            },
            excluded_path=_path_matcher(tuple(settings["exclude_paths"])),
            header_allow=frozenset(settings["log_headers"]),
            log_body=settings["log_body"],
            max_body_chars=settings["max_body_chars"],
            redactor=redaction.Redactor(settings["redact_names"], settings["redact_patterns"]),
        )
