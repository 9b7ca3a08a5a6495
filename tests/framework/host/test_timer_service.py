"""The timer service under a fake clock: schedules, runOnStartup, past_due, stopping."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any, List, Tuple

import pytest
from azure.functions.timer import TimerRequest
from python_worker_extension_framework.host.loader import FunctionSpec
from python_worker_extension_framework.host.ncrontab import parse_schedule
from python_worker_extension_framework.host.timers import (
    TimerConfigError,
    TimerFunction,
    TimerService,
    time_zone_warnings,
    timer_function,
)

UTC = datetime.timezone.utc
START = datetime.datetime(2026, 12, 1, 0, 0, 0, 500000, tzinfo=UTC)


class FakeClock:
    """Time moves only when the scheduler waits or a function "runs" for a while."""

    def __init__(self) -> None:
        self.current = START
        self.waits: List[datetime.datetime] = []

    def now(self) -> datetime.datetime:
        return self.current

    async def sleep_until(self, moment: datetime.datetime) -> None:
        self.waits.append(moment)
        self.current = max(self.current, moment)
        await asyncio.sleep(0)


def spec(schedule: str = "*/10 * * * * *", run_on_startup: bool = False) -> FunctionSpec:
    binding = {"type": "timerTrigger", "name": "t", "direction": "in", "schedule": schedule}
    if run_on_startup:
        binding["runOnStartup"] = True
    return FunctionSpec("tick", "/app", "/app/function_app.py", lambda t: None, [binding], "v2")


Fired = List[Tuple[datetime.datetime, TimerRequest, str]]


def run(
    timer: TimerFunction, *, fires: int, run_schedules: bool = True, work: float = 0.0
) -> Tuple[Fired, FakeClock]:
    """Run the service until ``fires`` invocations happened; each "takes" ``work`` seconds."""
    clock = FakeClock()
    fired: Fired = []

    async def main() -> None:
        done = asyncio.Event()

        async def fire(_spec: Any, request: TimerRequest, reason: str) -> None:
            if len(fired) >= fires:
                return  # the loop may go on until stop(); only the first ones are recorded
            fired.append((clock.now(), request, reason))
            clock.current += datetime.timedelta(seconds=work)
            if len(fired) >= fires:
                done.set()

        service = TimerService([timer], fire, run_schedules=run_schedules, clock=clock)
        service.start()
        if run_schedules:
            await asyncio.wait_for(done.wait(), 5)
        else:
            await asyncio.wait_for(asyncio.gather(*service.tasks), 5)
        await service.stop(1.0)
        assert all(task.done() for task in service.tasks)

    asyncio.run(main())
    return fired, clock


def test_schedule_fires_on_its_occurrences_not_past_due() -> None:
    fired, _clock = run(timer_function(spec(), environ={}), fires=3)
    assert [moment.second for moment, _, _ in fired] == [10, 20, 30]
    assert [request.past_due for _, request, _ in fired] == [False, False, False]
    assert fired[0][2] == "Timer fired at 2026-12-01T00:00:10+00:00"
    status = fired[1][1].schedule_status
    assert status is not None
    assert status["Last"] == "2026-12-01T00:00:10+00:00"
    assert status["Next"] == "2026-12-01T00:00:30+00:00"


def test_run_on_startup_runs_once_without_schedules() -> None:
    fired, clock = run(
        timer_function(spec(run_on_startup=True), environ={}), fires=1, run_schedules=False
    )
    assert len(fired) == 1
    assert fired[0][0] == START
    assert fired[0][1].past_due is False
    assert clock.waits == []  # nothing scheduled after it


def test_run_on_startup_then_the_schedule() -> None:
    fired, _ = run(timer_function(spec(run_on_startup=True), environ={}), fires=3)
    assert [moment.second for moment, _, _ in fired] == [0, 10, 20]


def test_an_occurrence_missed_while_the_function_ran_fires_once_past_due() -> None:
    # each run "takes" 25 s on a 10 s schedule: 00:10 runs to 00:35, missing 00:20 and 00:30
    fired, _ = run(timer_function(spec(), environ={}), fires=3, work=25)
    assert [request.past_due for _, request, _ in fired] == [False, True, False]
    # the catch-up runs at once (00:35) and ends at 01:00; the schedule resumes after it
    assert [moment.strftime("%M:%S") for moment, _, _ in fired] == ["00:10", "00:35", "01:10"]


def test_stop_cancels_a_waiting_schedule() -> None:
    async def main() -> None:
        timer = TimerFunction(spec("0 0 0 1 1 *"), parse_schedule("0 0 0 1 1 *", {}), False)

        async def fire(*_args: Any) -> None:
            raise AssertionError("must not fire")

        service = TimerService([timer], fire, run_schedules=True)  # the real clock: waits a year
        service.start()
        await asyncio.sleep(0.01)
        await service.stop(1.0)
        assert all(task.done() for task in service.tasks)

    asyncio.run(main())


def test_a_bad_schedule_names_the_function_and_its_file() -> None:
    with pytest.raises(TimerConfigError, match=r"function_app\.py: timer function 'tick'.*six"):
        timer_function(spec("0 0 * *"), environ={})


def test_website_time_zone_is_named_because_schedules_run_in_utc() -> None:
    assert time_zone_warnings({}) == []
    (warning,) = time_zone_warnings({"WEBSITE_TIME_ZONE": "Europe/Paris"})
    assert "'Europe/Paris'" in warning and "UTC" in warning
