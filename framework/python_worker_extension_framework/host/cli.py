"""``funcext start [APP_DIR]``: run a function app with its extensions on this machine.

Also ``python -m python_worker_extension_framework start [APP_DIR]``. Needs the ``[host]``
extra (uvicorn).
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import socket
import sys
from pathlib import Path
from typing import List, Optional

from . import console
from .loader import AppLoadError
from .routing import RouteTemplateError
from .settings import AppConfigError

DEFAULT_PORT = 7071
DEFAULT_HOST = "127.0.0.1"
READY_PREFIX = "Host started:"
log = logging.getLogger(console.LOGGER_NAME)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="funcext",
        description="Run an Azure Functions Python app and its worker extensions locally.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="serve the app's functions over HTTP")
    start.add_argument(
        "app_dir", nargs="?", default=".", help="the function app folder (default: .)"
    )
    start.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port (default 7071; 0 picks a free one)"
    )
    start.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default 127.0.0.1)")
    start.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow binding to an address other than loopback (the host has no authentication)",
    )
    start.add_argument(
        "--verbose", action="store_true", help="debug logs, extensions and hook chains"
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
        help="how long running invocations and exporters get at shutdown (default 10)",
    )
    return parser


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


def start(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        print(
            "funcext: the local host needs uvicorn; install "
            "'python-worker-extension-framework[host]'",
            file=sys.stderr,
        )
        return 2
    from .asgi import HostApp, describe_routes
    from .runtime import FunctionHost

    if not _is_loopback(args.host) and not args.allow_remote:
        print(
            f"funcext: refusing to listen on {args.host}: the local host has no authentication. "
            "Pass --allow-remote if other machines must reach it.",
            file=sys.stderr,
        )
        return 2
    console.install_console(verbose=args.verbose)
    app_dir = Path(args.app_dir).resolve()
    if app_dir.is_dir():
        os.chdir(app_dir)  # the worker's working directory is the app root, in Azure too
    try:
        host = FunctionHost.load(app_dir, error_phase=args.error_phase)
    except (AppConfigError, AppLoadError, RouteTemplateError) as exc:
        log.error("The host did not start: %s", exc)
        return 1
    for warning in console.start_warnings(host.settings, functions=list(host.functions.values())):
        log.warning("Warning: %s", warning)
    for note in host.route_notes():
        log.warning("Warning: %s", note)
    host.run_load_hooks()
    sock = _bind(args.host, args.port)
    bound_host, port = sock.getsockname()[:2]
    shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    base_url = f"http://{shown_host}:{port}"
    console.print_functions(describe_routes(host, base_url))
    if args.verbose:
        console.print_chain(list(host.functions.values()))
    app = HostApp(host, max_body_bytes=args.max_body_size, shutdown_timeout=args.shutdown_timeout)
    config = uvicorn.Config(
        app,
        lifespan="on",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=int(args.shutdown_timeout) or None,
    )
    server = uvicorn.Server(config)
    log.info("%s %s (Ctrl+C to stop)", READY_PREFIX, base_url)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises Ctrl-C after its graceful shutdown has run
    finally:
        sock.close()
    log.info("Host stopped")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "start":
        return start(args)
    return 2  # pragma: no cover - argparse rejects other commands
