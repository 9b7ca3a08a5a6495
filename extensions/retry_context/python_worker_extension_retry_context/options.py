"""The retry-context extension's options, their checks, and the ``Plan`` compiled from them.

``log_first_attempt`` can also come from the app setting
``PYTHON_WORKER_EXTENSION_RETRY_CONTEXT_LOG_FIRST_ATTEMPT``; the callbacks cannot. The
callbacks are checked when ``configure()`` runs: each must be callable with the arguments
the extension passes, so a wrong signature fails at import, not on the first retry in
production.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional

from python_worker_extension_framework.toolkit import Option

APP_SETTING_PREFIX = "PYTHON_WORKER_EXTENSION_RETRY_CONTEXT_"


def _app_setting(option_name: str) -> str:
    return APP_SETTING_PREFIX + option_name.upper()


def _callback(*parameters: str) -> Callable[[Any], Any]:
    """A check that a value is callable with ``parameters`` as positional arguments."""
    call = f"({', '.join(parameters)})"

    def check(value: Any) -> Any:
        if not callable(value):
            raise ValueError(f"must be a callable taking {call}")
        # An object whose __call__ is async is as unusable as an async function.
        if inspect.iscoroutinefunction(value) or inspect.iscoroutinefunction(type(value).__call__):
            raise ValueError(
                "must be a plain function: worker hooks are never awaited, so an async "
                "callback would never run"
            )
        try:
            signature = inspect.signature(value)
        except (TypeError, ValueError):
            return value  # a builtin or extension type without a signature: trust it
        try:
            signature.bind(*parameters)
        except TypeError as exc:
            raise ValueError(
                f"must accept {len(parameters)} positional arguments {call}, "
                f"but its signature is {signature} ({exc})"
            ) from None
        return value

    return check


OPTIONS = (
    Option(
        "on_retry",
        object,
        None,
        doc="Called as on_retry(info, context) before a retry (not a first attempt) runs.",
        check=_callback("info", "context"),
    ),
    Option(
        "on_final_failure",
        object,
        None,
        doc="Called as on_final_failure(info, context, exception) once, when the final "
        "attempt raises (needs the framework's error phase).",
        check=_callback("info", "context", "exception"),
    ),
    Option(
        "log_first_attempt",
        bool,
        False,
        env=_app_setting("log_first_attempt"),
        doc="Also log a line for first attempts (every invocation's first try).",
    ),
)


@dataclass(frozen=True)
class Plan:
    """The settings in the form the hooks use them, built once per ``configure()``."""

    on_retry: Optional[Callable[..., Any]] = None
    on_final_failure: Optional[Callable[..., Any]] = None
    log_first_attempt: bool = False

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Plan:
        return cls(
            on_retry=settings["on_retry"],
            on_final_failure=settings["on_final_failure"],
            log_first_attempt=settings["log_first_attempt"],
        )
