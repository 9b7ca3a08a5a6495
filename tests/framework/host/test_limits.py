"""Bounds the host keeps: the exit deadline, the console's repeat limit, admin bodies."""

from __future__ import annotations

import logging
import sys
import threading
from typing import List

import pytest
from python_worker_extension_framework.host.admin import AdminRequestError, parse_admin_body
from python_worker_extension_framework.host.console import (
    OncePerInterval,
    refused,
    repetitive_kind,
)
from python_worker_extension_framework.host.shutdown import ExitDeadline


def test_exit_deadline_counts_from_the_first_start_only() -> None:
    now = [100.0]
    expired = threading.Event()
    deadline = ExitDeadline(5.0, on_expiry=lambda seconds: expired.set(), clock=lambda: now[0])
    assert deadline.remaining() == 5.0 and not deadline.started
    deadline.start()
    now[0] = 102.0
    deadline.start()  # a second Ctrl-C does not move the deadline
    assert deadline.remaining() == 3.0
    assert not expired.is_set()
    now[0] = 105.0
    assert expired.wait(10)  # the watcher notices within its polling interval
    assert deadline.remaining() == 0.0


def test_exit_deadline_expiry_gets_the_configured_seconds() -> None:
    seen: List[float] = []
    done = threading.Event()

    def on_expiry(seconds: float) -> None:
        seen.append(seconds)
        done.set()

    ExitDeadline(0.0, on_expiry=on_expiry).start()
    assert done.wait(10)
    assert seen == [0.0]


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("funcext", logging.WARNING, __file__, 1, message, (), None)


def test_repeated_refusals_reach_the_console_once_a_minute_with_a_count() -> None:
    now = [0.0]
    limit = OncePerInterval(repetitive_kind, 60.0, lambda: now[0])
    assert limit.filter(_record("Refused a request: Host 'a'"))
    assert not any(limit.filter(_record("Refused a request: Host 'b'")) for _ in range(41))
    assert limit.filter(_record("Invalid HTTP request received."))  # another kind: its own limit
    assert not limit.filter(_record("Invalid HTTP request received."))
    assert limit.filter(_record("Executed 'Functions.x'"))  # other lines are untouched
    assert limit.filter(_record("Executed 'Functions.x'"))
    now[0] = 60.5
    passed = _record("Refused a request: Host 'c'")
    assert limit.filter(passed)
    assert "(41 more like it since the last such line)" in passed.getMessage()


def test_refusals_are_logged_in_a_form_the_console_limit_recognises(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="funcext")
    refused("Host 'evil.example' is not allowed")
    (record,) = caplog.records
    assert str(record.msg).startswith("Refused a request: ")
    assert record.getMessage().endswith("Host 'evil.example' is not allowed")


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"[" * 100_000, "nested too deeply"),
        (b'{"input": ' * 50_000 + b"1" + b"}" * 50_000, "nested too deeply"),
        (b"\xff\xfe not utf-8", "must be JSON"),
        pytest.param(
            b'{"input": ' + b"9" * 5000 + b"}",
            "must be JSON",
            marks=pytest.mark.skipif(
                not hasattr(sys, "get_int_max_str_digits"), reason="no digit limit here"
            ),
            id="past-the-int-digit-limit",
        ),
        (b"{'input': 1}", "must be JSON"),
        (b"[1, 2]", "must be a JSON object"),
    ],
)
def test_unusable_admin_bodies_are_request_errors_with_a_reason(body: bytes, problem: str) -> None:
    with pytest.raises(AdminRequestError, match=problem):
        parse_admin_body(body)


def test_admin_body_input_and_empty_body() -> None:
    assert parse_admin_body(b'{"input": {"a": [1]}}') == {"a": [1]}
    assert parse_admin_body(b"  ") is None


def test_command_line_defaults_match_the_modules_that_apply_them() -> None:
    from python_worker_extension_framework.host import asgi, cli, protocol

    assert cli.DEFAULT_HEADER_TIMEOUT == protocol.DEFAULT_HEADER_TIMEOUT
    assert cli.DEFAULT_BODY_TIMEOUT == asgi.DEFAULT_BODY_TIMEOUT
    args = cli.build_parser().parse_args(["start"])
    assert (args.header_timeout, args.body_timeout, args.allow_host) == (10.0, 60.0, [])


def test_cli_imports_without_uvicorn() -> None:
    """``funcext`` must be able to say that uvicorn is missing, so it cannot need it."""
    import subprocess

    code = (
        "import sys; sys.modules['uvicorn'] = None; sys.modules['h11'] = None\n"
        "from python_worker_extension_framework.host import cli\n"
        "print(cli.main(['start', '.']))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().endswith("2"), done.stderr
    assert "needs uvicorn" in done.stderr
