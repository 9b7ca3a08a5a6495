"""The per-interpreter runs of ``make test`` (.ci/python_matrix.py): which interpreters count
as present, and the summary line that names them."""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "python_matrix.py"


@pytest.fixture(scope="module")
def matrix() -> ModuleType:
    spec = importlib.util.spec_from_file_location("python_matrix", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["python_matrix"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_a_shim_that_does_not_run_is_not_present_but_a_pyenv_install_is(
    matrix: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pyenv's shim for a version that is not enabled exists on PATH but fails.
    shims = tmp_path / "shims"
    executable(shims / "python3.7", "#!/bin/sh\necho 'pyenv: python3.7: command not found' >&2\n")
    real = Path(sys.executable)
    root = tmp_path / "pyenv"
    executable(
        root / "versions" / "3.7.1" / "bin" / "python3.7", f'#!/bin/sh\nexec "{real}" "$@"\n'
    )
    monkeypatch.setenv("PATH", str(shims))
    monkeypatch.setenv("PYENV_ROOT", str(root))
    this = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert matrix.find_interpreter("3.7") is None  # the pyenv install reports another version
    executable(
        root / "versions" / f"{this}.1" / "bin" / f"python{this}",
        f'#!/bin/sh\nexec "{real}" "$@"\n',
    )
    found = matrix.find_interpreter(this)
    assert found == str(root / "versions" / f"{this}.1" / "bin" / f"python{this}")


def test_the_summary_names_what_ran_what_failed_and_what_is_absent(matrix: ModuleType) -> None:
    Outcome = matrix.Outcome
    line = matrix.summary_line(
        [
            Outcome("3.9", True, True, "186 passed in 1.7s"),
            Outcome("3.10", False),
            Outcome("3.13", True, False, "1 failed, 185 passed in 4.4s"),
        ]
    )
    this = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert line == (
        f"python matrix: {this}: the whole suite (make unit); 3.9 passed (186 passed in 1.7s); "
        "3.13 FAILED (1 failed, 185 passed in 4.4s); not present: 3.10"
    )


def test_an_absent_interpreter_is_named_and_does_not_fail_the_run(
    matrix: ModuleType, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", os.devnull)
    monkeypatch.setenv("PYENV_ROOT", os.devnull)
    assert matrix.main(["--python", "3.99"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("not present: 3.99")
