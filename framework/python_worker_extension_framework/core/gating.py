"""Whether the worker would run extension hooks at all (``PYTHON_ENABLE_WORKER_EXTENSIONS``).

The worker reads the setting on every call: truthy values are ``1 true t yes y`` in any
case; when it is unset, hooks run on Python 3.9 exactly and nowhere else. Python 3.13 and
later use a worker that runs no extensions whatever the setting says.
"""

from __future__ import annotations

import os
import sys
from typing import Mapping, Optional, Tuple

SETTING = "PYTHON_ENABLE_WORKER_EXTENSIONS"
_TRUE_VALUES = frozenset({"1", "true", "t", "yes", "y"})
FIRST_PYTHON_WITHOUT_EXTENSIONS = (3, 13)


def is_true_like(value: str) -> bool:
    """The worker's truthiness test for app settings."""
    return value.strip().lower() in _TRUE_VALUES


def worker_runs_extensions(python_version: Tuple[int, int]) -> bool:
    """Whether any worker release for this Python runs extensions at all."""
    return python_version < FIRST_PYTHON_WITHOUT_EXTENSIONS


def extensions_enabled(
    environ: Optional[Mapping[str, str]] = None,
    python_version: Optional[Tuple[int, int]] = None,
) -> bool:
    """Whether the real worker would call hooks now, given the environment and Python.

    ``environ`` defaults to ``os.environ`` read at call time, as the worker does.
    ``python_version`` defaults to this interpreter's (major, minor).
    """
    env = os.environ if environ is None else environ
    version = python_version if python_version is not None else sys.version_info[:2]
    if not worker_runs_extensions(version):
        return False
    value = env.get(SETTING)
    if value is None:
        return version == (3, 9)
    return is_true_like(value)
