"""Definition-time checks: hook mistakes the worker would hide are warned about when the
class is defined."""

from __future__ import annotations

from typing import Any

import pytest
from python_worker_extension_framework import (
    ExtensionDefinitionWarning,
    WorkerExtension,
)

from ..recorders import make_recorder


def test_async_hook_in_subclass_warns_at_definition() -> None:
    with pytest.warns(
        ExtensionDefinitionWarning, match=r"AsyncPre\.pre_invocation_app_level is 'async def'"
    ):

        class AsyncPre(WorkerExtension):
            @classmethod
            async def pre_invocation_app_level(cls, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
                pass


def test_hook_that_cannot_take_worker_arguments_warns_at_definition() -> None:
    with pytest.warns(
        ExtensionDefinitionWarning, match=r"Narrow\.post_invocation_app_level cannot accept"
    ):

        class Narrow(WorkerExtension):
            @classmethod
            def post_invocation_app_level(cls, logger: Any, context: Any) -> None:  # type: ignore[override]
                pass


def test_misspelled_hook_name_warns_with_the_right_name() -> None:
    with pytest.warns(ExtensionDefinitionWarning, match="'pre_invocation_app_level'"):

        class Typo(WorkerExtension):
            @classmethod
            def pre_invokation_app_level(cls, *args: Any) -> None:
                pass


def test_function_level_hook_name_on_app_extension_warns() -> None:
    with pytest.warns(ExtensionDefinitionWarning, match="name it 'post_invocation_app_level'"):

        class WrongScope(WorkerExtension):
            @classmethod
            def post_invocation(cls, *args: Any) -> None:
                pass


def test_correct_extension_defines_without_warnings(recwarn: pytest.WarningsRecorder) -> None:
    make_recorder([], "Clean")
    assert not [w for w in recwarn if issubclass(w.category, ExtensionDefinitionWarning)]
