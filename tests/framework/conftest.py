from __future__ import annotations

from typing import Iterator

import pytest
from python_worker_extension_framework.testing import isolated_registry


@pytest.fixture(autouse=True)
def _empty_registry() -> Iterator[None]:
    """Every framework test starts with no extension registered and leaves none behind."""
    with isolated_registry(empty=True):
        yield
