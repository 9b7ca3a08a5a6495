"""Every Python block of every readme is an example file that a test runs, or says why not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .readme_examples import ROOT, problems, python_blocks, readmes

# Each example file, and the test that runs it.
EXECUTED = {
    "examples/testing/function_app.py": "tests/docs/test_new_user_app.py",
    "examples/testing/test_function_app.py": "tests/docs/test_new_user_app.py",
    "examples/framework/hello_extension.py": "tests/docs/test_examples.py",
    "examples/framework/test_hello_extension.py": "tests/docs/test_examples.py",
    "examples/timer/function_app.py": "tests/docs/test_examples.py",
    "examples/request_logging/function_app.py": "tests/docs/test_examples.py",
    "examples/retry_context/function_app.py": "tests/docs/test_examples.py",
    "examples/retry_context/test_function_app.py": "tests/docs/test_examples.py",
    "examples/opencensus/tracer_main.py": "tests/extensions/opencensus/test_readme_example.py",
    "examples/opentelemetry/function_app.py": "tests/docs/test_examples.py",
}


@pytest.mark.parametrize("readme", readmes(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_python_block_is_an_executed_example_or_marked_not_runnable(readme: Path) -> None:
    assert problems(readme) == []
    for block in python_blocks(readme):
        if block.example_path is not None:
            assert block.example_path in EXECUTED, f"{block.where}: no test runs it"


def test_every_example_file_is_in_a_readme_and_has_a_runner() -> None:
    shown = {b.example_path for r in readmes() for b in python_blocks(r) if b.example_path}
    on_disk = {str(p.relative_to(ROOT)) for p in (ROOT / "examples").rglob("*.py")}
    assert on_disk == shown == set(EXECUTED)
    for runner in EXECUTED.values():
        assert (ROOT / runner).is_file()


def _copy(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "readme.md", tmp_path / "readme.md")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    return tmp_path / "readme.md"


def test_the_check_fails_when_a_block_and_its_example_differ(tmp_path: Path) -> None:
    readme = _copy(tmp_path)
    assert problems(readme, root=tmp_path) == []
    example = tmp_path / "examples" / "testing" / "function_app.py"
    example.write_text(example.read_text().replace("items/{id:int}", "items/{id}"))
    (found,) = problems(readme, root=tmp_path)
    assert "differs from examples/testing/function_app.py" in found


def test_the_check_fails_on_an_unmarked_block_and_on_a_missing_example(tmp_path: Path) -> None:
    readme = _copy(tmp_path)
    text = readme.read_text()
    text = text.replace("<!-- not runnable: a fragment of a v1 function's module -->\n", "")
    text = text.replace("examples/timer/", "examples/nowhere/", 1)
    text = text.replace(
        "example: examples/framework/hello_extension.py", "example: examples/gone.py"
    )
    readme.write_text(text)
    found = problems(readme, root=tmp_path)
    assert len(found) == 2
    assert "needs '<!-- example: examples/... -->' or '<!-- not runnable: reason -->'" in found[0]
    assert "example file examples/gone.py does not exist" in found[1]
