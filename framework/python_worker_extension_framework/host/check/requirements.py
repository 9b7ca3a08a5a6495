"""The app's ``requirements.txt`` against the extensions it imports.

Azure installs exactly what ``requirements.txt`` lists, so an extension that imports fine
here (installed by hand, or by another project) fails to import there when its
distribution is not listed. A line pinning the framework to a version the installed
extensions do not accept makes the build in Azure fail to resolve.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..versions import FRAMEWORK_DISTRIBUTION, normalise_name

_NAME = re.compile(r"\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?P<spec>[^;#]*)")


@dataclass(frozen=True)
class Requirement:
    name: str  # normalised
    specifier: str  # e.g. "==0.1.0", "" when none
    file: Path
    line: int


def read_requirements(path: Path, _seen: Optional[set[Path]] = None) -> List[Requirement]:
    """The named requirements of ``path`` and of the files it includes with ``-r``."""
    seen = _seen if _seen is not None else set()
    if path in seen or not path.is_file():
        return []
    seen.add(path)
    found: List[Requirement] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ")):
            included = line.split(None, 1)[1].strip()
            found += read_requirements((path.parent / included).resolve(), seen)
            continue
        if line.startswith("-") or "://" in line:
            continue  # options, editable paths and URLs name no distribution we can read
        match = _NAME.match(line)
        if match:
            found.append(
                Requirement(
                    normalise_name(match.group("name")),
                    match.group("spec").strip().replace(" ", ""),
                    path,
                    number,
                )
            )
    return found


def _top_level_map() -> Dict[str, List[str]]:
    """Import package name -> distribution names (``packages_distributions`` for 3.9 too)."""
    found: Dict[str, List[str]] = {}
    for distribution in metadata.distributions():
        name = distribution.metadata["Name"]
        if not name:
            continue
        text = distribution.read_text("top_level.txt") or ""
        packages = text.split()
        if not packages:
            packages = [
                str(f.parts[0]).removesuffix(".py")
                for f in distribution.files or []
                if f.parts and not str(f.parts[0]).endswith((".dist-info", ".egg-info", ".pth"))
            ]
        for package in set(packages):
            found.setdefault(package, []).append(name)
    return found


def distribution_of(module: str) -> Optional[str]:
    """The installed distribution that provides ``module``'s top-level package, if any."""
    top = module.split(".", 1)[0]
    names = _top_level_map().get(top)
    if names:
        return normalise_name(names[0])
    guess = top.replace("_", "-")
    try:
        metadata.distribution(guess)
    except metadata.PackageNotFoundError:
        return None
    return normalise_name(guess)


def framework_requirement_of(distribution: str) -> Optional[str]:
    """The specifier with which ``distribution`` requires the framework, e.g. ``<1,>=0.1.0``."""
    try:
        requirements = metadata.requires(distribution) or []
    except metadata.PackageNotFoundError:
        return None
    for requirement in requirements:
        if "extra ==" in requirement:
            continue
        match = _NAME.match(requirement)
        if match and normalise_name(match.group("name")) == FRAMEWORK_DISTRIBUTION:
            return match.group("spec").strip().replace(" ", "") or None
    return None


def pinned_version(specifier: str) -> Optional[str]:
    """The version of an ``==`` / ``===`` pin (``==0.1.*`` counts), else None."""
    for part in specifier.split(","):
        if part.startswith("===") or (part.startswith("==") and not part.startswith("===")):
            return part.lstrip("=")
    return None


def accepts(specifier: str, version: str) -> Tuple[bool, bool]:
    """(whether ``version`` satisfies ``specifier``, whether that could be decided)."""
    try:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
        from packaging.version import InvalidVersion, Version
    except ImportError:  # packaging comes with pip and setuptools; without it, say nothing
        return True, False
    try:
        if version.endswith(".*"):  # a wildcard pin: test its first release
            version = version[:-2] + ".0"
        return Version(version) in SpecifierSet(specifier), True
    except (InvalidSpecifier, InvalidVersion):
        return True, False
