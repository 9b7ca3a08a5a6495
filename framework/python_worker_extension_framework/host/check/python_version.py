"""Which Python the app will run on in Azure, for the extension rules.

Read, in this order, from ``--python``, the app folder's ``.python-version`` (pyenv's file),
``runtime.txt`` (``python-3.11``) or the interpreter running the check.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Optional, Tuple

Version = Tuple[int, int]
_VERSION = re.compile(r"(?:python-?)?(?P<major>\d+)\.(?P<minor>\d+)")


class PythonVersionError(ValueError):
    """A version text that is not ``MAJOR.MINOR``."""


def parse_version(text: str) -> Version:
    match = _VERSION.match(text.strip().lower())
    if match is None:
        raise PythonVersionError(f"{text.strip()!r} is not a Python version such as 3.11")
    return int(match.group("major")), int(match.group("minor"))


def target_python(
    app_dir: Path, option: Optional[str] = None
) -> Tuple[Version, str, Optional[str]]:
    """(version, where it came from, a warning about an unreadable file or None)."""
    if option:
        return parse_version(option), "--python", None
    warning = None
    for name in (".python-version", "runtime.txt"):
        path = app_dir / name
        if not path.is_file():
            continue
        lines = path.read_text(encoding="utf-8", errors="replace").split()
        try:
            return parse_version(lines[0] if lines else ""), name, None
        except PythonVersionError as exc:
            warning = f"{name}: {exc}"
    current = sys.version_info[:2]
    return (int(current[0]), int(current[1])), "the interpreter running the check", warning
