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


def test_the_length_filter_before_difflib_never_hides_a_misspelling() -> None:
    """Names of very different length from every hook skip difflib (it never loads for
    most extensions); every name difflib would call close still reaches it."""
    import difflib

    from python_worker_extension_framework.core._checks import _may_be_misspelt
    from python_worker_extension_framework.core.hooks import APP_HOOKS, FUNCTION_HOOKS

    for specs in (APP_HOOKS, FUNCTION_HOOKS):
        hooks = [spec.name for spec in specs]
        names = {hook[:cut] for hook in hooks for cut in range(1, len(hook) + 1)}
        names |= {hook + "x" * extra for hook in hooks for extra in range(1, 8)}
        names |= {hook.replace("_", "") for hook in hooks} | {"current", "flush", "run"}
        for name in sorted(names):
            if difflib.get_close_matches(name, hooks, n=1, cutoff=0.85):
                assert _may_be_misspelt(name, hooks), name
        assert not _may_be_misspelt("current", hooks)
        assert _may_be_misspelt(hooks[0][:-1], hooks)
