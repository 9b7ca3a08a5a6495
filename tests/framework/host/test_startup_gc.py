"""host/startup_gc.py in this process: resume restores what pause found, and only that."""

from __future__ import annotations

import gc
from typing import Iterator

import pytest
from python_worker_extension_framework.host import startup_gc


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    startup_gc.resume(freeze=False)
    (gc.enable if was_enabled else gc.disable)()


def test_a_start_that_ends_before_serving_resumes_collection_without_freezing() -> None:
    gc.enable()
    frozen = gc.get_freeze_count()
    startup_gc.pause()
    assert not gc.isenabled()
    startup_gc.resume(freeze=False)
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen
    startup_gc.resume(freeze=False)  # a second resume changes nothing
    assert gc.isenabled()


def test_a_collector_already_off_stays_off_and_nothing_is_frozen() -> None:
    gc.disable()
    frozen = gc.get_freeze_count()
    startup_gc.pause()
    startup_gc.resume(freeze=True)
    assert not gc.isenabled()
    assert gc.get_freeze_count() == frozen
