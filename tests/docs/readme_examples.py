"""The rule every Python block of a readme follows, and the reader that checks it.

Each `````python`` block is preceded (on the line before its fence) by one marker:

- ``<!-- example: examples/<path> -->``: the block is that file, character for character,
  and a test runs the file (``EXECUTED`` in ``test_readme_examples.py`` names which);
- ``<!-- not runnable: <reason> -->``: a fragment, with the reason it cannot run.

Readmes are found by glob (``readme.md`` and ``extensions/*/readme.md``), so a new
extension's readme is checked from the moment it exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

ROOT = Path(__file__).resolve().parents[2]
PYTHON_FENCES = {"python", "py", "python3"}
_EXAMPLE = re.compile(r"^<!--\s*example:\s*(?P<path>\S+)\s*-->$")
_NOT_RUNNABLE = re.compile(r"^<!--\s*not runnable:\s*(?P<reason>.*?)\s*-->$")


@dataclass
class Block:
    readme: Path
    line: int  # of the opening fence, 1-based
    text: str
    marker: Optional[str]  # the line before the fence

    @property
    def where(self) -> str:
        try:
            name = str(self.readme.relative_to(ROOT))
        except ValueError:
            name = f"{self.readme.parent.name}/{self.readme.name}"
        return f"{name}:{self.line}"

    @property
    def example_path(self) -> Optional[str]:
        match = _EXAMPLE.match(self.marker or "")
        return match.group("path") if match else None


def readmes(root: Path = ROOT) -> List[Path]:
    return sorted([root / "readme.md", *root.glob("extensions/*/readme.md")])


def python_blocks(readme: Path) -> List[Block]:
    lines = readme.read_text(encoding="utf-8").splitlines()
    blocks: List[Block] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("```") and line[3:].strip().lower() in PYTHON_FENCES:
            end = index + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            marker = lines[index - 1].strip() if index else None
            blocks.append(Block(readme, index + 1, "\n".join(lines[index + 1 : end]), marker))
            index = end + 1
        elif line.startswith("```"):
            end = index + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            index = end + 1
        else:
            index += 1
    return blocks


def problems(readme: Path, root: Path = ROOT) -> List[str]:
    """What is wrong with the readme's Python blocks; empty when every block follows the rule."""
    found: List[str] = []
    for block in python_blocks(readme):
        path = block.example_path
        if path is not None:
            example = root / path
            if not example.is_file():
                found.append(f"{block.where}: example file {path} does not exist")
            elif example.read_text(encoding="utf-8").rstrip("\n") != block.text.rstrip("\n"):
                found.append(
                    f"{block.where}: the block differs from {path}; copy the file into the "
                    "readme (or the block into the file) so they are identical"
                )
            continue
        reason = _NOT_RUNNABLE.match(block.marker or "")
        if reason is None or not reason.group("reason"):
            found.append(
                f"{block.where}: a Python block needs '<!-- example: examples/... -->' or "
                "'<!-- not runnable: reason -->' on the line before its fence"
            )
    return found
