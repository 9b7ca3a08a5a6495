"""Every extension folder, found by glob, has the shape ``tests/extensions/shape.py`` states;
a copy broken in any one way fails the check, and the template, renamed, passes it."""

from __future__ import annotations

import importlib
import json
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, List

import pytest
from python_worker_extension_framework.testing import invoke, isolated_registry

from .shape import ROOT, readme_problems

FOLDERS = sorted(p.parent for p in ROOT.glob("extensions/*/pyproject.toml"))
TEMPLATE = ROOT / "extensions" / "_template"
TIMER = ROOT / "extensions" / "timer"


def shape_problems(folder: Path) -> List[str]:
    """The shape check run in a fresh interpreter, so ``folder``'s own package is imported
    even when an installed package has the same name."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.extensions.shape", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    problems: List[str] = json.loads(result.stdout)
    return problems


def test_every_extension_and_the_template_are_found() -> None:
    names = [folder.name for folder in FOLDERS]
    assert "_template" in names
    assert {"timer", "request_logging", "opencensus", "retry_context"} <= set(names)


@pytest.mark.parametrize("folder", FOLDERS, ids=[folder.name for folder in FOLDERS])
def test_extension_has_the_shared_shape(folder: Path) -> None:
    assert shape_problems(folder) == []


def _replace(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def breaks(copy: Path) -> None:
        path = copy / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, (relative, old)
        path.write_text(text.replace(old, new), encoding="utf-8")

    return breaks


def _delete(relative: str) -> Callable[[Path], None]:
    return lambda copy: (copy / relative).unlink()


PACKAGE = "python_worker_extension_timer"
OVERRIDE = """    @classmethod
    def pre_invocation_app_level(cls, *args: Any, **kwargs: Any) -> None:
        super().pre_invocation_app_level(*args, **kwargs)

    @classmethod
    def _on_pre_invocation("""

BREAKAGES = {
    "missing-licence": (_delete("LICENSE"), r"missing LICENSE"),
    "licence-edited": (
        _replace("LICENSE", "MIT License", "Licence"),
        r"LICENSE differs from the repository's",
    ),
    "setup-py-with-logic": (
        _replace("setup.py", "setup()", "setup(name='python-worker-extension-timer')"),
        r"setup\.py is not the trivial one",
    ),
    "framework-pinned-below-1": (
        _replace(
            "pyproject.toml",
            '"python-worker-extension-framework~=0.1.0"',
            '"python-worker-extension-framework>=0.1.0,<1"',
        ),
        r"should pin the framework to a compatible release",
    ),
    "untested-python-claimed": (
        _replace(
            "pyproject.toml",
            '"Programming Language :: Python :: 3.12",',
            '"Programming Language :: Python :: 3.12",\n'
            '    "Programming Language :: Python :: 3.13",',
        ),
        r"claims Python versions .*3\.13",
    ),
    "no-project-urls": (
        _replace("pyproject.toml", "[project.urls]", "[project.urls-removed]"),
        r"project\.urls is None",
    ),
    "readme-without-options": (
        _replace("readme.md", "## Options", "## Settings"),
        r"readme\.md has no '## Options' section",
    ),
    "readme-without-limits": (
        _replace("readme.md", "## Limits", "## Caveats"),
        r"readme\.md has no '## Limits' section",
    ),
    "option-missing-from-readme": (
        _replace("readme.md", "| `slow_threshold_ms` |", "| slow threshold |"),
        r"Options table does not list `slow_threshold_ms`",
    ),
    "app-setting-misnamed": (
        _replace(
            f"{PACKAGE}/options.py",
            'env=_app_setting("slow_threshold_ms")',
            'env="TIMER_SLOW_THRESHOLD_MS"',
        ),
        r"reads the app setting 'TIMER_SLOW_THRESHOLD_MS'; name it "
        r"'PYTHON_WORKER_EXTENSION_TIMER_SLOW_THRESHOLD_MS'",
    ),
    "plan-not-frozen": (
        _replace(f"{PACKAGE}/options.py", "@dataclass(frozen=True)", "@dataclass"),
        r"should define a frozen dataclass Plan",
    ),
    "options-compiled-elsewhere": (
        _replace(
            f"{PACKAGE}/extension.py",
            "cls._plan = Plan.from_settings(settings)",
            "cls._plan = Plan(append_to_http_response=settings['append_to_http_response'])",
        ),
        r"_on_configure should compile Plan\.from_settings\(settings\)",
    ),
    "public-hook-overridden": (
        _replace(
            f"{PACKAGE}/extension.py", "    @classmethod\n    def _on_pre_invocation(", OVERRIDE
        ),
        r"TimerExtension\.pre_invocation_app_level overrides the base class's public method",
    ),
    "logic-in-init": (
        _replace(f"{PACKAGE}/__init__.py", "__version__ = VERSION", "TimerExtension.configure()"),
        r"__init__\.py should hold only imports and __all__",
    ),
}


def _copy(source: Path, destination: Path) -> Path:
    return Path(
        shutil.copytree(
            source, destination, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__")
        )
    )


def test_an_intact_copy_passes(tmp_path: Path) -> None:
    """What the broken copies below are compared with: copying alone breaks nothing."""
    assert shape_problems(_copy(TIMER, tmp_path / "timer")) == []


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_copy_broken_one_way_fails_the_shape_check(tmp_path: Path, breakage: str) -> None:
    breaks, expected = BREAKAGES[breakage]
    copy = _copy(TIMER, tmp_path / "timer")
    breaks(copy)
    problems = shape_problems(copy)
    assert any(re.search(expected, problem) for problem in problems), problems


def test_the_template_renamed_is_a_new_extension_with_the_shape(tmp_path: Path) -> None:
    copy = _copy(TEMPLATE, tmp_path / "widget")
    (copy / "python_worker_extension_template").rename(copy / "python_worker_extension_widget")
    for path in copy.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".toml", ".in", ".md"):
            text = path.read_text(encoding="utf-8")
            for old, new in (
                ("template", "widget"),
                ("Template", "Widget"),
                ("TEMPLATE", "WIDGET"),
            ):
                text = text.replace(old, new)
            path.write_text(text, encoding="utf-8")
    assert shape_problems(copy) == []


def test_the_template_is_a_working_extension(
    extensions_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(TEMPLATE))
    with isolated_registry(empty=True):
        module = importlib.import_module("python_worker_extension_template")
        extension = module.TemplateExtension
        extension.configure(level="warning")
        record = invoke(lambda: "done", function_name="Hello")
        extension.reset()
    lines = [r for r in record.records if r.name == "python_worker_extension_template"]
    assert [(r.levelno, r.getMessage()) for r in lines] == [
        (logging.WARNING, "Invocation of Hello ended (returned)")
    ]


def test_the_framework_readme_has_the_sections_too() -> None:
    readme = (ROOT / "readme.md").read_text(encoding="utf-8")
    assert readme_problems("framework", readme) == []
