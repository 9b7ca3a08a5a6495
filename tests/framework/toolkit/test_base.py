"""``WorkerExtension``, the extension base class: the private steps subclasses fill in instead of
overriding the worker's public hooks (when each one runs), its logger, and what ``configure()``
says on a Python whose worker runs no extensions."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any, ClassVar, List, Optional, Tuple

import pytest
from python_worker_extension_framework import Dispatcher, Invocation, WorkerExtension
from python_worker_extension_framework.testing import make_context
from python_worker_extension_framework.toolkit import _unwrapped

from ..recorders import make_recorder


def make_marker(calls: List[str], fail: bool = False) -> Any:
    class Marker(WorkerExtension):
        """Puts ``context.marker`` on every invocation, even one it skips or fails on."""

        @classmethod
        def _on_pre_invocation(cls, invocation: Invocation) -> None:
            calls.append("pre")
            if fail:
                raise RuntimeError("pre step broke")
            invocation.context.marker = "applied"

        @classmethod
        def _after_pre_invocation(cls, context: Any) -> None:
            calls.append("after")
            if getattr(context, "marker", None) is None:
                context.marker = "fallback"

    return Marker


def read_marker(context: Any) -> str:
    return str(context.marker)


def test_after_pre_invocation_runs_after_the_pre_step(extensions_enabled: None) -> None:
    calls: List[str] = []
    make_marker(calls)
    context = make_context("f")
    assert (
        Dispatcher(python_version=(3, 12)).invoke(read_marker, {"context": context}, context)
        == "applied"
    )
    assert calls == ["pre", "after"]


def test_after_pre_invocation_runs_for_a_skipped_function(extensions_enabled: None) -> None:
    calls: List[str] = []
    make_marker(calls).configure(exclude=["f"])
    context = make_context("f")
    assert (
        Dispatcher(python_version=(3, 12)).invoke(read_marker, {"context": context}, context)
        == "fallback"
    )
    assert calls == ["after"]


def test_after_pre_invocation_runs_when_the_pre_step_raised(
    extensions_enabled: None, caplog: pytest.LogCaptureFixture
) -> None:
    calls: List[str] = []
    make_marker(calls, fail=True)
    context = make_context("f")
    assert (
        Dispatcher(python_version=(3, 12)).invoke(read_marker, {"context": context}, context)
        == "fallback"
    )
    assert calls == ["pre", "after"]
    assert "pre step broke" in caplog.text


def test_a_subclass_of_an_extension_starts_from_the_reset_state() -> None:
    class Parent(WorkerExtension):
        resource: ClassVar[Optional[str]] = None

        @classmethod
        def _on_configure(cls, settings: Any) -> None:
            cls.resource = f"{cls.__name__}'s resource"

        @classmethod
        def _on_reset(cls) -> None:
            cls.resource = None

    Parent.configure()
    assert Parent.resource == "Parent's resource"

    class Child(Parent):
        pass

    assert Child.resource is None
    assert Parent.resource == "Parent's resource"


def test_extension_logger_is_customer_visible() -> None:
    recorder = make_recorder([])
    assert not recorder.log.name.startswith("azure_functions_worker")
    assert recorder.log.name == __name__.split(".")[0]
    assert isinstance(recorder.log, logging.Logger)


# -- configure() on a Python whose worker runs no extensions ----------------------------------

EXTENSION = """
from python_worker_extension_framework import WorkerExtension

class {name}(WorkerExtension):
    pass

{name}.configure()
"""
V1_WRAPPED = """
from python_worker_extension_framework.wrapper import with_extensions

@with_extensions
def main(req: str) -> str:
    return req
"""
V2_WRAPPED = """
from python_worker_extension_framework.wrapper import ExtensionsFunctionApp

app = ExtensionsFunctionApp()
"""


@pytest.fixture
def python(monkeypatch: pytest.MonkeyPatch) -> List[Tuple[int, int]]:
    """The Python the warning believes it runs on (3.13 unless a test says otherwise), and a
    fresh process as far as the once-only warning goes."""
    version = [(3, 13)]
    monkeypatch.setattr(_unwrapped, "current_python", lambda: version[0])
    monkeypatch.setattr(_unwrapped, "_warned", False)
    return version


def import_app(tmp_path: Path, name: str, source: str) -> None:
    """Import ``source`` as the module ``name``, as the worker imports a function app."""
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    spec.loader.exec_module(importlib.util.module_from_spec(spec))


def wrap_warnings(caplog: pytest.LogCaptureFixture) -> List[logging.LogRecord]:
    return [r for r in caplog.records if "runs no worker extensions" in r.getMessage()]


def test_configure_without_the_wrapper_on_313_warns_once_in_the_extensions_log(
    python: List[Tuple[int, int]], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        import_app(tmp_path, "plain_app", EXTENSION.format(name="Plain"))
        import_app(tmp_path, "second_app", EXTENSION.format(name="Second"))
    (warning,) = wrap_warnings(caplog)
    assert warning.name == "plain_app"  # the extension's own, customer-visible logger
    assert warning.levelno == logging.WARNING
    assert warning.getMessage().startswith(
        "Python 3.13: the Azure Functions worker runs no worker extensions, so Plain runs only "
        "inside functions wrapped by python_worker_extension_framework"
    )
    assert "ExtensionsFunctionApp or wrap_app(app) (v2) or @with_extensions" in (
        warning.getMessage()
    )


@pytest.mark.parametrize("wrapping", [V1_WRAPPED, V2_WRAPPED], ids=["v1", "v2"])
def test_configure_in_a_module_that_wraps_its_functions_does_not_warn(
    python: List[Tuple[int, int]],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    wrapping: str,
) -> None:
    with caplog.at_level(logging.WARNING):
        import_app(tmp_path, "wrapped_app", EXTENSION.format(name="Wrapped") + wrapping)
    assert wrap_warnings(caplog) == []


def test_configure_after_a_function_was_wrapped_does_not_warn(
    python: List[Tuple[int, int]], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        import_app(tmp_path, "functions_first", V1_WRAPPED)
        import_app(tmp_path, "extension_later", EXTENSION.format(name="Later"))
    assert wrap_warnings(caplog) == []


def test_configure_on_a_python_whose_worker_runs_extensions_does_not_warn(
    python: List[Tuple[int, int]], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    python[0] = (3, 12)
    with caplog.at_level(logging.WARNING):
        import_app(tmp_path, "plain_312_app", EXTENSION.format(name="Plain312"))
    assert wrap_warnings(caplog) == []
