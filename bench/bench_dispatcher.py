"""Per-invocation cost of the hook chain: 0, 1 and 4 no-op extensions vs a direct call."""

from __future__ import annotations

import os
from typing import Any, List

from azure.functions import AppExtensionBase
from python_worker_extension_framework import Dispatcher, WorkerExtension
from python_worker_extension_framework.testing import isolated_registry, make_context

from .harness import Row, Table, per_call_microseconds, progress


def _function(name: str) -> str:
    return name


def _noop_sdk_extension(index: int) -> type:
    return type(f"NoopSdk{index}", (AppExtensionBase,), {"__module__": __name__})


def _noop_framework_extension(index: int) -> type:
    return type(f"NoopFramework{index}", (WorkerExtension,), {"__module__": __name__})


def run(quick: bool = False) -> List[Table]:
    number = 2000 if quick else 20000
    os.environ["PYTHON_ENABLE_WORKER_EXTENSIONS"] = "1"
    context = make_context("bench")
    args: dict[str, Any] = {"name": "x"}
    table = Table(
        "Dispatcher: per-invocation overhead",
        baseline="direct call",
        description="One sync invocation through `Dispatcher.invoke` (worker-identical mode).",
    )
    table.rows.append(
        Row("direct call", per_call_microseconds(lambda: _function(**args), number=number))
    )
    dispatcher = Dispatcher()
    for count, factory, kind in (
        (0, _noop_sdk_extension, "no extensions"),
        (1, _noop_sdk_extension, "1 no-op AppExtensionBase"),
        (4, _noop_sdk_extension, "4 no-op AppExtensionBase"),
        (1, _noop_framework_extension, "1 no-op WorkerExtension"),
        (4, _noop_framework_extension, "4 no-op WorkerExtension"),
    ):
        progress(f"dispatcher: {kind}")
        with isolated_registry(empty=True):
            for index in range(count):
                factory(index)
            samples = per_call_microseconds(
                lambda: dispatcher.invoke(_function, args, context), number=number
            )
        table.rows.append(Row(kind, samples))
    return [table]
