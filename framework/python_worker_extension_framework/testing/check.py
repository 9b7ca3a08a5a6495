"""``assert_app_is_clean``: a test that fails when ``funcext check`` finds an error."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

from ..host.check import CheckReport, check_app


def assert_app_is_clean(
    app_dir: Union[str, Path],
    *,
    python_version: Optional[str] = None,
    allow_warnings: bool = True,
) -> CheckReport:
    """Run the pre-deploy check on ``app_dir``; raise ``AssertionError`` listing the problems
    when there is an error (or any warning, with ``allow_warnings=False``)."""
    report = check_app(app_dir, python_version=python_version)
    failing = report.problems if not allow_warnings else report.errors
    if failing:
        listed = "\n".join(problem.as_text() for problem in failing)
        raise AssertionError(
            f"funcext check found {len(failing)} problem(s) in {app_dir}:\n{listed}"
        )
    return report
