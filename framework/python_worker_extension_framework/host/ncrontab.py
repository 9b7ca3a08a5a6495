"""Timer trigger schedules as Azure Functions reads them: NCRONTAB with seconds, or a TimeSpan.

NCRONTAB has six fields, seconds first: ``{second} {minute} {hour} {day} {month}
{day-of-week}``. Each field takes ``*``, a value, a range ``a-b``, a list ``a,b``, and a step
``*/n``, ``a-b/n`` or ``a/n``; months and days of the week also take English names
(``Jan``, ``Mon``); Sunday is 0. Unlike Unix cron, a day-of-month and a day-of-week that are
both restricted must **both** match (``0 0 0 13 * Fri`` fires on Friday the 13th only), as
NCrontab does. A TimeSpan schedule (``hh:mm:ss``, App Service plans only) fires at that
interval. ``%NAME%`` is replaced by that app setting first.
"""

from __future__ import annotations

import datetime
import os
import re
from dataclasses import dataclass
from typing import FrozenSet, List, Mapping, Optional, Sequence, Tuple, Union

from ..retry_policy import RetryPolicyError
from ..retry_policy.parsing import parse_timespan

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
# (name, lowest, highest, names starting at lowest)
_FIELDS: Sequence[Tuple[str, int, int, Sequence[str]]] = (
    ("second", 0, 59, ()),
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 6, _DAYS),
)
_SETTING_REFERENCE = re.compile(r"^%(?P<name>[^%]+)%$")
_SEARCH_DAYS = 366 * 30  # long enough for any leap-day and weekday combination


class ScheduleError(ValueError):
    """A schedule Azure would not accept; the message names the field and the fix."""


def _value(text: str, field: str, low: int, high: int, names: Sequence[str]) -> int:
    lowered = text.lower()
    if names and lowered[:3] in names and lowered.isalpha():
        return names.index(lowered[:3]) + low
    if not text.isdigit():
        raise ScheduleError(f"{field} field: {text!r} is not a number")
    number = int(text)
    if not low <= number <= high:
        raise ScheduleError(f"{field} field: {number} is outside {low}-{high}")
    return number


def _parse_field(
    text: str, field: str, low: int, high: int, names: Sequence[str]
) -> FrozenSet[int]:
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise ScheduleError(f"{field} field: empty list item in {text!r}")
        span, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(f"{field} field: step {step_text!r} must be a positive number")
            step = int(step_text)
        if span == "*":
            first, last = low, high
        elif "-" in span:
            start, _, end = span.partition("-")
            first = _value(start, field, low, high, names)
            last = _value(end, field, low, high, names)
            if first > last:
                raise ScheduleError(f"{field} field: range {span!r} runs backwards")
        else:
            first = _value(span, field, low, high, names)
            last = high if step_text else first
        values.update(range(first, last + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class CronSchedule:
    """A parsed six-field NCRONTAB expression."""

    expression: str
    seconds: Tuple[int, ...]
    minutes: Tuple[int, ...]
    hours: Tuple[int, ...]
    days: FrozenSet[int]
    months: FrozenSet[int]
    weekdays: FrozenSet[int]  # 0 is Sunday

    def _date_matches(self, day: datetime.date) -> bool:
        return (
            day.month in self.months
            and day.day in self.days
            and (day.isoweekday() % 7) in self.weekdays
        )

    def _time_at_or_after(self, start: datetime.time) -> Optional[datetime.time]:
        for hour in self.hours:
            if hour < start.hour:
                continue
            for minute in self.minutes:
                if hour == start.hour and minute < start.minute:
                    continue
                for second in self.seconds:
                    same_minute = hour == start.hour and minute == start.minute
                    if same_minute and second < start.second:
                        continue
                    return datetime.time(hour, minute, second)
        return None

    def next_after(self, moment: datetime.datetime) -> datetime.datetime:
        """The first occurrence strictly after ``moment`` (same time zone)."""
        start = moment.replace(microsecond=0) + datetime.timedelta(seconds=1)
        day, earliest = start.date(), start.timetz().replace(tzinfo=None)
        for _ in range(_SEARCH_DAYS):
            if self._date_matches(day):
                found = self._time_at_or_after(earliest)
                if found is not None:
                    return datetime.datetime.combine(day, found, tzinfo=moment.tzinfo)
            day += datetime.timedelta(days=1)
            earliest = datetime.time(0, 0, 0)
        raise ScheduleError(f"{self.expression!r} never fires (no such date)")

    def describe(self) -> str:
        return self.expression


@dataclass(frozen=True)
class IntervalSchedule:
    """A TimeSpan schedule: every ``seconds`` seconds from the host's start."""

    expression: str
    seconds: float

    def next_after(self, moment: datetime.datetime) -> datetime.datetime:
        return moment + datetime.timedelta(seconds=self.seconds)

    def describe(self) -> str:
        return f"every {self.expression}"


Schedule = Union[CronSchedule, IntervalSchedule]


def _resolve_setting(text: str, environ: Mapping[str, str]) -> str:
    reference = _SETTING_REFERENCE.match(text.strip())
    if reference is None:
        return text
    name = reference.group("name")
    if name not in environ:
        raise ScheduleError(
            f"the schedule refers to the app setting {name!r}, which is not set. Fix: add it "
            "to Values in local.settings.json (and to the app settings in Azure)."
        )
    return environ[name]


def parse_schedule(text: str, environ: Optional[Mapping[str, str]] = None) -> Schedule:
    """Parse a timer trigger's ``schedule``; raises ``ScheduleError`` naming the fix."""
    expression = _resolve_setting(str(text), os.environ if environ is None else environ).strip()
    parts = expression.split()
    if len(parts) == 1 and ":" in expression:
        try:
            seconds = parse_timespan(expression, field_name="schedule")
        except RetryPolicyError as exc:
            raise ScheduleError(str(exc)) from None
        if seconds <= 0:
            raise ScheduleError(f"the TimeSpan schedule {expression!r} must be positive")
        return IntervalSchedule(expression, seconds)
    if len(parts) == 5:
        raise ScheduleError(
            f"{expression!r} has five fields; Azure Functions' NCRONTAB has six, seconds "
            f"first. Fix: '0 {expression}' fires at second 0 of the same minutes."
        )
    if len(parts) != 6:
        raise ScheduleError(
            f"{expression!r} has {len(parts)} fields; a timer schedule has six "
            "({second} {minute} {hour} {day} {month} {day-of-week}), e.g. '0 */5 * * * *'"
        )
    fields: List[FrozenSet[int]] = []
    for part, (name, low, high, names) in zip(parts, _FIELDS):
        try:
            fields.append(_parse_field(part, name, low, high, names))
        except ScheduleError as exc:
            raise ScheduleError(f"{expression!r}: {exc}") from None
    schedule = CronSchedule(
        expression,
        tuple(sorted(fields[0])),
        tuple(sorted(fields[1])),
        tuple(sorted(fields[2])),
        fields[3],
        fields[4],
        fields[5],
    )
    schedule.next_after(datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc))
    return schedule
