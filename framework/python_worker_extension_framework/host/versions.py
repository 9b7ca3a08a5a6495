"""``funcext --version``: the framework's version and those of the extensions installed with it.

An extension is any installed distribution that requires ``python-worker-extension-framework``,
so third-party extensions built on the framework are listed too.
"""

from __future__ import annotations

import platform
import re
from importlib import metadata
from typing import List, Tuple

from ..version import VERSION

FRAMEWORK_DISTRIBUTION = "python-worker-extension-framework"


def normalise_name(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return normalise_name(match.group(1)) if match else ""


def installed_extensions() -> List[Tuple[str, str]]:
    """(name, version) of each installed distribution that requires the framework."""
    found = {}
    for distribution in metadata.distributions():
        name = distribution.metadata["Name"]
        if not name or normalise_name(name) == FRAMEWORK_DISTRIBUTION:
            continue
        requirements = distribution.requires or []
        if any(
            _requirement_name(r) == FRAMEWORK_DISTRIBUTION and "extra ==" not in r
            for r in requirements
        ):
            found[normalise_name(name)] = (name, distribution.version)
    return sorted(found.values())


def _version_of(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def version_text() -> str:
    """What ``funcext --version`` prints: one ``name version`` per line."""
    lines = [f"funcext ({FRAMEWORK_DISTRIBUTION}) {VERSION}"]
    extensions = installed_extensions()
    lines += [f"  {name} {version}" for name, version in extensions]
    if not extensions:
        lines.append("  no worker extensions installed")
    lines.append(f"azure-functions {_version_of('azure-functions')}")
    lines.append(f"Python {platform.python_version()}")
    return "\n".join(lines)
