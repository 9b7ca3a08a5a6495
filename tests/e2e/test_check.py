"""``funcext check``: one purpose-built broken app per problem, and every sample passes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import pytest
from python_worker_extension_framework.host.check import CheckReport, Problem, check_app
from python_worker_extension_framework.testing import assert_app_is_clean

from .conftest import SAMPLES, AppWriter

CLEAN_APP = """
import azure.functions as func
from python_worker_extension_timer import TimerExtension

TimerExtension.configure()
app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello")
def hello(req: func.HttpRequest) -> str:
    return "hello"


@app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer")
def tick(timer: func.TimerRequest) -> None:
    pass
"""
CLEAN_FILES = {
    "function_app.py": CLEAN_APP,
    "local.settings.json": '{"Values": {"PYTHON_ENABLE_WORKER_EXTENSIONS": "1"}}',
    "requirements.txt": "azure-functions\npython-worker-extension-timer\n",
    ".python-version": "3.11\n",
}


def check(
    write_app: AppWriter, changes: Dict[str, str], python_version: Optional[str] = None
) -> CheckReport:
    files = dict(CLEAN_FILES)
    files.update(changes)
    return check_app(
        write_app({k: v for k, v in files.items() if v}), python_version=python_version
    )


def only_problem(report: CheckReport, code: str) -> Problem:
    found = [p for p in report.problems if p.code == code]
    assert len(found) == 1, report.as_text()
    return found[0]


def test_the_clean_app_is_clean(write_app: AppWriter) -> None:
    report = check(write_app, {})
    assert report.problems == [], report.as_text()
    assert (report.python_version, report.python_source) == ("3.11", ".python-version")


def test_extensions_without_the_setting(write_app: AppWriter) -> None:
    report = check(write_app, {"local.settings.json": '{"Values": {}}'})
    problem = only_problem(report, "extensions-setting-missing")
    assert problem.severity == "error" and report.exit_code == 1
    assert problem.file == "local.settings.json"
    assert "TimerExtension" in problem.message and "silently" in problem.message
    assert '"PYTHON_ENABLE_WORKER_EXTENSIONS": "1"' in problem.fix
    assert "application setting" in problem.fix and "in Azure" in problem.fix  # separate there


def test_extensions_with_the_setting_off(write_app: AppWriter) -> None:
    report = check(
        write_app,
        {"local.settings.json": '{"Values": {"PYTHON_ENABLE_WORKER_EXTENSIONS": "0"}}'},
    )
    problem = only_problem(report, "extensions-setting-off")
    assert problem.file == "local.settings.json"
    assert "is '0', which turns them off" in problem.message
    assert '"PYTHON_ENABLE_WORKER_EXTENSIONS": "1"' in problem.fix


def test_python_39_runs_them_without_the_setting_but_warns(write_app: AppWriter) -> None:
    report = check(
        write_app, {"local.settings.json": '{"Values": {}}', ".python-version": "3.9.18\n"}
    )
    problem = only_problem(report, "extensions-setting-implicit")
    assert problem.severity == "warning" and report.exit_code == 0
    assert "3.10 or later" in problem.message


def test_python_313_needs_the_wrapper(write_app: AppWriter) -> None:
    report = check(write_app, {".python-version": "", "runtime.txt": "python-3.13\n"})
    problem = only_problem(report, "python-version-no-extensions")
    assert report.python_source == "runtime.txt"
    assert problem.file == "runtime.txt"
    assert "runs no worker extensions" in problem.message
    assert "ExtensionsFunctionApp" in problem.fix and "@with_extensions" in problem.fix


def test_python_313_with_the_wrapper_is_clean(write_app: AppWriter) -> None:
    wrapped = CLEAN_APP.replace(
        "app = func.FunctionApp(",
        "from python_worker_extension_framework.wrapper import ExtensionsFunctionApp\n"
        "app = ExtensionsFunctionApp(",
    )
    report = check(write_app, {"function_app.py": wrapped}, python_version="3.13")
    assert report.errors == [], report.as_text()
    assert report.python_source == "--python"


def test_python_older_than_39(write_app: AppWriter) -> None:
    report = check(write_app, {}, python_version="3.8")
    problem = only_problem(report, "python-version-unsupported")
    assert "3.9 or later" in problem.message and "3.10-3.12" in problem.fix


def test_extension_never_configured(write_app: AppWriter) -> None:
    report = check(
        write_app, {"function_app.py": CLEAN_APP.replace("TimerExtension.configure()\n", "")}
    )
    problem = only_problem(report, "extension-not-configured")
    assert problem.severity == "warning" and report.exit_code == 0
    assert problem.file == "function_app.py"
    assert "TimerExtension.configure(...)" in problem.fix


def test_extension_missing_from_requirements(write_app: AppWriter) -> None:
    report = check(write_app, {"requirements.txt": "azure-functions\n"})
    problem = only_problem(report, "requirement-missing")
    assert problem.file == "requirements.txt"
    assert "python-worker-extension-timer" in problem.message
    assert problem.fix == "add the line 'python-worker-extension-timer' to requirements.txt"


def test_framework_pin_the_extensions_do_not_accept(write_app: AppWriter) -> None:
    report = check(
        write_app,
        {
            "requirements.txt": "azure-functions\npython-worker-extension-timer\n"
            "python-worker-extension-framework==0.0.9\n"
        },
    )
    problem = only_problem(report, "framework-pin-conflict")
    assert problem.file == "requirements.txt, line 3"
    assert "python-worker-extension-timer needs python-worker-extension-framework" in (
        problem.message
    )
    assert "pin a version python-worker-extension-timer accepts" in problem.fix


BAD_DEFINITIONS = """
from azure.functions import AppExtensionBase


class Broken(AppExtensionBase):
    @classmethod
    async def pre_invocation_app_level(cls, logger, context, func_args, *args, **kwargs):
        pass

    @classmethod
    def post_invocation_app_level(cls, logger):
        pass

    @classmethod
    def post_function_load_app_levl(cls, function_name, function_directory):
        pass
"""


def test_registration_problems_of_every_loaded_extension(write_app: AppWriter) -> None:
    report = check(
        write_app,
        {
            "broken_extension.py": BAD_DEFINITIONS,
            "function_app.py": "import broken_extension\n" + CLEAN_APP,
        },
    )
    found = [p for p in report.problems if p.code == "extension-definition"]
    messages = "\n".join(p.message for p in found)
    assert {p.file for p in found} == {"broken_extension.py"}
    assert "Broken.pre_invocation_app_level is 'async def'" in messages
    assert "Broken.post_invocation_app_level cannot accept the worker's positional" in messages
    assert "Broken.post_function_load_app_levl looks like a misspelling" in messages
    assert all("change Broken" in p.fix for p in found)


FUNCTION_LEVEL = """
from azure.functions import FuncExtensionBase


class PerFunction(FuncExtensionBase):
    def __init__(self, file_path):
        super().__init__(file_path)

    def pre_invocation(self, logger, context, func_args, *args, **kwargs):
        pass


PerFunction(__file__)
"""


def test_function_level_extension_in_a_v2_app(write_app: AppWriter) -> None:
    report = check(
        write_app,
        {
            "per_function.py": FUNCTION_LEVEL,
            "function_app.py": "import per_function\n" + CLEAN_APP,
        },
    )
    problem = only_problem(report, "function-extension-unmatched")
    assert problem.file == "per_function.py"
    assert "a v2 app has no function folders" in problem.message
    assert "WorkerExtension with only=" in problem.fix


def test_filters_that_name_no_function(write_app: AppWriter) -> None:
    report = check(
        write_app,
        {
            "function_app.py": CLEAN_APP.replace(
                "TimerExtension.configure()", "TimerExtension.configure(only=['helo'])"
            )
        },
    )
    problem = only_problem(report, "filter-names-no-function")
    assert problem.severity == "error"
    assert problem.file == "function_app.py"
    assert "only= names 'helo'" in problem.message and "no function at all" in problem.message
    assert "hello, tick" in problem.fix


def test_host_configuration_problems(write_app: AppWriter) -> None:
    report = check(
        write_app,
        {
            "function_app.py": CLEAN_APP.replace("0 */5 * * * *", "*/5 * * * *"),
            "local.settings.json": '{"Values": {"PYTHON_ENABLE_WORKER_EXTENSIONS": "1"},'
            ' "Host": {"LocalIpAddress": "0.0.0.0"}}',
        },
    )
    timer = only_problem(report, "timer-schedule-invalid")
    assert timer.file == "function_app.py" and "five fields" in timer.message
    assert timer.fix.startswith("'0 */5 * * * *'")
    ignored = only_problem(report, "local-settings-ignored")
    assert ignored.file == "local.settings.json" and "LocalIpAddress" in ignored.message


def test_settings_file_that_stops_the_host(write_app: AppWriter) -> None:
    report = check(write_app, {"local.settings.json": '{"IsEncrypted": true, "Values": {}}'})
    problem = only_problem(report, "settings-invalid")
    assert problem.file == "local.settings.json"
    assert "func settings decrypt" in problem.message + problem.fix


def test_app_that_fails_to_import(write_app: AppWriter) -> None:
    report = check(write_app, {"function_app.py": "import nothing_such_module\n" + CLEAN_APP})
    problem = only_problem(report, "app-load-failed")
    assert problem.file == "function_app.py"
    assert "function_app.py, line 1: ModuleNotFoundError" in problem.message


def test_route_the_host_rejects(write_app: AppWriter) -> None:
    report = check(
        write_app, {"function_app.py": CLEAN_APP.replace('route="hello"', 'route="a/{*rest}/b"')}
    )
    problem = only_problem(report, "route-invalid")
    assert problem.file == "function_app.py"
    assert "a catch-all must be the last segment" in problem.message


def test_cors_browsers_refuse(write_app: AppWriter) -> None:
    report = check(
        write_app,
        {
            "local.settings.json": '{"Values": {"PYTHON_ENABLE_WORKER_EXTENSIONS": "1"},'
            ' "Host": {"CORS": "*", "CORSCredentials": true}}'
        },
    )
    problem = only_problem(report, "cors-invalid")
    assert problem.file == "local.settings.json"
    assert problem.fix.startswith("list the origins")


def test_unreadable_python_version_file(write_app: AppWriter) -> None:
    report = check(write_app, {".python-version": "system\n"})
    problem = only_problem(report, "python-version-unreadable")
    assert problem.file == ".python-version" and problem.severity == "warning"
    assert "MAJOR.MINOR" in problem.fix
    assert report.python_source == "the interpreter running the check"


def test_command_line_text_json_and_exit_codes(write_app: AppWriter, tmp_path: Path) -> None:
    app = write_app({**CLEAN_FILES, "requirements.txt": "azure-functions\n"})
    command = [sys.executable, "-m", "python_worker_extension_framework", "check", str(app)]
    text = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert text.returncode == 1
    assert "error: requirements.txt: TimerExtension comes from" in text.stdout
    assert "    Fix: add the line 'python-worker-extension-timer'" in text.stdout
    as_json = subprocess.run(
        [*command, "--format", "json"], capture_output=True, text=True, timeout=60
    )
    data = json.loads(as_json.stdout)
    assert set(data) == {"schema", "app", "python", "errors", "warnings", "problems"}
    assert data["errors"] == 1 and data["problems"][0]["code"] == "requirement-missing"
    assert set(data["problems"][0]) == {"severity", "code", "file", "message", "fix"}
    bad_option = subprocess.run(
        [*command, "--python", "three"], capture_output=True, text=True, timeout=60
    )
    assert bad_option.returncode == 2 and "not a Python version" in bad_option.stderr


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()))
def test_every_sample_app_passes(sample: str) -> None:
    report = assert_app_is_clean(SAMPLES / sample)
    assert report.errors == []


def test_assert_app_is_clean_lists_the_problems(write_app: AppWriter) -> None:
    app = write_app({**CLEAN_FILES, "local.settings.json": '{"Values": {}}'})
    with pytest.raises(AssertionError, match=r"1 problem\(s\)(.|\n)*PYTHON_ENABLE_WORKER"):
        assert_app_is_clean(app)


def test_route_constraints_funcext_cannot_check_are_warned(write_app: AppWriter) -> None:
    report = check(
        write_app,
        {"function_app.py": CLEAN_APP.replace('route="hello"', 'route="hello/{id:minlength(3)}"')},
    )
    problem = only_problem(report, "start-warning")
    assert problem.severity == "warning" and report.exit_code == 0
    assert "constraint 'minlength(3)'" in problem.message
