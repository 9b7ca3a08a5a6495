"""``funcext check``: what would make an app behave differently in Azure, before deploying it.

From Python, ``check_app(app_dir)`` runs the check in a fresh interpreter (the app is
imported there, never into the caller) and returns a ``CheckReport``; the pytest harness's
``assert_app_is_clean`` builds on it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

if TYPE_CHECKING:
    from .report import ERROR, WARNING, CheckReport, Problem

# ``funcext start`` imports this package for the ``check`` command line only: the report
# module (and what running a check needs) loads when a check runs or its names are used.
_REPORT_NAMES = ("ERROR", "WARNING", "CheckReport", "Problem")


def __getattr__(name: str) -> Any:
    if name in _REPORT_NAMES:
        from . import report

        return getattr(report, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class CheckRunError(RuntimeError):
    """The check itself could not run; the message carries its output."""


def check_app(
    app_dir: Union[str, Path],
    *,
    python_version: Optional[str] = None,
    interpreter: Optional[str] = None,
    timeout: float = 120.0,
) -> CheckReport:
    """Run ``funcext check --format json`` on ``app_dir`` in a subprocess; return the report.

    ``python_version`` is the Azure Python to check for (``"3.11"``); ``interpreter`` runs the
    check (this one by default, which must have the app's requirements installed).
    """
    import json
    import subprocess

    from .report import CheckReport

    command = [
        interpreter or sys.executable,
        "-m",
        "python_worker_extension_framework",
        "check",
        str(app_dir),
        "--format",
        "json",
    ]
    if python_version:
        command += ["--python", python_version]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, cwd=str(app_dir)
    )
    if done.returncode not in (0, 1):
        raise CheckRunError(f"funcext check failed ({done.returncode}):\n{done.stderr}")
    try:
        return CheckReport.from_dict(json.loads(done.stdout))
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise CheckRunError(
            f"funcext check printed no report ({exc}):\n{done.stdout}\n{done.stderr}"
        ) from None


__all__ = ["ERROR", "WARNING", "CheckReport", "CheckRunError", "Problem", "check_app"]
