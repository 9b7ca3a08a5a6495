"""``funcext start [APP_DIR]``: run a function app with its extensions on this machine.

Also ``python -m python_worker_extension_framework start [APP_DIR]``. Needs the ``[host]``
extra (uvicorn). ``funcext check [APP_DIR]`` is the pre-deploy check (``check/``);
``funcext --version`` lists the framework's and the extensions' versions.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import socket
import sys
import threading
from typing import Any, List, Optional, cast

from . import console, start_options
from .check.command import add_check_command, run_check_command
from .loader import AppLoadError
from .routing import RouteTemplateError
from .settings import AppConfigError
from .shutdown import ExitDeadline
from .start_errors import CorsConfigError, TimerConfigError

# The same as protocol.DEFAULT_HEADER_TIMEOUT and asgi.DEFAULT_BODY_TIMEOUT: those modules
# need uvicorn, which this one imports only once it has checked that uvicorn is installed.
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 60.0
INTERRUPTED_EXIT_CODE = 130

DEFAULT_PORT = start_options.DEFAULT_PORT
DEFAULT_HOST = "127.0.0.1"
READY_PREFIX = "Host started:"
log = logging.getLogger(console.LOGGER_NAME)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="funcext",
        description="Run an Azure Functions Python app and its worker extensions locally.",
    )
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="serve the app's functions over HTTP")
    start.add_argument(
        "app_dir", nargs="?", default=".", help="the function app folder (default: .)"
    )
    start.add_argument(
        "--port",
        type=int,
        default=None,
        help="port (default Host.LocalHttpPort in local.settings.json, else 7071; 0 picks a "
        "free one)",
    )
    start.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default 127.0.0.1)")
    start.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow binding to an address other than loopback (the host has no "
        "authentication). Requests must still name a loopback host, the bound address (any "
        "IP address when bound to 0.0.0.0 or ::) or a name given with --allow-host",
    )
    start.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests whose Host header is NAME (repeatable; '*' for any). "
        "Others get 403, so web pages cannot reach the host through DNS rebinding",
    )
    start.add_argument(
        "--verbose",
        action="store_true",
        help="debug logs, extensions, hook chains and the lines Azure keeps in its system log",
    )
    start.add_argument(
        "--max-body-size",
        type=int,
        default=100 * 1024 * 1024,
        metavar="BYTES",
        help="largest request body accepted; larger ones get 413 (default 100 MiB, as Azure)",
    )
    start.add_argument(
        "--error-phase",
        action="store_true",
        help="also run extensions' error hooks when a function raises (the Azure worker does not)",
    )
    start.add_argument(
        "--shutdown-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="the whole exit after Ctrl-C or SIGTERM: running invocations, then exporters; "
        "the process is ended when it runs out (default 10)",
    )
    start.add_argument(
        "--header-timeout",
        type=float,
        default=DEFAULT_HEADER_TIMEOUT,
        metavar="SECONDS",
        help="a connection's request headers must arrive within this time, else it is "
        "closed (default 10)",
    )
    start.add_argument(
        "--body-timeout",
        type=float,
        default=DEFAULT_BODY_TIMEOUT,
        metavar="SECONDS",
        help="a request body must arrive within this time, else 408 (default 60)",
    )
    start.add_argument(
        "--no-dashboard",
        action="store_true",
        help="do not serve the dashboard at /_funcext/ (invocations, hooks, logs, spans)",
    )
    start.add_argument(
        "--dashboard-capacity",
        type=int,
        default=500,
        metavar="N",
        help="how many recent invocations the dashboard keeps (default 500)",
    )
    start_options.add_core_tools_options(start)
    add_check_command(commands)
    return parser


class _VersionAction(argparse.Action):
    """``--version``, computed only when asked (it reads every installed distribution)."""

    def __init__(self, option_strings: List[str], dest: str, **kwargs: object) -> None:
        super().__init__(
            option_strings, dest, nargs=0, help="print the framework's and extensions' versions"
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from .versions import version_text  # importlib.metadata: only when asked

        print(version_text())
        parser.exit()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose
    # protocol says TCP, and with Nagle on, every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SystemExit(
            f"funcext: cannot listen on {host}:{port} ({exc.strerror}); "
            "is another host running? Choose another port with --port."
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _bad_number(args: argparse.Namespace) -> Optional[str]:
    """What is wrong with a numeric option, if anything."""
    for option in ("shutdown_timeout", "header_timeout", "body_timeout"):
        value = getattr(args, option)
        if not value > 0:
            return f"--{option.replace('_', '-')} must be a positive number of seconds, got {value}"
    if args.max_body_size <= 0:
        return f"--max-body-size must be a positive number of bytes, got {args.max_body_size}"
    if args.dashboard_capacity < 1:
        return f"--dashboard-capacity must be 1 or more, got {args.dashboard_capacity}"
    return None


def _stop_during_start_up(signum: int, frame: Any) -> None:
    """Ctrl-C before the host serves: end the process now. Raising ``KeyboardInterrupt``
    in the middle of the app's imports can land inside the import machinery's own
    callbacks and leave a module lock held, and the exit then hangs; nothing is running
    yet that a graceful stop would have to finish."""
    log.warning("Start-up interrupted (Ctrl-C): the host did not start.")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(INTERRUPTED_EXIT_CODE)


def start(args: argparse.Namespace, deadline: Optional[ExitDeadline] = None) -> int:
    """Serve until stopped; ``deadline`` (one is made if not given) is started by the first
    stop signal and bounds the rest of the exit."""
    try:
        import uvicorn  # noqa: F401 - only checked here; used in _serve
    except ImportError:
        print(
            "funcext: the local host needs uvicorn; install "
            "'python-worker-extension-framework[host]'",
            file=sys.stderr,
        )
        return 2
    if not _is_loopback(args.host) and not args.allow_remote:
        print(
            f"funcext: refusing to listen on {args.host}: the local host has no authentication. "
            "Pass --allow-remote if other machines must reach it.",
            file=sys.stderr,
        )
        return 2
    problem = _bad_number(args)
    if problem:
        print(f"funcext: {problem}", file=sys.stderr)
        return 2
    return _serve(args, deadline or ExitDeadline(args.shutdown_timeout))


def _serve(args: argparse.Namespace, deadline: ExitDeadline) -> int:
    import uvicorn

    from .asgi import HostApp, describe_routes
    from .guard import RequestGuard
    from .protocol import protocol_class
    from .runtime import FunctionHost
    from .server import StoppingServer, lazy_websocket_protocol

    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        signal.signal(signal.SIGINT, _stop_during_start_up)
    console.install_console(verbose=args.verbose)
    try:
        app_dir = start_options.app_dir_of(args)
    except start_options.StartOptionError as exc:
        print(f"funcext: {exc}", file=sys.stderr)
        return 2
    if app_dir.is_dir():
        os.chdir(app_dir)  # the worker's working directory is the app root, in Azure too
    try:
        host = FunctionHost.load(app_dir, error_phase=args.error_phase, only=args.functions)
        parity = start_options.StartParity.of(args, host)
    except (
        AppConfigError,
        AppLoadError,
        RouteTemplateError,
        TimerConfigError,
        CorsConfigError,
    ) as exc:
        log.error("The host did not start: %s", exc)
        return 1
    for warning in console.start_warnings(host.settings, functions=list(host.functions.values())):
        log.warning("Warning: %s", warning)
    for note in host.start_notes():
        log.warning("Warning: %s", note)
    parity.warn()
    host.run_load_hooks()
    sock = _bind(args.host, parity.port)
    bound_host, port = sock.getsockname()[:2]
    shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    base_url = f"http://{shown_host}:{port}"
    console.print_functions(describe_routes(host, base_url))
    parity.describe()
    if args.verbose:
        console.print_chain(list(host.functions.values()))
    app = parity.wrap(
        HostApp(
            host,
            max_body_bytes=args.max_body_size,
            shutdown_timeout=args.shutdown_timeout,
            body_timeout=args.body_timeout,
            guard=RequestGuard.for_binding(bound_host, tuple(args.allow_host)),
            exit_deadline=deadline,
        ),
        args.shutdown_timeout,
    )
    dashboard = _dashboard(args, host, bound_host)
    config = uvicorn.Config(
        dashboard.wrap(app) if dashboard is not None else app,
        http=protocol_class(args.header_timeout),
        ws=cast(Any, lazy_websocket_protocol() or "none"),  # uvicorn calls a class or factory
        lifespan="on",
        log_config=None,  # uvicorn's records go to the console handler and its filters
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=cast(int, args.shutdown_timeout),
    )
    server = StoppingServer(config, deadline)
    if dashboard is not None:
        dashboard.stop_streams_when(lambda: server.should_exit)
        log.info("Dashboard: %s/_funcext/", base_url)
    log.info("%s %s (Ctrl+C to stop)", READY_PREFIX, base_url)
    if in_main_thread:
        # uvicorn installs its own handlers while it serves and, once it has stopped,
        # raises the signal again: then it must be an ordinary KeyboardInterrupt.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises Ctrl-C after its graceful shutdown has run
    finally:
        sock.close()
    log.info("Host stopped")
    return 0


def _dashboard(args: argparse.Namespace, host: Any, bound_host: str) -> Any:
    """The dashboard following ``host``, unless ``--no-dashboard``."""
    if args.no_dashboard:
        return None
    from .dashboard import Dashboard

    return Dashboard.attach(host, bound_host, capacity=args.dashboard_capacity)


def main(argv: Optional[List[str]] = None) -> int:
    """The process's entry point: whatever ends ``start``, the process then exits within
    ``--shutdown-timeout`` (an app's import may have started threads that never end)."""
    args = build_parser().parse_args(argv)
    if args.command == "start":
        deadline = ExitDeadline(args.shutdown_timeout)
        try:
            return start(args, deadline)
        finally:
            deadline.start()
    if args.command == "check":
        return run_check_command(args)
    return 2  # pragma: no cover - argparse rejects other commands
