"""The checks themselves, run in the process that loads the app (``funcext check``).

The app is loaded exactly as ``funcext start`` loads it (settings, import, routes), so the
configuration problems the host names at start are found here too; nothing is served and
nothing is fetched. Then the extensions the app registered are checked against what the
worker will do with them in Azure.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Any, Iterator, List, Optional, Set, Tuple

from azure.functions import ExtensionMeta

from ...core import _checks as checks
from ...core import _registry as registry
from ...core.gating import SETTING, is_true_like
from ...errors import ExtensionDefinitionWarning
from .. import timers
from ..cors import CorsConfigError, CorsPolicy
from ..loader import AppLoadError, FunctionSpec
from ..routing import RouteTemplateError
from ..settings import AppConfigError
from ..versions import FRAMEWORK_DISTRIBUTION
from . import requirements as reqs
from .python_version import Version, target_python
from .report import ERROR, WARNING, CheckReport

LOCAL_SETTINGS = "local.settings.json"
REQUIREMENTS = "requirements.txt"
WRAPPER_FIX = (
    "wrap the app with ExtensionsFunctionApp or wrap_app (v2), or each main with "
    "@with_extensions (v1), from python_worker_extension_framework.wrapper: the extensions "
    "then run inside each function"
)


def _relative(path: Any, app_dir: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(app_dir))
    except (ValueError, OSError, TypeError):
        return str(path)


def _split_fix(text: str, default: str) -> Tuple[str, str]:
    """A host message ``"... Fix: ..."`` as (message, fix); ``default`` when it has none."""
    message, marker, fix = text.partition(" Fix: ")
    return (message, fix) if marker else (text, default)


def _file_named_in(message: str, app_dir: Path, default: str) -> str:
    """The first path inside the app folder that a host error message names."""
    match = re.search(re.escape(str(app_dir)) + r"[/\\]([^:,\s]+)", message)
    return match.group(1) if match else default


def _source_file(obj: Any, app_dir: Path) -> str:
    try:
        return _relative(
            inspect.getsourcefile(obj if isinstance(obj, type) else type(obj)), app_dir
        )
    except TypeError:
        return "(unknown file)"


def _files_mentioning(app_dir: Path, text: str) -> str:
    """The first of the app's own Python files (or function.json files) mentioning ``text``."""
    candidates = [*app_dir.rglob("*.py"), *app_dir.glob("*/function.json")]
    for path in sorted(candidates):
        if any(part.startswith(".") or part in ("__pycache__", ".venv") for part in path.parts):
            continue
        try:
            if text in path.read_text(encoding="utf-8", errors="replace"):
                return _relative(path, app_dir)
        except OSError:
            continue
    return "(the app)"


def _is_app_code(cls: type, app_dir: Path) -> bool:
    try:
        source = inspect.getsourcefile(cls)
    except TypeError:
        return False
    return source is not None and _relative(source, app_dir) != str(source)


@contextlib.contextmanager
def _quiet_import() -> Iterator[None]:
    """The app's prints go to stderr (stdout may carry JSON); definition warnings are
    reported as problems instead."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
        warnings.simplefilter("ignore", ExtensionDefinitionWarning)
        yield


class _Checker:
    def __init__(self, app_dir: Path, version: Version, report: CheckReport) -> None:
        self.app_dir = app_dir
        self.version = version
        self.report = report

    def add(self, severity: str, code: str, file: str, message: str, fix: str) -> None:
        self.report.add(severity, code, file, message, fix)

    # -- loading, as the host loads ------------------------------------------------------------

    def load(self) -> Optional[Any]:
        from ..runtime import FunctionHost

        os.chdir(self.app_dir)
        try:
            with _quiet_import():
                return FunctionHost.load(self.app_dir)
        except AppConfigError as exc:
            file = _file_named_in(str(exc), self.app_dir, LOCAL_SETTINGS)
            message, fix = _split_fix(str(exc), f"correct {file} as the message says")
            self.add(ERROR, "settings-invalid", file, message, fix)
        except AppLoadError as exc:
            file = _file_named_in(str(exc), self.app_dir, "(the app)")
            message, fix = _split_fix(str(exc), f"correct {file} as the message says")
            self.add(ERROR, "app-load-failed", file, message, fix)
        except RouteTemplateError as exc:
            template = re.match(r"route '([^']*)'", str(exc))
            file = _files_mentioning(self.app_dir, template.group(1)) if template else "(routes)"
            message, fix = _split_fix(str(exc), "correct the route template")
            self.add(ERROR, "route-invalid", file, message, fix)
        return None

    def host_configuration(self, host: Any) -> None:
        """What ``funcext start`` would warn about or refuse, beyond the import itself."""
        specs: List[FunctionSpec] = list(host.functions.values())
        for warning in host.settings.core_tools.warnings:
            message, fix = _split_fix(warning, "remove the entry")
            self.add(WARNING, "local-settings-ignored", LOCAL_SETTINGS, message, fix)
        for note in _start_notes(host):
            message, fix = _split_fix(note, "see the message; funcext start warns about it too")
            self.add(WARNING, "start-warning", "(routes and bindings)", message, fix)
        core_tools = host.settings.core_tools
        if core_tools.cors:
            try:
                CorsPolicy.parse(core_tools.cors, core_tools.cors_credentials)
            except CorsConfigError as exc:
                message, fix = _split_fix(str(exc), "correct Host.CORS")
                self.add(ERROR, "cors-invalid", LOCAL_SETTINGS, message, fix)
        for spec in specs:
            if not timers.is_timer(spec):
                continue
            try:
                timers.timer_function(spec)
            except timers.TimerConfigError as exc:
                file = _file_named_in(
                    str(exc), self.app_dir, _relative(spec.script_file, self.app_dir)
                )
                message, fix = _split_fix(
                    str(exc),
                    "write a six-field NCRONTAB schedule, seconds first, e.g. '0 */5 * * * *'",
                )
                self.add(ERROR, "timer-schedule-invalid", file, message, fix)

    # -- extensions ----------------------------------------------------------------------------

    def extensions(self, host: Any) -> None:
        specs: List[FunctionSpec] = list(host.functions.values())
        app_classes = [
            c for c in registry.app_extensions() if not getattr(c, "_framework_internal", False)
        ]
        wrapped = any(getattr(c, "_framework_internal", False) for c in registry.app_extensions())
        function_level = _function_level_extensions()
        names = [c.__name__ for c in app_classes] + [type(e).__name__ for _, e in function_level]
        if names:
            self._setting(host, sorted(set(names)), wrapped)
        self._python_version(bool(names), wrapped)
        for cls in app_classes:
            self._definition(cls)
            self._configured_and_filters(cls, specs)
        for trigger_name, instance in function_level:
            self._definition(type(instance))
            self._function_level(trigger_name, instance, specs)
        self._requirements([*app_classes, *(type(e) for _, e in function_level)], wrapped)

    def _setting(self, host: Any, names: List[str], wrapped: bool) -> None:
        if self.version >= (3, 13) or wrapped:
            return  # the worker ignores the setting there; the wrapper runs them regardless
        value = host.settings.extensions_setting_in_values
        on = value is not None and is_true_like(value)
        where = (
            LOCAL_SETTINGS if host.settings.has_local_settings else f"{LOCAL_SETTINGS} (missing)"
        )
        azure = (
            "local.settings.json is not deployed: set the application setting "
            f"{SETTING}=1 on the function app in Azure as well (portal, or az functionapp "
            "config appsettings set)"
        )
        fix = f'add "{SETTING}": "1" to Values in {LOCAL_SETTINGS}; {azure}'
        used = ", ".join(names)
        major, minor = self.version
        if value is None and self.version == (3, 9):
            self.add(
                WARNING,
                "extensions-setting-implicit",
                where,
                f"The app imports {used}; {SETTING} is not set, which runs them on Python 3.9 "
                "only: they stop silently when the app moves to 3.10 or later.",
                fix,
            )
        elif value is None:
            self.add(
                ERROR,
                "extensions-setting-missing",
                where,
                f"The app imports {used}, but {SETTING} is not set in Values, so on Python "
                f"{major}.{minor} the worker silently runs none of them in Azure.",
                fix,
            )
        elif not on:
            self.add(
                ERROR,
                "extensions-setting-off",
                where,
                f"The app imports {used}, but {SETTING} is {value!r}, which turns them off: "
                f"the worker silently runs none of them in Azure.",
                fix,
            )

    def _python_version(self, uses_extensions: bool, wrapped: bool) -> None:
        major, minor = self.version
        source = self.report.python_source
        file = source if source in (".python-version", "runtime.txt") else f"(Python from {source})"
        if self.version < (3, 9):
            self.add(
                ERROR,
                "python-version-unsupported",
                file,
                f"Python {major}.{minor}: Azure Functions and this framework need 3.9 or later.",
                "move the app to a supported Python (3.10-3.12 run worker extensions)",
            )
        elif self.version >= (3, 13) and uses_extensions and not wrapped:
            self.add(
                ERROR,
                "python-version-no-extensions",
                file,
                f"Python {major}.{minor}: the Azure Functions worker for 3.13 and later runs no "
                "worker extensions, whatever the settings say, so this app's would never run.",
                WRAPPER_FIX,
            )

    def _definition(self, cls: type) -> None:
        bases = [k for k in cls.__mro__ if vars(k).get("_framework_base", False)]
        for problem in checks.problems_of(cls, bases):
            self.add(
                ERROR,
                "extension-definition",
                _source_file(cls, self.app_dir),
                problem,
                f"change {cls.__name__} as the message says; the worker skips such hooks silently",
            )

    def _configured_and_filters(self, cls: type, specs: List[FunctionSpec]) -> None:
        from ...toolkit import WorkerExtension

        if not issubclass(cls, WorkerExtension):
            return
        where = _files_mentioning(self.app_dir, cls.__name__)
        if not cls.is_configured():
            self.add(
                WARNING,
                "extension-not-configured",
                where,
                f"{cls.__name__} is imported but {cls.__name__}.configure() is never called; "
                "it runs with its defaults and app settings.",
                f"call {cls.__name__}.configure(...) after the import, as its readme shows",
            )
        settings = cls.settings()
        functions = {spec.name.lower(): spec.name for spec in specs}
        for option in ("only", "exclude"):
            rule = settings[option]
            if not isinstance(rule, frozenset):
                continue  # None, or a predicate: nothing to compare
            unknown = sorted(name for name in rule if name not in functions)
            if not unknown:
                continue
            runs_nowhere = option == "only" and len(unknown) == len(rule)
            self.add(
                ERROR if runs_nowhere else WARNING,
                "filter-names-no-function",
                where,
                f"{cls.__name__}'s {option}= names {', '.join(repr(n) for n in unknown)}, "
                "which is no function of this app"
                + ("; the extension runs for no function at all." if runs_nowhere else "."),
                f"use the function names ({', '.join(functions.values())}); they are matched "
                "without regard to case",
            )

    def _function_level(self, trigger_name: str, instance: Any, specs: List[FunctionSpec]) -> None:
        cls = type(instance)
        names = {spec.name.lower() for spec in specs}
        if trigger_name in names:
            return
        v2 = any(spec.model == "v2" for spec in specs)
        reason = (
            "a v2 app has no function folders, so the worker never matches a function-level "
            "extension to a function"
            if v2
            else f"it is bound to {trigger_name!r}, which is no function folder of this app"
        )
        self.add(
            ERROR,
            "function-extension-unmatched",
            _files_mentioning(self.app_dir, cls.__name__),
            f"{cls.__name__} is a function-level extension (FuncExtensionBase) and never runs: "
            f"{reason}.",
            "use an app-level extension instead (AppExtensionBase, or WorkerExtension with "
            "only=[...] to choose functions)"
            if v2
            else "create it in the function's own __init__.py with __file__",
        )

    def _requirements(self, classes: List[type], wrapped: bool) -> None:
        path = self.app_dir / REQUIREMENTS
        listed = reqs.read_requirements(path)
        listed_names = {r.name for r in listed}
        distributions: Set[str] = set()
        for cls in classes:
            if _is_app_code(cls, self.app_dir):
                continue  # the app's own extension travels with the app
            distribution = reqs.distribution_of(cls.__module__)
            if distribution is None:
                continue
            distributions.add(distribution)
            if distribution not in listed_names:
                self.add(
                    ERROR,
                    "requirement-missing",
                    REQUIREMENTS,
                    f"{cls.__name__} comes from the distribution {distribution}, which "
                    f"{REQUIREMENTS} does not list"
                    + ("" if path.is_file() else " (there is no such file)")
                    + ", so Azure does not install it and the app fails to import.",
                    f"add the line '{distribution}' to {REQUIREMENTS}",
                )
        if wrapped and FRAMEWORK_DISTRIBUTION not in listed_names and not distributions:
            self.add(
                ERROR,
                "requirement-missing",
                REQUIREMENTS,
                f"The app uses the framework's wrapper, but {REQUIREMENTS} lists neither "
                f"{FRAMEWORK_DISTRIBUTION} nor an extension that brings it.",
                f"add the line '{FRAMEWORK_DISTRIBUTION}' to {REQUIREMENTS}",
            )
        self._framework_pins(listed, sorted(distributions))

    def _framework_pins(self, listed: List[reqs.Requirement], distributions: List[str]) -> None:
        for requirement in listed:
            if requirement.name != FRAMEWORK_DISTRIBUTION:
                continue
            pinned = reqs.pinned_version(requirement.specifier)
            if pinned is None:
                continue
            for distribution in distributions:
                wanted = reqs.framework_requirement_of(distribution)
                if wanted is None:
                    continue
                ok, decided = reqs.accepts(wanted, pinned)
                if decided and not ok:
                    self.add(
                        ERROR,
                        "framework-pin-conflict",
                        f"{REQUIREMENTS}, line {requirement.line}",
                        f"{FRAMEWORK_DISTRIBUTION}{requirement.specifier} is pinned, but "
                        f"{distribution} needs {FRAMEWORK_DISTRIBUTION}{wanted}, so the build "
                        "in Azure cannot resolve the requirements.",
                        f"pin a version {distribution} accepts ({wanted}), or drop the pin",
                    )


def _start_notes(host: Any) -> List[str]:
    """The warnings ``funcext start`` prints about routes (and, where the host names them,
    binding types): ``FunctionHost.start_notes`` when it exists, else its route notes."""
    notes = getattr(host, "start_notes", None) or host.route_notes
    return list(notes())


def _function_level_extensions() -> List[Tuple[str, Any]]:
    """(trigger name, instance) of every registered function-level extension, once each."""
    found: List[Tuple[str, Any]] = []
    seen: Set[int] = set()
    for trigger_name, hooks in ExtensionMeta._func_exts.items():
        for impls in hooks or ():
            for impl in impls:
                owner = getattr(impl.ext_impl, "__self__", None)
                if owner is not None and id(owner) not in seen:
                    seen.add(id(owner))
                    found.append((str(trigger_name).lower(), owner))
    return found


def run_check(app_dir: Path, python: Optional[str] = None) -> CheckReport:
    """Check the app in this process (which it imports); raises ``PythonVersionError`` for a
    bad ``python`` option."""
    app_dir = app_dir.resolve()
    version, source, version_warning = target_python(app_dir, python)
    report = CheckReport(str(app_dir), f"{version[0]}.{version[1]}", source)
    checker = _Checker(app_dir, version, report)
    if version_warning:
        checker.add(
            WARNING,
            "python-version-unreadable",
            version_warning.split(":", 1)[0],
            version_warning,
            "write the version as MAJOR.MINOR, e.g. 3.11",
        )
    if not app_dir.is_dir():
        checker.add(ERROR, "app-load-failed", str(app_dir), "no such folder", "name the app folder")
        return report
    host = checker.load()
    if host is None:
        return report
    try:
        checker.host_configuration(host)
        checker.extensions(host)
    finally:
        host.close()
    return report
