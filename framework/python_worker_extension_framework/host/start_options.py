"""The ``func start`` options users type from habit, and how they meet ``local.settings.json``.

Precedence is Core Tools': a command-line option, then the ``Host`` section of
``local.settings.json``, then the default. ``--script-root`` is another way to name the app
folder; ``--functions`` keeps only some functions; ``--cors`` / ``--cors-credentials`` set
CORS; ``--run-timers`` runs timer functions on their schedules.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Optional

from . import console
from .settings import AppSettings

if TYPE_CHECKING:
    from .cors import CorsPolicy
    from .runtime import FunctionHost
    from .timers import TimerFunction

# cors.py and timers.py (with the NCRONTAB parser) are imported only by a start that has a
# CORS setting or a timer function: most have neither.

DEFAULT_PORT = 7071


class StartOptionError(ValueError):
    """Options that contradict each other; the message names them and the fix."""


def add_core_tools_options(start: argparse.ArgumentParser) -> None:
    """The options ``func start`` has that ``funcext start`` honours too."""
    start.add_argument(
        "--script-root",
        metavar="APP_DIR",
        help="the function app folder (same as the positional APP_DIR, as in func start)",
    )
    start.add_argument(
        "--functions",
        nargs="+",
        metavar="NAME",
        help="serve only these functions (the app is still imported whole)",
    )
    start.add_argument(
        "--cors",
        metavar="ORIGINS",
        help="comma-separated origins allowed by CORS, or * (default: Host.CORS in "
        "local.settings.json; none)",
    )
    start.add_argument(
        "--cors-credentials",
        action="store_true",
        default=None,
        help="allow credentialed cross-origin requests (default: Host.CORSCredentials)",
    )
    start.add_argument(
        "--run-timers",
        action="store_true",
        help="run timer functions on their NCRONTAB schedules (UTC), not only on request",
    )


def app_dir_of(args: argparse.Namespace) -> Path:
    """The positional folder or ``--script-root``; both given and different is an error."""
    positional: Optional[str] = getattr(args, "app_dir", None)
    script_root: Optional[str] = getattr(args, "script_root", None)
    if script_root and positional not in (None, ".") and Path(str(positional)) != Path(script_root):
        raise StartOptionError(
            f"the app folder is given twice ({positional!r} and --script-root "
            f"{script_root!r}). Fix: give one of them."
        )
    return Path(script_root or positional or ".").resolve()


def port_of(args: argparse.Namespace, settings: AppSettings) -> int:
    """``--port``, else ``Host.LocalHttpPort``, else 7071."""
    if args.port is not None:
        return int(args.port)
    return settings.core_tools.local_http_port or DEFAULT_PORT


def cors_policy_of(args: argparse.Namespace, settings: AppSettings) -> Optional[CorsPolicy]:
    """``--cors`` / ``--cors-credentials``, else the ``Host`` section; None when CORS is off.

    Raises ``CorsConfigError`` for a combination browsers refuse.
    """
    origins = args.cors if args.cors is not None else settings.core_tools.cors
    credentials = (
        args.cors_credentials
        if args.cors_credentials is not None
        else settings.core_tools.cors_credentials
    )
    if not origins or not origins.strip():
        return None
    from .cors import CorsPolicy

    return CorsPolicy.parse(origins, bool(credentials))


log = logging.getLogger(console.LOGGER_NAME)


@dataclass
class StartParity:
    """What the Core Tools options and settings decide for one start of the host."""

    host: FunctionHost
    port: int
    cors: Optional[CorsPolicy]
    timer_functions: List[TimerFunction]
    run_timers: bool

    @classmethod
    def of(cls, args: argparse.Namespace, host: FunctionHost) -> StartParity:
        """Raises ``CorsConfigError`` / ``TimerConfigError`` for what cannot start."""
        return cls(
            host=host,
            port=port_of(args, host.settings),
            cors=cors_policy_of(args, host.settings),
            timer_functions=_timer_functions(host),
            run_timers=bool(args.run_timers),
        )

    def warnings(self) -> List[str]:
        """The parts of the app's settings this start does not honour, with the fix."""
        found = list(self.host.settings.core_tools.warnings)
        if self.timer_functions:
            from .timers import time_zone_warnings

            found += time_zone_warnings()
        return found

    def warn(self) -> None:
        for warning in self.warnings():
            log.warning("Warning: %s", warning)
        names = sorted(self.host.settings.core_tools.connection_strings)
        if names:  # names only: the values are secrets
            log.info(
                "Connection strings exported as ConnectionStrings:<name>: %s", ", ".join(names)
            )

    def describe(self) -> None:
        if self.timer_functions:
            from .timers import summary

            line = summary(self.timer_functions, self.run_timers)
            if line:
                log.info("%s", line)
        if self.cors is not None:
            log.info("CORS allows %s", self.cors.describe())

    def wrap(self, app: Any, shutdown_timeout: float) -> Any:
        """The ASGI app to serve: the host's, with timers and CORS around it as configured."""
        if self.timer_functions or self.run_timers:  # else a timer service has no work
            from .timers import TimerService, WithTimers

            service = TimerService(
                self.timer_functions, self._fire_timer, run_schedules=self.run_timers
            )
            if service.has_work:
                app = WithTimers(app, service, shutdown_timeout)
        if self.cors is not None:
            from .cors import CorsMiddleware

            app = CorsMiddleware(app, self.cors)
        return app

    async def _fire_timer(self, spec: Any, request: Any, reason: str) -> None:
        from .admin import run_admin_invocation

        await run_admin_invocation(self.host, spec, None, trigger=request, reason=reason)


def _timer_functions(host: FunctionHost) -> List[TimerFunction]:
    """The app's timer functions, each schedule checked (``TimerConfigError``)."""
    specs = list(host.functions.values())
    if not any(spec.is_timer for spec in specs):
        return []
    from .timers import timer_functions

    return timer_functions(specs)
