"""The hook chain view: which extensions run for a function, in which order, with which hooks."""

from __future__ import annotations

from typing import Any

from python_worker_extension_framework import (
    Invocation,
    WorkerExtension,
    format_hook_chain,
    hook_chain,
)

from ..recorders import make_recorder


def test_hook_chain_view_lists_extensions_in_order_with_their_hooks() -> None:
    make_recorder([], "First")

    class Second(WorkerExtension):
        @classmethod
        def _on_post_invocation(cls, invocation: Invocation, result: Any) -> None:
            pass

    Second.configure(exclude=["health"])
    chain = hook_chain("health")
    assert [(e.extension, e.applies) for e in chain] == [("First", True), ("Second", False)]
    assert chain[1].hooks == ["post_invocation"]
    table = format_hook_chain("health")
    assert "First" in table and "pre_invocation, post_invocation, invocation_error" in table
