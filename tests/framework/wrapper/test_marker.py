"""The marker extension: how the wrapper tells, per invocation, whether the worker ran the chain."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from azure.functions import ExtensionMeta
from python_worker_extension_framework.core.gating import SETTING
from python_worker_extension_framework.testing import registered
from python_worker_extension_framework.wrapper import with_extensions
from python_worker_extension_framework.wrapper._marker import ExtensionsWrapperMarker

from ..recorders import (
    FUNCTION,
    Journal,
    app_recorder,
    counts,
    once_each,
)
from ..worker_like import (
    PY312_ON,
    PY313_SETTING_ON,
    WorkerLike,
)


def test_the_worker_is_detected_per_invocation_not_from_the_python_version(
    monkeypatch: pytest.MonkeyPatch, journal: Journal
) -> None:
    """The setting is on and this interpreter runs extensions, yet the direct call (as the
    3.13 worker makes it) gets the whole chain, while the dispatched one gets it once."""
    monkeypatch.setenv(SETTING, "1")

    @with_extensions
    def main(req: str) -> str:
        return req

    for configuration in (PY312_ON, PY313_SETTING_ON, PY312_ON, PY313_SETTING_ON):
        configuration.invoke(main, function_name=FUNCTION, req="x")
    assert counts(journal) == {
        **once_each("load_app", "load_func"),
        **once_each("pre_app", "pre_func", "post_func", "post_app", times=4),
    }


# -- the marker -------------------------------------------------------------------------------


def test_importing_the_wrapper_registers_nothing_and_wrapping_registers_one_marker() -> None:
    script = (
        "import json\n"
        "from azure.functions import ExtensionMeta\n"
        "import python_worker_extension_framework.wrapper as w\n"
        "print(ExtensionMeta.get_registered_extensions_json())\n"
        "w.with_extensions(lambda: None)\n"
        "w.with_extensions(lambda req: req)\n"
        "print(ExtensionMeta.get_registered_extensions_json())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert json.loads(out[0]) == {}
    assert json.loads(out[1]) == {"AppExtension": ["ExtensionsWrapperMarker"]}


def test_marker_lost_after_wrapping_falls_back_to_the_worker_rule_then_comes_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    journal: Journal = []

    @with_extensions
    def main() -> str:
        return "done"

    recorder = app_recorder("Late", journal)
    monkeypatch.setenv(SETTING, "1")
    # The fallback follows the worker's rule for this interpreter, so simulate that worker.
    this_worker = WorkerLike("this Python, setting on", "1", sys.version_info[:2])
    with registered(recorder):  # a registry without the marker, as after a test reset
        assert this_worker.invoke(main) == "done"
        assert ExtensionsWrapperMarker in [
            impl.ext_impl.__self__  # type: ignore[attr-defined]
            for impl in ExtensionMeta.get_application_hooks().pre_invocation_app_level
        ]
        this_worker.invoke(main)
    # the worker never ran load hooks here, so the wrapper did, once
    assert counts(journal) == {"load_app:Late": 1, "pre_app:Late": 2, "post_app:Late": 2}
