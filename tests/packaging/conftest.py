"""Builds every distribution once per test session: sdist and wheel, into a temporary folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

ROOT = Path(__file__).resolve().parents[2]


def distribution_dirs() -> List[Path]:
    """The framework (repository root) and every ``extensions/*`` distribution, by glob
    (``extensions/_template`` is what a new extension copies, never published)."""
    found = (p.parent for p in ROOT.glob("extensions/*/pyproject.toml"))
    return [ROOT, *sorted(d for d in found if not d.name.startswith("_"))]


@pytest.fixture(scope="session")
def built_distributions(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Dict[str, List[Path]]]:
    """``{project dir name: [sdist, wheel]}``, built without network (no build isolation)."""
    out = tmp_path_factory.mktemp("dist")
    built: Dict[str, List[Path]] = {}
    for directory in distribution_dirs():
        target = out / directory.name
        subprocess.run(
            [
                sys.executable,
                "-m",
                "build",
                "--no-isolation",
                "--outdir",
                str(target),
                str(directory),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        built[directory.name] = sorted(target.iterdir())
    yield built
