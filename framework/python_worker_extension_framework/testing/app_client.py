"""``app_client``: a whole function app in the host's ASGI application, in the test process.

``AppClient(app_dir)`` loads a v1 folder or a v2 ``function_app.py`` exactly as
``funcext start`` does (``FunctionHost.load``: settings, environment, import, routes, load
hooks) and is an ``httpx.Client`` whose requests go straight into the host's ASGI
application: no subprocess, no port, the same answers, hooks and console lines.
``client.admin.run(name, input=...)`` runs a non-HTTP function as
``POST /admin/functions/<name>`` does, retries included, waiting for the outcome (the
waits between retries are recorded, not slept).

So that the app sees the process as a fresh host would, the client gives it, for its
lifetime, a registry of its own: the extensions its imports register and no other. The
packages of installed extension distributions, and the app's own modules, are imported
afresh; the environment, working directory, ``sys.path``, ``sys.modules`` and the registry
are put back when the client closes. Classes imported by the test itself are therefore not
the app's while the client is open: configure the app's extensions in the app.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import os
import sys
import threading
import types
from pathlib import Path
from typing import Any, Awaitable, Dict, List, Optional, Sequence, Set, TypeVar, Union

import httpx

from ..core import _registry as registry
from ..host import console
from ..host.admin import run_admin_invocation
from ..host.asgi import HostApp
from ..host.cli import build_parser
from ..host.cors import CorsMiddleware
from ..host.loader import v2_script
from ..host.runtime import FunctionHost
from ..host.start_options import StartParity
from ..retry_policy import RetryOutcome
from .retry import FakeClock

T = TypeVar("T")
BASE_URL = "http://127.0.0.1:7071"
_FRAMEWORK_PACKAGE = __name__.split(".")[0]
_NEVER_PURGED = {_FRAMEWORK_PACKAGE, "azure"}
_CLIENT_LOGGERS = {"httpx", "httpcore"}


class _LoopThread:
    """An event loop in a daemon thread: the host's loop, as uvicorn's would be."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def call(self, coroutine: Awaitable[T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()  # type: ignore[arg-type]

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


class _InProcessTransport(httpx.BaseTransport):
    """A sync httpx transport that hands each request to the ASGI app on the host's loop."""

    def __init__(self, app: Any, loop: _LoopThread) -> None:
        self._asgi = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        self._loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            request.read()
            response = await self._asgi.handle_async_request(request)
            body = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=body)

        return self._loop.call(send())


class _ConsoleCapture(logging.Handler):
    """What the host's console would print, as records and as lines without time stamps."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: List[logging.LogRecord] = []
        self._lock_records = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] in _CLIENT_LOGGERS:
            return  # the test's own HTTP client, not the host
        with self._lock_records:
            self.records.append(record)


class Admin:
    """Non-HTTP functions, run as ``POST /admin/functions/<name>`` runs them."""

    def __init__(self, client: AppClient) -> None:
        self._client = client

    def run(self, name: str, input: Any = None, *, trigger: Any = None) -> RetryOutcome:
        """Run function ``name`` with ``{"input": input}``; return when it (and every retry
        its policy allows) has ended. The function's exception is in the result.

        ``trigger`` is a trigger object of your own (``make_timer_request(past_due=True)``,
        ``make_queue_message(...)``) instead of the one the host builds from ``input``."""
        host = self._client.host
        spec = host.function(name)
        if spec is None:
            known = ", ".join(s.name for s in host.functions.values())
            raise LookupError(f"admin.run: no function named {name!r}; the app has: {known}")
        if spec.is_http:
            raise ValueError(
                f"admin.run: {spec.name} is an HTTP function; call "
                f"client.request(..., {host.url_path(spec)!r}) instead"
            )
        clock = FakeClock()
        outcome = self._client.loop.call(
            run_admin_invocation(host, spec, input, sleep=clock.sleep, trigger=trigger)
        )
        outcome.function_name = spec.name
        return outcome


def _extension_classes(module: types.ModuleType) -> bool:
    from azure.functions import AppExtensionBase, FuncExtensionBase

    for value in list(vars(module).values()):
        if (
            isinstance(value, type)
            # on Python 3.9 a parametrised builtin such as tuple[int] passes as a type
            and not isinstance(value, types.GenericAlias)
            and issubclass(value, (AppExtensionBase, FuncExtensionBase))
            and value.__module__ == module.__name__
        ):
            return True
    return False


def _top_level_packages() -> Set[str]:
    """Names of the top-level packages and modules that installed distributions provide."""
    if sys.version_info >= (3, 10):
        return set(importlib.metadata.packages_distributions())
    # Python 3.9 has no packages_distributions: read what it reads, top_level.txt or the
    # distribution's files.
    names: Set[str] = set()
    for distribution in importlib.metadata.distributions():
        listed = (distribution.read_text("top_level.txt") or "").split()
        if not listed:
            listed = [_top_level_name(path) for path in distribution.files or ()]
        names.update(name for name in listed if name)
    return names


def _top_level_name(path: Any) -> str:
    first = Path(str(path)).parts[0]
    if first.endswith((".dist-info", ".egg-info", ".pth")) or first == "..":
        return ""
    return first[: -len(".py")] if first.endswith(".py") else first


def _extension_roots() -> Set[str]:
    """Packages of installed distributions that define worker extensions: re-imported for
    the app, so their classes register as they do in a fresh host process."""
    distributions = _top_level_packages()
    roots: Set[str] = set()
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] in _NEVER_PURGED:
            continue
        top = name.split(".")[0]
        if top not in distributions or not _extension_classes(module):
            continue
        top_module = sys.modules.get(top)
        regular = top_module is not None and getattr(top_module, "__file__", None)
        roots.add(top if regular else name)
    return roots


def _under(name: str, roots: Set[str]) -> bool:
    return any(name == root or name.startswith(root + ".") for root in roots)


def _app_modules(app_dir: Path) -> Set[str]:
    """The app's modules, and whatever holds the names the host imports it under."""
    names = {v2_script(app_dir).stem} & set(sys.modules)
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if name == "__app__" or name.startswith("__app__."):
            names.add(name)
        elif file:
            try:
                Path(file).resolve().relative_to(app_dir)
            except (ValueError, OSError):
                continue
            names.add(name)
    return names


class AppClient(httpx.Client):
    """An ``httpx.Client`` into a function app loaded in this process (see the module doc).

    Parameters
    ----------
    app_dir:
        The function app folder (v1 function folders or a v2 ``function_app.py``).
    error_phase:
        As ``funcext start --error-phase``: also run error hooks when a function raises.
    env:
        Environment variables for the app's lifetime (they win over local.settings.json,
        as the environment does for ``func start``).
    options:
        More ``funcext start`` options (``["--functions", "get_item"]``, ``["--cors", "*"]``).
    """

    def __init__(
        self,
        app_dir: Union[str, Path],
        *,
        error_phase: bool = False,
        env: Optional[Dict[str, str]] = None,
        options: Sequence[str] = (),
    ) -> None:
        self.app_dir = Path(app_dir).resolve()
        # The command line's own parser: every default is ``funcext start``'s.
        args = build_parser().parse_args(["start", str(self.app_dir), *options])
        args.error_phase = args.error_phase or error_phase
        self._saved_environ = dict(os.environ)
        self._saved_cwd = os.getcwd()
        self._saved_path = list(sys.path)
        self._saved_registry = registry.snapshot_registry()
        self._roots = _extension_roots()
        app_modules = _app_modules(self.app_dir)
        self._replaced = {
            name: module
            for name, module in sys.modules.items()
            if _under(name, self._roots) or name in app_modules
        }
        self.console = _ConsoleCapture()
        root = logging.getLogger()
        self._saved_level = root.level
        root.addHandler(self.console)
        root.setLevel(min(root.level or logging.WARNING, logging.INFO))
        self.loop = _LoopThread()
        try:
            os.environ.update(env or {})
            for name in self._replaced:
                sys.modules.pop(name, None)
            registry.clear_registry()
            os.chdir(self.app_dir)
            self.host = FunctionHost.load(
                self.app_dir, error_phase=args.error_phase, only=args.functions
            )
            parity = StartParity.of(args, self.host)
            for warning in console.start_warnings(self.host.settings):
                console.log.warning("Warning: %s", warning)
            for note in self.host.start_notes():
                console.log.warning("Warning: %s", note)
            parity.warn()
            self.host.run_load_hooks()
            self.app = HostApp(
                self.host,
                max_body_bytes=args.max_body_size,
                shutdown_timeout=args.shutdown_timeout,
                body_timeout=args.body_timeout,
            )
            # CORS as configured; timers are not scheduled (run them with admin.run).
            served: Any = self.app if parity.cors is None else CorsMiddleware(self.app, parity.cors)
        except BaseException:
            self._restore()
            raise
        self.admin = Admin(self)
        super().__init__(transport=_InProcessTransport(served, self.loop), base_url=BASE_URL)

    @property
    def records(self) -> List[logging.LogRecord]:
        """Every record the host's console would show, in order."""
        return list(self.console.records)

    @property
    def lines(self) -> List[str]:
        """The console's lines as ``funcext start`` prints them, without the time stamps."""
        return [line for r in self.records for line in r.getMessage().splitlines()]

    def messages(self, logger_prefix: str = "") -> List[str]:
        """Messages of one logger tree (an extension's package name, say)."""
        return [r.getMessage() for r in self.records if r.name.startswith(logger_prefix)]

    def close(self) -> None:
        """Stop the host as Ctrl-C does (running invocations finish, exporters flush), then
        put the process back as it was."""
        if getattr(self, "_closed_app", True):
            return
        try:
            super().close()
            self.loop.call(self.app.stop())
        finally:
            self._restore()

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _restore(self) -> None:
        self._closed_app = True
        self.loop.close()
        logging.getLogger().removeHandler(self.console)
        logging.getLogger().setLevel(self._saved_level)
        os.chdir(self._saved_cwd)
        os.environ.clear()
        os.environ.update(self._saved_environ)
        sys.path[:] = self._saved_path
        for name in [n for n in sys.modules if _under(n, self._roots)]:
            sys.modules.pop(name, None)
        for name in _app_modules(self.app_dir):
            sys.modules.pop(name, None)
        sys.modules.update(self._replaced)
        self._saved_registry.restore()

    _closed_app = False
