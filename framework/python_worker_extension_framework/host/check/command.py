"""``funcext check [APP_DIR]``: the command line of the pre-deploy check."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_check_command(commands: Any) -> None:
    """Register ``check`` on the ``funcext`` sub-command parser."""
    check = commands.add_parser(
        "check",
        help="check an app before deploying it (loads it; starts no server, fetches nothing)",
        description="Report what would make the app behave differently in Azure: settings, "
        "Python version, requirements, extension definitions, routes and schedules. Exit "
        "code 1 when there is an error, 0 with warnings only.",
    )
    check.add_argument("app_dir", nargs="?", default=".", help="the function app folder")
    check.add_argument("--script-root", metavar="APP_DIR", help="same as APP_DIR")
    check.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )
    check.add_argument(
        "--python",
        metavar="X.Y",
        help="the Python version the app runs on in Azure (default: .python-version, "
        "runtime.txt, else this interpreter)",
    )


def run_check_command(args: argparse.Namespace) -> int:
    from .engine import run_check  # the check's modules load only when it runs
    from .python_version import PythonVersionError

    app_dir = Path(args.script_root or args.app_dir)
    try:
        report = run_check(app_dir, args.python)
    except PythonVersionError as exc:
        print(f"funcext check: --python: {exc}", file=sys.stderr)
        return 2
    print(report.to_json() if args.format == "json" else report.as_text())
    return report.exit_code
