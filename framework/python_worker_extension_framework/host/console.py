"""What the host prints: lines shaped like ``func start``'s, so its users feel at home.

Everything goes through the ``funcext`` logger to one console handler on the root logger, so
the function's own ``logging`` calls and the extensions' records appear in the same stream,
in order, with the same time stamps.
"""

from __future__ import annotations

import datetime
import logging
import sys
from typing import IO, Any, List, Optional, Sequence

from ..core import _registry as registry
from ..core import format_hook_chain
from ..core.gating import SETTING, is_true_like, worker_runs_extensions
from ..wrapper import is_wrapped
from .loader import FunctionSpec
from .settings import AppSettings

LOGGER_NAME = "funcext"
log = logging.getLogger(LOGGER_NAME)


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
        text = super().format(record)
        return f"[{stamp:%Y-%m-%dT%H:%M:%S}.{stamp.microsecond // 1000:03d}Z] {text}"


def install_console(verbose: bool = False, stream: Optional[IO[str]] = None) -> logging.Handler:
    """One handler on the root logger; INFO and up (DEBUG with ``verbose``)."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(_Formatter("%(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("uvicorn", "uvicorn.error", "uvicorn.access", "asyncio", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler


def describe_function(spec: FunctionSpec, base_url: str, url_path: Optional[str]) -> str:
    if spec.is_http and url_path is not None:
        methods = ",".join(spec.methods or ["ALL"])
        return f"{spec.name}: [{methods}] {base_url}{url_path}"
    return f"{spec.name}: {spec.trigger_type}"


def print_functions(lines: List[str]) -> None:
    log.info("Functions:")
    for line in lines:
        log.info("        %s", line)
    log.info('For non-HTTP functions: POST %s with {"input": ...}', "/admin/functions/<name>")


def print_chain(specs: List[FunctionSpec]) -> None:
    """``--verbose``: registered extensions and each function's hook chain."""
    names = [
        cls.__name__
        for cls in registry.app_extensions()
        if not getattr(cls, "_framework_internal", False)
    ]
    log.info("Registered app-level extensions: %s", ", ".join(names) or "none")
    for spec in specs:
        log.info("Hook chain of %s:\n%s", spec.name, format_hook_chain(spec.name))


def start_warnings(
    settings: AppSettings, python_version: Any = None, functions: Sequence[FunctionSpec] = ()
) -> List[str]:
    """Problems that would make the app behave differently in Azure, each with its fix.

    ``functions`` are the app's loaded functions: on Python 3.13+ the ones not wrapped by the
    in-function wrapper are named (an app whose functions are all wrapped gets no warning).
    """
    version = tuple(python_version or sys.version_info[:2])
    warnings: List[str] = []
    value = settings.extensions_setting_in_values
    if value is None or not is_true_like(value):
        where = "local.settings.json" if settings.has_local_settings else "a local.settings.json"
        state = "is not set" if value is None else f"is {value!r}, which is off"
        warnings.append(
            f"{SETTING} {state} in {where}, so in Azure this app runs without its worker "
            f'extensions (Python 3.10-3.12 need it). Fix: add "{SETTING}": "1" to Values '
            "there and to the function app's application settings."
        )
    unwrapped = [spec.name for spec in functions if not is_wrapped(spec.function)]
    if not worker_runs_extensions((int(version[0]), int(version[1]))) and (
        unwrapped or not functions
    ):
        which = f" ({', '.join(unwrapped)} not wrapped)" if unwrapped else ""
        warnings.append(
            f"Python {version[0]}.{version[1]}: the Azure Functions worker for 3.13 and later "
            f"runs no worker extensions{which}. Fix: wrap the app with ExtensionsFunctionApp or "
            "wrap_app (v2), or main with @with_extensions (v1), from "
            "python_worker_extension_framework: they run the extensions inside each function."
        )
    for extension in _unconfigured_extensions():
        warnings.append(
            f"{extension.__name__} is imported but {extension.__name__}.configure() is never "
            "called; it runs with its defaults. Fix: call configure() after the import, as "
            "its readme shows."
        )
    return warnings


def _unconfigured_extensions() -> List[Any]:
    from ..toolkit import WorkerExtension

    return [
        cls
        for cls in registry.app_extensions()
        if issubclass(cls, WorkerExtension) and not cls.is_configured()
    ]


def executing(function_name: str, invocation_id: str, reason: str) -> None:
    log.info("Executing 'Functions.%s' (Reason='%s', Id=%s)", function_name, reason, invocation_id)


def executed(
    function_name: str, invocation_id: str, succeeded: bool, seconds: float, detail: str = ""
) -> None:
    status = "Succeeded" if succeeded else "Failed"
    extra = f", {detail}" if detail else ""
    level = logging.INFO if succeeded else logging.ERROR
    log.log(
        level,
        "Executed 'Functions.%s' (%s, Id=%s, Duration=%dms%s)",
        function_name,
        status,
        invocation_id,
        round(seconds * 1000),
        extra,
    )
