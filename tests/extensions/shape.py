"""The shape every extension folder shares, as a list of problems with one folder.

``extensions/<name>/`` (and ``extensions/_template/``, which a new extension copies) holds
the same files; its readme (the PyPI page) the same sections; its metadata is declared in
pyproject.toml the same way as the framework's, with a trivial setup.py; its options
module names app settings ``PYTHON_WORKER_EXTENSION_<NAME>_<OPTION>`` and compiles a frozen
``Plan`` in ``_on_configure``; and its extension class fills in the base class's private
steps without overriding a public method.

Run as ``python -m tests.extensions.shape <folder>`` from the repository root: it imports
the folder's own package (not an installed one of the same name) and prints the problems
as a JSON list, so a copy of an extension can be checked next to the original.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import json
import re
import sys
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any, Dict, List, Sequence

ROOT = Path(__file__).resolve().parents[2]
FOLDER_FILES = ("LICENSE", "MANIFEST.in", "pyproject.toml", "setup.py", "readme.md")
PACKAGE_FILES = ("__init__.py", "version.py", "options.py", "extension.py", "py.typed")
# The readme's second-level headings, each found by how it starts.
README_SECTIONS = (
    "Install",
    "Use it in a function app",
    "Options",
    "What it does",
    "Limits",
    "License",
)
PYTHON_CLASSIFIER = "Programming Language :: Python :: 3."
FRAMEWORK = "python-worker-extension-framework"


def extension_name(folder: Path) -> str:
    """``timer`` for ``extensions/timer``; ``template`` for ``extensions/_template``."""
    return folder.name.lstrip("_")


def problems_of(folder: Path) -> List[str]:
    """Everything that keeps ``folder`` from the shared shape; empty when it has it."""
    package = f"python_worker_extension_{extension_name(folder)}"
    missing = [name for name in FOLDER_FILES if not (folder / name).is_file()]
    missing += [
        f"{package}/{name}" for name in PACKAGE_FILES if not (folder / package / name).is_file()
    ]
    if missing:
        return [
            f"{folder.name}: missing {', '.join(missing)} (copy them from extensions/_template)"
        ]
    readme = (folder / "readme.md").read_text(encoding="utf-8")
    return [
        *_packaging_problems(folder, package),
        *readme_problems(folder.name, readme),
        *_code_problems(folder, package, readme),
    ]


# -- packaging ---------------------------------------------------------------------------


def _toml(path: Path) -> Dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the check needs Python 3.11's tomllib or the tomli backport
        import tomli as tomllib
    with path.open("rb") as file:
        data: Dict[str, Any] = tomllib.load(file)
    return data


def _framework_version() -> str:
    text = (ROOT / "framework" / "python_worker_extension_framework" / "version.py").read_text()
    found = re.search(r'VERSION = "(\d+)\.(\d+)\.\d+"', text)
    assert found is not None, "the framework's version.py has no VERSION"
    return f"{found.group(1)}.{found.group(2)}.0"


def _packaging_problems(folder: Path, package: str) -> List[str]:
    where = folder.name
    problems: List[str] = []
    if (folder / "LICENSE").read_bytes() != (ROOT / "LICENSE").read_bytes():
        problems.append(f"{where}: LICENSE differs from the repository's LICENSE; copy it")
    if (folder / "setup.py").read_text() != (ROOT / "setup.py").read_text():
        problems.append(
            f"{where}: setup.py is not the trivial one every distribution shares (metadata "
            "belongs in pyproject.toml); copy the repository's setup.py"
        )
    manifest = (folder / "MANIFEST.in").read_text().split("\n")
    for wanted in ("include readme.md", f"include {package}/py.typed"):
        if wanted not in manifest:
            problems.append(f"{where}: MANIFEST.in lacks {wanted!r}")

    root = _toml(ROOT / "pyproject.toml")
    meta = _toml(folder / "pyproject.toml")
    project = meta.get("project", {})
    setuptools = meta.get("tool", {}).get("setuptools", {})
    distribution = "python-worker-extension-" + extension_name(folder).replace("_", "-")
    expected = {
        "[build-system]": (meta.get("build-system"), root["build-system"]),
        "project.name": (project.get("name"), distribution),
        "project.dynamic": (project.get("dynamic"), ["version"]),
        "project.readme": (project.get("readme"), "readme.md"),
        "project.license": (project.get("license"), root["project"]["license"]),
        "project.license-files": (project.get("license-files"), ["LICENSE"]),
        "project.requires-python": (
            project.get("requires-python"),
            root["project"]["requires-python"],
        ),
        "project.urls": (project.get("urls"), root["project"]["urls"]),
        "tool.setuptools.packages": (setuptools.get("packages"), [package]),
        "tool.setuptools.package-data": (setuptools.get("package-data"), {package: ["py.typed"]}),
        "tool.setuptools.dynamic.version": (
            setuptools.get("dynamic", {}).get("version"),
            {"attr": f"{package}.version.VERSION"},
        ),
    }
    for key, (found, wanted) in expected.items():
        if found != wanted:
            problems.append(f"{where}: pyproject.toml {key} is {found!r}, expected {wanted!r}")

    pythons = sorted(c for c in project.get("classifiers", []) if c.startswith(PYTHON_CLASSIFIER))
    tested = sorted(c for c in root["project"]["classifiers"] if c.startswith(PYTHON_CLASSIFIER))
    if pythons != tested:
        problems.append(
            f"{where}: pyproject.toml claims Python versions {pythons}; claim exactly the "
            f"framework's, the tested ones: {tested}"
        )

    pin = re.compile(rf"{FRAMEWORK}(\[\w+\])?~={re.escape(_framework_version())}$")
    requirements = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    framework_pins = [r for r in requirements if r.startswith(FRAMEWORK)]
    if not any(r.startswith(FRAMEWORK + "~=") for r in project.get("dependencies", [])):
        problems.append(f"{where}: pyproject.toml dependencies do not require {FRAMEWORK}")
    for requirement in framework_pins:
        if not pin.match(requirement):
            problems.append(
                f"{where}: {requirement!r} should pin the framework to a compatible release: "
                f"'{FRAMEWORK}~={_framework_version()}'"
            )
    return problems


# -- readme ------------------------------------------------------------------------------


def _sections(readme: str) -> Dict[str, str]:
    """Second-level heading -> its text, up to the next second-level heading."""
    parts = re.split(r"^## (.+)$", readme, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def _section(sections: Dict[str, str], wanted: str) -> str | None:
    for heading, text in sections.items():
        if heading.lower().startswith(wanted.lower()):
            return text
    return None


def readme_problems(where: str, readme: str) -> List[str]:
    sections = _sections(readme)
    problems = [
        f"{where}: readme.md has no '## {wanted}' section"
        for wanted in README_SECTIONS
        if _section(sections, wanted) is None
    ]
    headings = list(sections)
    if headings and not headings[-1].startswith("License"):
        problems.append(f"{where}: readme.md should end with its '## License' section")
    options = _section(sections, "Options")
    if options is not None and not re.search(r"^\|[- |]+\|$", options, flags=re.MULTILINE):
        problems.append(f"{where}: readme.md's Options section has no table")
    return problems


# -- code --------------------------------------------------------------------------------


def _import_from(folder: Path, name: str) -> ModuleType:
    sys.path.insert(0, str(folder))
    module = importlib.import_module(name)
    origin = Path(module.__file__ or "").resolve()
    if folder.resolve() not in origin.parents:
        raise RuntimeError(f"{name} was imported from {origin}, not from {folder}")
    return module


def _init_is_reexports_only(path: Path) -> bool:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, ast.Assign) and all(
            isinstance(t, ast.Name) and t.id in ("__all__", "__version__") for t in node.targets
        ):
            continue
        return False
    return True


def _compiles_plan_in_on_configure(path: Path, class_name: str) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.ClassDef) and node.name == class_name):
            continue
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name == "_on_configure":
                return any(
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "from_settings"
                    and isinstance(call.func.value, ast.Name)
                    and call.func.value.id == "Plan"
                    for call in ast.walk(item)
                )
    return False


def _public_methods(cls: type) -> List[str]:
    return [
        name
        for name, value in vars(cls).items()
        if not name.startswith("_")
        and isinstance(value, (classmethod, staticmethod, FunctionType, property))
    ]


def _code_problems(folder: Path, package: str, readme: str) -> List[str]:
    from python_worker_extension_framework.toolkit import Option, WorkerExtension

    where = folder.name
    module = _import_from(folder, package)
    options = importlib.import_module(f"{package}.options")
    problems: List[str] = []
    if not _init_is_reexports_only(folder / package / "__init__.py"):
        problems.append(f"{where}: {package}/__init__.py should hold only imports and __all__")
    exported = getattr(module, "__all__", [])
    for name in ("APP_SETTING_PREFIX", "LOGGER_NAME", "__version__"):
        if name not in exported:
            problems.append(f"{where}: {package} does not export {name}")
    classes = [
        value
        for value in (getattr(module, name, None) for name in exported)
        if isinstance(value, type) and issubclass(value, WorkerExtension)
    ]
    if len(classes) != 1:
        return [*problems, f"{where}: {package} should export one WorkerExtension subclass"]
    extension = classes[0]

    prefix = f"PYTHON_WORKER_EXTENSION_{extension_name(folder).upper()}_"
    if getattr(options, "APP_SETTING_PREFIX", None) != prefix:
        problems.append(f"{where}: options.APP_SETTING_PREFIX should be {prefix!r}")
    if getattr(module, "LOGGER_NAME", None) != package or extension.log.name != package:
        problems.append(f"{where}: the extension should log on the logger {package!r}")
    declared: Sequence[Any] = getattr(options, "OPTIONS", ())
    if extension.options is not declared or not all(isinstance(o, Option) for o in declared):
        problems.append(f"{where}: {extension.__name__}.options should be options.OPTIONS")
    plan = getattr(options, "Plan", None)
    if not (
        isinstance(plan, type)
        and dataclasses.is_dataclass(plan)
        and plan.__dataclass_params__.frozen  # type: ignore[attr-defined]
        and isinstance(inspect.getattr_static(plan, "from_settings", None), classmethod)
    ):
        problems.append(
            f"{where}: options.py should define a frozen dataclass Plan with a classmethod "
            "from_settings(settings)"
        )
    if not _compiles_plan_in_on_configure(folder / package / "extension.py", extension.__name__):
        problems.append(
            f"{where}: {extension.__name__}._on_configure should compile "
            "Plan.from_settings(settings)"
        )

    options_text = _section(_sections(readme), "Options") or ""
    for option in extension.all_options():
        if option.env is not None and option.env != prefix + option.name.upper():
            problems.append(
                f"{where}: option {option.name!r} reads the app setting {option.env!r}; name it "
                f"{prefix + option.name.upper()!r} (an older name can stay as an alias)"
            )
        if f"`{option.name}`" not in options_text:
            problems.append(f"{where}: readme.md's Options table does not list `{option.name}`")
        for setting in option.app_settings():
            if f"`{setting}`" not in readme:
                problems.append(f"{where}: readme.md does not document the app setting {setting}")

    base_public = set(_public_methods(WorkerExtension))
    for klass in extension.__mro__:
        if klass is WorkerExtension:
            break
        for name in sorted(base_public.intersection(_public_methods(klass))):
            problems.append(
                f"{where}: {klass.__name__}.{name} overrides the base class's public method; "
                "fill in a private step instead (_on_pre_invocation, _after_pre_invocation, "
                "_on_configure, ...)"
            )
    return problems


if __name__ == "__main__":
    print(json.dumps(problems_of(Path(sys.argv[1]).resolve())))
