"""Timer schedules: six-field NCRONTAB (seconds first) and TimeSpan, as Azure reads them."""

from __future__ import annotations

import datetime

import pytest
from python_worker_extension_framework.host.ncrontab import (
    CronSchedule,
    IntervalSchedule,
    ScheduleError,
    parse_schedule,
)

UTC = datetime.timezone.utc


def at(*parts: int) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def occurrences(expression: str, start: datetime.datetime, count: int) -> list[datetime.datetime]:
    schedule = parse_schedule(expression, environ={})
    found = []
    moment = start
    for _ in range(count):
        moment = schedule.next_after(moment)
        found.append(moment)
    return found


def test_every_five_minutes_fires_at_second_zero() -> None:
    assert occurrences("0 */5 * * * *", at(2026, 12, 1, 0, 3, 10), 3) == [
        at(2026, 12, 1, 0, 5, 0),
        at(2026, 12, 1, 0, 10, 0),
        at(2026, 12, 1, 0, 15, 0),
    ]


def test_every_second_and_strictly_after() -> None:
    assert occurrences("* * * * * *", at(2026, 1, 1, 0, 0, 0), 2) == [
        at(2026, 1, 1, 0, 0, 1),
        at(2026, 1, 1, 0, 0, 2),
    ]


def test_lists_ranges_steps_and_names() -> None:
    # 09:30 on weekdays in January and June
    found = occurrences("0 30 9 * Jan,Jun Mon-Fri", at(2026, 1, 2, 10, 0, 0), 2)
    assert found == [at(2026, 1, 5, 9, 30, 0), at(2026, 1, 6, 9, 30, 0)]
    assert occurrences("10-20/5 0 0 1 1 *", at(2026, 1, 1, 0, 0, 0), 3) == [
        at(2026, 1, 1, 0, 0, 10),
        at(2026, 1, 1, 0, 0, 15),
        at(2026, 1, 1, 0, 0, 20),
    ]


def test_day_and_weekday_must_both_match_as_in_ncrontab() -> None:
    # Friday the 13th only (Unix cron would fire on every 13th and every Friday)
    found = occurrences("0 0 0 13 * Fri", at(2026, 1, 1, 0, 0, 0), 2)
    assert found == [at(2026, 2, 13, 0, 0, 0), at(2026, 3, 13, 0, 0, 0)]
    assert all(moment.weekday() == 4 for moment in found)


def test_leap_day_schedule_finds_the_next_leap_year() -> None:
    assert occurrences("0 0 12 29 Feb *", at(2025, 3, 1, 0, 0, 0), 1) == [at(2028, 2, 29, 12, 0, 0)]


def test_five_fields_are_refused_with_the_six_field_fix() -> None:
    with pytest.raises(ScheduleError, match=r"five fields.*seconds first.*'0 \*/5 \* \* \* \*'"):
        parse_schedule("*/5 * * * *", environ={})


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("60 * * * * *", r"second field: 60 is outside 0-59"),
        ("0 0 24 * * *", r"hour field: 24 is outside 0-23"),
        ("0 0 0 * Foo *", r"month field: 'Foo' is not a number"),
        ("0 0 0 * * 7", r"day-of-week field: 7 is outside 0-6"),
        ("*/0 * * * * *", r"step '0' must be a positive number"),
        ("0 0 0 10-5 * *", r"range '10-5' runs backwards"),
        ("0 0 0 30 Feb *", r"never fires"),
        ("0 0 * *", r"has 4 fields; a timer schedule has six"),
    ],
)
def test_bad_schedules_name_the_field(expression: str, problem: str) -> None:
    with pytest.raises(ScheduleError, match=problem):
        parse_schedule(expression, environ={})


def test_app_setting_reference_is_resolved_or_named() -> None:
    schedule = parse_schedule("%TICK_SCHEDULE%", environ={"TICK_SCHEDULE": "0 0 * * * *"})
    assert isinstance(schedule, CronSchedule)
    assert schedule.next_after(at(2026, 1, 1, 0, 30, 0)) == at(2026, 1, 1, 1, 0, 0)
    with pytest.raises(ScheduleError, match=r"app setting 'TICK_SCHEDULE', which is not set"):
        parse_schedule("%TICK_SCHEDULE%", environ={})


def test_timespan_schedule_is_an_interval() -> None:
    schedule = parse_schedule("00:00:30", environ={})
    assert isinstance(schedule, IntervalSchedule)
    assert schedule.next_after(at(2026, 1, 1, 0, 0, 0)) == at(2026, 1, 1, 0, 0, 30)
