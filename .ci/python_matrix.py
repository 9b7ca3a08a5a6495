"""Runs the in-process tests under every other Python the worker supports.

``make test`` runs the whole suite under the project's own ``.venv`` (Python 3.11); this
script runs the in-process tests (the worker's contract and gating rules, the dispatcher, the
in-function wrapper, the extensions, samples and docs' examples) under each of the other
versions that is installed: 3.9 (extensions on by default), 3.10 and 3.12 (off unless the
setting is on) and 3.13 (the worker runs none; the wrapper carries them).

Each interpreter gets a small venv of its own, ``.venv-<version>``, with the framework and
every extension installed editable with their test extras. A venv is rebuilt only when its
stamp no longer matches (the interpreter, a pyproject.toml or the list of distributions changed),
so the first run on a fresh machine (CI) builds them and later runs only test.

An interpreter is looked up as ``python<version>`` on ``PATH`` (it must actually run: a pyenv
shim for a version that is not enabled does not), then under ``$PYENV_ROOT/versions``.
Absent ones are skipped and named in the summary; a failing one fails the run.

Usage: ``python .ci/python_matrix.py [--python 3.9 ...] [--build-only] [pytest arguments]``.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
# Pins that keep every environment's install quick (pip would otherwise backtrack for a long time).
CONSTRAINTS = ROOT / "constraints.txt"
VERSIONS = ("3.9", "3.10", "3.12", "3.13")
# Every test that runs in-process: the worker's contract and gating, the dispatcher, the
# wrapper, the two warnings about Python 3.13+, the extensions, the samples and the docs'
# examples. Slow ones (a host in a subprocess, a fresh venv, the soak) and the end-to-end,
# load and packaging suites run once, under make unit.
TESTS = (
    "tests/framework",
    "tests/extensions",
    "tests/samples",
    "tests/docs",
)
PYTEST_SELECTION = ("-m", "not slow")
FRAMEWORK_EXTRAS = "testing"
EXTENSION_EXTRAS = "test"
TEMPLATE = "_template"
STAMP_NAME = ".matrix-stamp"


@dataclass
class Outcome:
    version: str
    present: bool
    passed: bool = False
    summary: str = ""
    seconds: float = 0.0


def find_interpreter(version: str) -> Optional[str]:
    """A runnable interpreter for ``version`` (``"3.9"``), or None."""
    candidates: List[str] = []
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(on_path)
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    installed = glob.glob(os.path.join(pyenv_root, "versions", f"{version}.*", "bin"))
    installed.sort(key=_patch_level, reverse=True)
    candidates.extend(os.path.join(folder, f"python{version}") for folder in installed)
    for candidate in candidates:
        if _reports_version(candidate, version):
            return candidate
    return None


def _patch_level(bin_folder: str) -> int:
    match = re.search(r"\.(\d+)/bin$", bin_folder)
    return int(match.group(1)) if match else -1


def _reports_version(interpreter: str, version: str) -> bool:
    try:
        out = subprocess.run(
            [interpreter, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip() == version


def extension_folders() -> List[Path]:
    """Every extension distribution, found by glob (``_template`` is copied, never installed)."""
    found = (path.parent for path in ROOT.glob("extensions/*/pyproject.toml"))
    return sorted(folder for folder in found if folder.name != TEMPLATE)


def distributions() -> List[str]:
    """Editable install arguments: the framework, then every extension."""
    return [f".[{FRAMEWORK_EXTRAS}]"] + [
        f"{folder.relative_to(ROOT)}[{EXTENSION_EXTRAS}]" for folder in extension_folders()
    ]


def stamp_for(interpreter: str) -> str:
    """What a venv was built from; a different value means it must be rebuilt."""
    digest = hashlib.sha256()
    digest.update(os.path.realpath(interpreter).encode())
    digest.update(" ".join(distributions()).encode())
    for path in [
        ROOT / "pyproject.toml",
        CONSTRAINTS,
        *(f / "pyproject.toml" for f in extension_folders()),
    ]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_venv(version: str, interpreter: str) -> Path:
    """``.venv-<version>`` with everything installed, rebuilt only when its stamp is stale."""
    venv = ROOT / f".venv-{version}"
    stamp = venv / STAMP_NAME
    expected = stamp_for(interpreter)
    if stamp.is_file() and stamp.read_text() == expected:
        return venv
    print(f"python matrix: building {venv.name} with {interpreter}", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    install = [python_of(venv), "-m", "pip", "install", "-q", "-c", str(CONSTRAINTS)]
    for requirement in distributions():
        install += ["-e", requirement]
    for command in ([interpreter, "-m", "venv", str(venv)], install):
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if result.returncode != 0:  # pip's output is shown only when it matters
            print(result.stdout, result.stderr, sep="\n", flush=True)
            raise subprocess.CalledProcessError(result.returncode, command)
    stamp.write_text(expected)
    return venv


def python_of(venv: Path) -> str:
    return str(venv / "bin" / "python")


def run_tests(version: str, venv: Path, pytest_args: Sequence[str]) -> Outcome:
    started = time.monotonic()
    command = [python_of(venv), "-m", "pytest", "-q", *PYTEST_SELECTION, *TESTS, *pytest_args]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    lines = result.stdout.strip().splitlines()
    summary = lines[-1].strip("= ") if lines else "no output"
    if result.returncode != 0:
        print(result.stdout, result.stderr, sep="\n", flush=True)
    return Outcome(version, True, result.returncode == 0, summary, time.monotonic() - started)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--python",
        action="append",
        dest="versions",
        metavar="X.Y",
        help=f"a version to run (repeatable); default {' '.join(VERSIONS)}",
    )
    parser.add_argument(
        "--build-only",
        action="store_true",
        help="only build the venvs (make typecheck uses .venv-3.9's packages)",
    )
    options, pytest_args = parser.parse_known_args(argv)
    outcomes: List[Outcome] = []
    for version in options.versions or VERSIONS:
        interpreter = find_interpreter(version)
        if interpreter is None:
            outcomes.append(Outcome(version, False))
            continue
        try:
            venv = ensure_venv(version, interpreter)
        except subprocess.CalledProcessError as exc:
            outcomes.append(Outcome(version, True, False, f"venv build failed: {exc}"))
            continue
        if options.build_only:
            outcomes.append(Outcome(version, True, True, "built"))
            continue
        outcome = run_tests(version, venv, pytest_args)
        print(f"python matrix: {version}: {outcome.summary}", flush=True)
        outcomes.append(outcome)
    if options.build_only:
        built = [o.version for o in outcomes if o.present]
        print(f"python matrix: venvs of {', '.join(built) or 'none'}", flush=True)
    else:
        print(summary_line(outcomes), flush=True)
    return 0 if all(o.passed for o in outcomes if o.present) else 1


def summary_line(outcomes: Sequence[Outcome]) -> str:
    ran = [
        f"{o.version} {'passed' if o.passed else 'FAILED'} ({o.summary})"
        for o in outcomes
        if o.present
    ]
    absent = [o.version for o in outcomes if not o.present]
    this = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return "python matrix: " + "; ".join(
        [
            f"{this}: the whole suite (make unit)",
            *ran,
            f"not present: {' '.join(absent) or 'none'}",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
