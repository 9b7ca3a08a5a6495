"""``triggers.find_trigger``: the trigger type named by the values' types, the same on a
type's first meeting (ranked) and on every later one (the rank remembered per type)."""

from __future__ import annotations

from typing import Any, Dict

import azure.functions as func
import pytest
from azure.functions.blob import InputStream
from azure.functions.timer import TimerRequest
from python_worker_extension_framework.testing import make_context, make_http_request
from python_worker_extension_framework.toolkit import triggers


class _MyRequest(func.HttpRequest):
    """A subclass met for the first time in this test: ranked, then remembered."""


class _Unrelated:
    pass


def _request(cls: Any = func.HttpRequest) -> Any:
    return cls("GET", "http://localhost/api/x", body=b"")


CASES = [
    ({"req": make_http_request("GET", "http://localhost/api/x")}, "http"),
    ({"context": make_context("F"), "req": _request(_MyRequest)}, "http"),
    ({"timer": TimerRequest(past_due=False)}, "timer"),
    ({"msg": func.QueueMessage(body=b"x")}, "queue"),
    ({"msgs": [func.QueueMessage(body=b"x"), func.QueueMessage(body=b"y")]}, "queue"),
    ({"blob": InputStream(data=b"x"), "req": _request()}, "http"),  # the trigger wins
    ({"msgs": []}, "other"),
    ({"thing": _Unrelated(), "n": 3}, "other"),
    ({}, "other"),
]


@pytest.mark.parametrize(("func_args", "expected"), CASES)
def test_first_and_later_lookups_agree(func_args: Dict[str, Any], expected: str) -> None:
    kinds = {type(v[0] if isinstance(v, list) and v else v) for v in func_args.values()}
    for kind in kinds:  # the first lookup of each type ranks it
        triggers._rank_by_type.pop(kind, None)
    first = triggers.find_trigger(func_args)
    later = [triggers.find_trigger(func_args) for _ in range(3)]
    assert first[0] == expected
    assert all(answer == first for answer in later)
    if expected == "other":
        assert first[1] is None
    else:
        value = first[1]
        assert any(
            value is v or (isinstance(v, list) and v and value is v[0]) for v in func_args.values()
        )
