"""What the host prints: lines shaped like ``func start``'s, so its users feel at home.

Everything goes through the ``funcext`` logger to one console handler on the root logger, so
the function's own ``logging`` calls and the extensions' records appear in the same stream,
in order, with the same time stamps. Records Azure sends to the system log are hidden, or
tagged with ``--verbose`` (``system_logs.py``). Every line, traceback included, passes
through the framework's redaction first: a URL with ``?code=...``, a connection string in
an exception message or a token the function logged never reaches the console.

The host's own per-invocation lines (Executing/Executed) are the console's hot path: they
skip the stack walk, and skip the redaction scan when their fixed text is known to come
out of it unchanged; ``ConsoleHandler`` writes the lines of one event-loop round together.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import math
import re
import sys
import threading
import time
from typing import IO, Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..core import _registry as registry
from ..core import format_hook_chain
from ..core.gating import SETTING, is_true_like, worker_runs_extensions
from ..toolkit import redaction
from ..toolkit.logs import emit
from . import system_logs
from .loader import FunctionSpec
from .settings import AppSettings

LOGGER_NAME = "funcext"
REPEAT_INTERVAL_SECONDS = 60.0
log = logging.getLogger(LOGGER_NAME)


class OncePerInterval(logging.Filter):
    """Lets each kind of record through at most once per ``interval`` seconds and counts
    the rest, so a flood of bad requests cannot flood the console. ``kind`` names a
    record's kind (None: not limited); the next record of a kind that gets through says
    how many of that kind were held back."""

    def __init__(
        self,
        kind: Callable[[logging.LogRecord], Optional[str]],
        interval: float = REPEAT_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.kind = kind
        self.interval = interval
        self.clock = clock
        self.held_back: Dict[str, int] = {}
        self._last: Dict[str, float] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        kind = self.kind(record)
        if kind is None:
            return True
        with self._lock:
            now = self.clock()
            last = self._last.get(kind)
            if last is not None and now - last < self.interval:
                self.held_back[kind] = self.held_back.get(kind, 0) + 1
                return False
            self._last[kind] = now
            held = self.held_back.pop(kind, 0)
        if held:
            record.msg = f"{record.msg} ({held} more like it since the last such line)"
        return True


_REFUSED = "Refused a request: "
# What one bad client can make the console say by the thousand: our refusals and uvicorn's
# lines about malformed requests and websocket upgrades (the host serves no websockets).
_REPETITIVE = (
    _REFUSED,
    "Invalid HTTP request",
    "Unsupported upgrade request",
    "No supported WebSocket library",
)


def repetitive_kind(record: logging.LogRecord) -> Optional[str]:
    """Which of the repetitive lines ``record`` is, if any."""
    message = str(record.msg)
    for prefix in _REPETITIVE:
        if message.startswith(prefix):
            return prefix
    return None


def refused(reason: str) -> None:
    """A request refused by the Host/Origin rules (at most once a minute on the console)."""
    log.warning(_REFUSED + "%s", reason)


# The record attribute that says the message is known to come out of redaction unchanged
# (the host's own Executing/Executed lines, see ``_plain``): the formatter skips the scan.
PLAIN_MARK = "funcext_plain"


class _Formatter(logging.Formatter):
    def __init__(self, colour: bool = False) -> None:
        super().__init__("%(message)s")
        self.colour = colour
        self._second = -1
        self._second_text = ""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if not getattr(record, PLAIN_MARK, False):
            text = redaction.DEFAULT.text(text)
        hint = system_logs.hint_of(record)
        text = hint or system_logs.tag(text, record, self.colour)
        return f"[{self._stamp(record.created)}Z] {text}"

    def _stamp(self, created: float) -> str:
        """``YYYY-MM-DDTHH:MM:SS.mmm`` in UTC, rounded as ``datetime.fromtimestamp`` rounds;
        the part up to the seconds is made once per second."""
        fraction, whole = math.modf(created)
        second = int(whole)
        micro = round(fraction * 1e6)
        if micro >= 1_000_000:
            second, micro = second + 1, micro - 1_000_000
        elif micro < 0:  # before 1970
            second, micro = second - 1, micro + 1_000_000
        if second != self._second:
            moment = datetime.datetime.fromtimestamp(second, datetime.timezone.utc)
            self._second_text = f"{moment:%Y-%m-%dT%H:%M:%S}"
            self._second = second
        return f"{self._second_text}.{micro // 1000:03d}"


class ConsoleHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A ``StreamHandler`` that, on the event loop's thread, collects lines and writes and
    flushes them together once the loop's current round of callbacks is done (a few
    requests' lines in one write, not one write per line). Elsewhere (pool threads, before
    the loop runs, at shutdown) it writes and flushes at once, after any lines still held,
    so the console keeps the order in which records were made."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__(stream)
        self._held: List[str] = []
        self._flush_scheduled = False

    def emit(self, record: logging.LogRecord) -> None:  # called with the handler's lock held
        try:
            line = self.format(record) + self.terminator
            loop = asyncio._get_running_loop()
            if loop is None:
                self._held.append(line)
                self._write_held()
                return
            self._held.append(line)
            if not self._flush_scheduled:
                self._flush_scheduled = True
                loop.call_soon(self.flush)
        except RecursionError:  # as StreamHandler: never swallowed
            raise
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._flush_scheduled = False
            try:
                self._write_held()
            except Exception:  # a closed console must not break the loop or the exit
                self._held.clear()

    def _write_held(self) -> None:
        if self._held:
            text = "".join(self._held)
            self._held.clear()
            self.stream.write(text)
        if hasattr(self.stream, "flush"):
            self.stream.flush()


def install_console(verbose: bool = False, stream: Optional[IO[str]] = None) -> logging.Handler:
    """One handler on the root logger; INFO and up (DEBUG with ``verbose``). System records
    (``azure_functions_worker...``) only with ``verbose``, tagged."""
    out = stream or sys.stdout
    handler = ConsoleHandler(out)
    handler.setFormatter(_Formatter(colour=system_logs.wants_colour(out)))
    handler.addFilter(system_logs.SystemLogFilter(show=verbose))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("uvicorn", "uvicorn.error", "uvicorn.access", "asyncio", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    handler.addFilter(OncePerInterval(repetitive_kind))
    return handler


def describe_function(spec: FunctionSpec, base_url: str, url_path: Optional[str]) -> str:
    if spec.is_http and url_path is not None:
        methods = ",".join(spec.methods or ["ALL"])
        return f"{spec.name}: [{methods}] {base_url}{url_path}"
    if spec.trigger_type.lower() == "timertrigger":
        from .timers import schedule_note

        return f"{spec.name}: {spec.trigger_type} ({schedule_note(spec)})"
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
        table = format_hook_chain(spec.name).split("\n", 1)  # its first line is the name
        log.info("Hook chain of %s:%s", spec.name, "\n" + table[1] if len(table) > 1 else " none")


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
    if worker_runs_extensions((int(version[0]), int(version[1]))):
        unwrapped: List[str] = []
    else:
        from ..wrapper import is_wrapped  # the wrapper loads only where it matters (3.13+)

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


_EXECUTING = "Executing 'Functions.%s' (Reason='%s', Id=%s)"
_EXECUTED = "Executed 'Functions.%s' (%s, Id=%s, Duration=%dms%s)"
_HEX_ID = re.compile(r"[0-9a-fA-F\-]{1,64}").fullmatch
# Per line shape (message and its arguments but the id and the duration): whether redaction
# leaves it unchanged. Bounded: shapes are per function, reason and status.
_plain_shapes: Dict[Tuple[Any, ...], bool] = {}
_PLAIN = {PLAIN_MARK: True}


def _plain(shape: Tuple[Any, ...], message: str, args: Tuple[Any, ...], invocation_id: str) -> bool:
    """Whether this Executing/Executed line can skip the redaction scan: its text was seen
    unchanged by redaction for this shape, and the parts that vary (the invocation id, the
    duration) are hex and digits, which the default redaction rules never mask on their own
    (a secret is recognised by its name, its key or a scheme word, all in the fixed part)."""
    if redaction.DEFAULT.extra_patterns or _HEX_ID(invocation_id) is None:
        return False
    known = _plain_shapes.get(shape)
    if known is None:
        text = message % args
        known = redaction.DEFAULT.text(text) == text
        if len(_plain_shapes) >= 1024:
            _plain_shapes.clear()
        _plain_shapes[shape] = known
    return known


def executing(function_name: str, invocation_id: str, reason: str) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    args = (function_name, reason, invocation_id)
    plain = _plain(("executing", function_name, reason), _EXECUTING, args, invocation_id)
    emit(log, logging.INFO, _EXECUTING, args, sys._getframe(), _PLAIN if plain else None)


def executed(
    function_name: str, invocation_id: str, succeeded: bool, seconds: float, detail: str = ""
) -> None:
    status = "Succeeded" if succeeded else "Failed"
    extra = f", {detail}" if detail else ""
    level = logging.INFO if succeeded else logging.ERROR
    if not log.isEnabledFor(level):
        return
    args = (function_name, status, invocation_id, round(seconds * 1000), extra)
    plain = _plain(("executed", function_name, status, extra), _EXECUTED, args, invocation_id)
    emit(log, level, _EXECUTED, args, sys._getframe(), _PLAIN if plain else None)
