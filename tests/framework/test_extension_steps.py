"""The private steps of ``WorkerExtension`` that subclasses fill in instead of overriding the
worker's public hooks: when each one runs."""

from __future__ import annotations

from typing import Any, ClassVar, List, Optional

import pytest
from python_worker_extension_framework import Dispatcher, Invocation, WorkerExtension
from python_worker_extension_framework.testing import make_context


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
