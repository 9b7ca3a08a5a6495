"""``only=`` / ``exclude=``: which functions an app-level extension applies to."""

from __future__ import annotations

from typing import Any, List

import pytest
from python_worker_extension_framework import Dispatcher
from python_worker_extension_framework.testing import invoke

from ..recorders import make_recorder


@pytest.mark.parametrize(
    ("options", "function_name", "expected"),
    [
        ({"only": ["HttpTrigger"]}, "httptrigger", True),
        ({"only": ["HttpTrigger"]}, "other", False),
        ({"exclude": "health"}, "Health", False),
        ({"exclude": "health"}, "orders", True),
        ({"only": lambda name: name.startswith("api_")}, "api_users", True),
        ({"only": lambda name: name.startswith("api_")}, "timer", False),
    ],
)
def test_function_filters(
    extensions_enabled: None, options: Any, function_name: str, expected: bool
) -> None:
    calls: List[Any] = []
    recorder = make_recorder(calls)
    recorder.configure(**options)
    invoke(
        lambda: None,
        function_name=function_name,
        dispatcher=Dispatcher(error_phase=True, python_version=(3, 12)),
    )
    assert bool(calls) is expected


def test_bad_filter_value_is_rejected_at_configure() -> None:
    recorder = make_recorder([])
    with pytest.raises(ValueError, match=r"Recorder.configure\(only=...\): option 'only'.*strings"):
        recorder.configure(only=["a", 3])
