"""The request path's cheaper parts keep the host's behaviour: console lines (text, order,
redaction, flushing), the body deadline, the function timeout and the Host guard."""

from __future__ import annotations

import asyncio
import datetime
import io
import logging
import re
import threading
import uuid
from typing import Any, Iterator, List, MutableMapping

import pytest
from python_worker_extension_framework.host import asgi, console
from python_worker_extension_framework.host.guard import RequestGuard
from python_worker_extension_framework.host.runtime import _finished_within

STAMP = r"\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] "


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """The console installed on a StringIO, removed afterwards."""
    out = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = console.install_console(stream=out)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def lines(out: io.StringIO) -> List[str]:
    return [re.sub(STAMP, "", line) for line in out.getvalue().splitlines()]


def test_executing_and_executed_lines_keep_their_text(stream: io.StringIO) -> None:
    invocation_id = str(uuid.uuid4())
    reason = "This HTTP request was called."
    console.executing("hello", invocation_id, reason)
    console.executed("hello", invocation_id, True, 0.0123)
    console.executed("hello", invocation_id, False, 1.5, "Retry 2 of 3")
    assert re.fullmatch(f"({STAMP}.*\n)+", stream.getvalue())
    assert lines(stream) == [
        f"Executing 'Functions.hello' (Reason='{reason}', Id={invocation_id})",
        f"Executed 'Functions.hello' (Succeeded, Id={invocation_id}, Duration=12ms)",
        f"Executed 'Functions.hello' (Failed, Id={invocation_id}, Duration=1500ms, Retry 2 of 3)",
    ]


def test_a_secret_in_an_executing_line_is_still_redacted(stream: io.StringIO) -> None:
    console.executing("hello", str(uuid.uuid4()), "Called with ?code=s3cretvalue1234")
    console.executing("hello", "not-an-id code=s3cretvalue5678", "plain reason")
    text = stream.getvalue()
    assert "s3cretvalue1234" not in text and "s3cretvalue5678" not in text
    assert text.count("Executing 'Functions.hello'") == 2


@pytest.mark.parametrize(
    "created", [0.0, 1.0005, 1_764_547_199.9994999, 1_764_547_199.9999996, 1_700_000_000.123456]
)
def test_time_stamps_match_datetime(created: float) -> None:
    record = logging.LogRecord("funcext", logging.INFO, "f", 1, "m", None, None)
    record.created = created
    moment = datetime.datetime.fromtimestamp(created, datetime.timezone.utc)
    expected = f"[{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z] m"
    assert console._Formatter().format(record) == expected


def test_lines_logged_on_the_loop_are_written_together_after_the_current_round(
    stream: io.StringIO,
) -> None:
    log = logging.getLogger("funcext.test")
    seen: List[str] = []

    async def main() -> None:
        log.warning("first")
        log.warning("second")
        seen.append(stream.getvalue())  # held until the loop's current round ends
        await asyncio.sleep(0)
        seen.append(stream.getvalue())

    asyncio.run(main())
    assert seen[0] == ""
    assert lines(io.StringIO(seen[1])) == ["first", "second"]


def test_a_line_from_another_thread_comes_after_the_lines_held_before_it(
    stream: io.StringIO,
) -> None:
    log = logging.getLogger("funcext.test")

    async def main() -> None:
        log.warning("on the loop")
        thread = threading.Thread(target=log.warning, args=("in a pool thread",))
        thread.start()
        thread.join()  # the loop is blocked here: its line is still held
        assert lines(stream) == ["on the loop", "in a pool thread"]
        log.warning("on the loop again")

    asyncio.run(main())
    assert lines(stream) == ["on the loop", "in a pool thread", "on the loop again"]


def test_held_lines_are_written_when_the_handler_is_flushed(stream: io.StringIO) -> None:
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, console.ConsoleHandler))

    async def main() -> None:
        logging.getLogger("funcext.test").warning("last words")
        handler.flush()  # what logging.shutdown() does at exit
        assert lines(stream) == ["last words"]

    asyncio.run(main())
    assert lines(stream) == ["last words"]


# -- the body deadline ------------------------------------------------------------------------


async def never_ending_body() -> MutableMapping[str, Any]:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


def test_a_body_that_never_ends_times_out_and_leaves_the_task_usable() -> None:
    async def main() -> int:
        with pytest.raises(asgi.BodyTimeout):
            await asgi._read_body(never_ending_body, 1000, 0.01)
        await asyncio.sleep(0)  # no cancellation left pending on this task
        task = asyncio.current_task()
        return task.cancelling() if hasattr(task, "cancelling") else 0  # type: ignore[union-attr]

    assert asyncio.run(main()) == 0


def test_cancelling_a_body_read_is_not_taken_for_a_timeout() -> None:
    async def main() -> None:
        reader = asyncio.ensure_future(asgi._read_body(never_ending_body, 1000, 60.0))
        await asyncio.sleep(0)
        reader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reader

    asyncio.run(main())


def test_a_body_in_chunks_is_joined_and_a_disconnect_is_incomplete() -> None:
    messages = iter(
        [
            {"type": "http.request", "body": b"ab", "more_body": True},
            {"type": "http.request", "body": b"cd", "more_body": False},
            {"type": "http.request", "body": b"ef", "more_body": True},
            {"type": "http.disconnect"},
        ]
    )

    async def receive() -> MutableMapping[str, Any]:
        return next(messages)

    async def main() -> None:
        assert await asgi._read_body(receive, 1000, 60.0) == b"abcd"
        with pytest.raises(asgi.BodyIncomplete):
            await asgi._read_body(receive, 1000, 60.0)

    asyncio.run(main())


# -- the function timeout ---------------------------------------------------------------------


def test_a_call_past_its_timeout_is_reported_and_left_to_its_owner() -> None:
    async def main() -> None:
        call = asyncio.get_running_loop().create_future()
        assert await _finished_within(call, 0.01) is False
        assert not call.cancelled()
        call.set_result(1)
        assert await _finished_within(call, 0.01) is True

    asyncio.run(main())


def test_a_waiter_that_goes_away_does_not_cancel_the_call() -> None:
    async def main() -> None:
        call = asyncio.get_running_loop().create_future()
        waiter = asyncio.ensure_future(_finished_within(call, None))
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert not call.done()
        call.set_result("finished anyway")
        assert await _finished_within(call, None) is True

    asyncio.run(main())


# -- the Host guard ---------------------------------------------------------------------------


def test_the_guard_answers_a_repeated_host_the_same_and_forgets_beyond_its_bound() -> None:
    guard = RequestGuard.for_binding("127.0.0.1")
    for _ in range(2):
        assert guard.host_problem({"host": "127.0.0.1:7071"}) is None
        refused = guard.host_problem({"host": "evil.example:7071"})
        assert refused is not None and "--allow-host evil.example" in refused
    for n in range(1000):
        guard.host_problem({"host": f"name{n}.example"})
    assert len(guard._decisions) <= 256
    assert guard.host_problem({"host": "localhost"}) is None
