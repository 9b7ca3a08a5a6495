"""The worker's gating rule: whether hooks run, by ``PYTHON_ENABLE_WORKER_EXTENSIONS`` and Python.

The parametrised tests state the rule for every supported version; the last two check it on
the interpreter running them, which ``make test`` makes each of 3.9 to 3.13 in turn.
"""

from __future__ import annotations

import sys
from typing import Optional, Tuple

import pytest
from python_worker_extension_framework.core.gating import (
    SETTING,
    extensions_enabled,
    is_true_like,
    worker_runs_extensions,
)


@pytest.mark.parametrize(
    ("python_version", "setting", "enabled"),
    [
        ((3, 9), None, True),
        ((3, 9), "0", False),
        ((3, 9), "1", True),
        ((3, 10), None, False),
        ((3, 10), "yes", True),
        ((3, 11), None, False),
        ((3, 11), " True ", True),
        ((3, 12), None, False),
        ((3, 12), "off", False),
        ((3, 12), "1", True),
        ((3, 13), None, False),
        ((3, 13), "1", False),
        ((3, 14), "1", False),
    ],
)
def test_extensions_enabled_by_python_and_setting(
    python_version: Tuple[int, int], setting: Optional[str], enabled: bool
) -> None:
    environ = {} if setting is None else {SETTING: setting}
    assert extensions_enabled(environ, python_version) is enabled


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "t", "yes", "Y", " y "])
def test_true_like_values(value: str) -> None:
    assert is_true_like(value)


@pytest.mark.parametrize("value", ["0", "false", "no", "off", "", "enabled", "2"])
def test_other_values_are_false(value: str) -> None:
    assert not is_true_like(value)


def test_workers_before_313_run_extensions_and_later_ones_do_not() -> None:
    assert [worker_runs_extensions((3, minor)) for minor in range(9, 15)] == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]


def test_unset_setting_on_this_interpreter_follows_its_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(SETTING, raising=False)
    assert extensions_enabled() is (sys.version_info[:2] == (3, 9))


def test_setting_on_this_interpreter_enables_hooks_only_before_313(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SETTING, "1")
    assert extensions_enabled() is (sys.version_info[:2] < (3, 13))
