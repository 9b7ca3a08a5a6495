"""Timer functions without a storage account: ``runOnStartup`` and, with ``--run-timers``,
their schedules.

Each timer function's ``schedule`` is checked at start (a schedule Azure would reject stops
the start, naming the function and the fix) and shown in the function list. A function with
``runOnStartup`` runs once when the host starts, as under ``func start``. With
``--run-timers`` every timer function also runs on its schedule, evaluated in UTC (Azure's
default; a ``WEBSITE_TIME_ZONE`` setting is named in a warning, not applied). Runs of one
function never overlap: the next occurrence is awaited after the previous run ends.

``past_due``: in Azure the schedule monitor (in the storage account) sets it when an
occurrence was missed, for example while the app was stopped, and runs the function at once.
Locally nothing survives a restart, but within a run the same rule holds: when an occurrence
passes while the previous run (or a suspended machine) overran it, the function runs once at
once with ``past_due=True``, and the schedule resumes from then.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import os
from dataclasses import dataclass
from typing import (
    Any,
    Awaitable,
    Callable,
    Dict,
    List,
    Mapping,
    MutableMapping,
    Optional,
    Protocol,
    Set,
)

from azure.functions.timer import TimerRequest

from . import console
from .loader import FunctionSpec
from .ncrontab import Schedule, ScheduleError, parse_schedule
from .start_errors import TimerConfigError as TimerConfigError  # exported here too

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Fire = Callable[[FunctionSpec, TimerRequest, str], Awaitable[Any]]

TIMER_TRIGGER = "timertrigger"
LATE_TOLERANCE = datetime.timedelta(seconds=1)
_NEVER = "0001-01-01T00:00:00"
log = logging.getLogger(console.LOGGER_NAME)


@dataclass(frozen=True)
class TimerFunction:
    """A timer function with its parsed schedule."""

    spec: FunctionSpec
    schedule: Schedule
    run_on_startup: bool


def is_timer(spec: FunctionSpec) -> bool:
    return spec.is_timer


def _config_file(spec: FunctionSpec) -> str:
    if spec.model == "v1":
        return os.path.join(spec.directory, "function.json")
    return spec.script_file


def timer_function(
    spec: FunctionSpec, environ: Optional[Mapping[str, str]] = None
) -> TimerFunction:
    """The timer function of ``spec``; raises ``TimerConfigError`` for a bad schedule."""
    schedule_text = spec.trigger.get("schedule")
    if not isinstance(schedule_text, str) or not schedule_text.strip():
        raise TimerConfigError(
            f"{_config_file(spec)}: timer function {spec.name!r} has no schedule. Fix: set "
            'one, e.g. "schedule": "0 */5 * * * *" (every five minutes).'
        )
    try:
        schedule = parse_schedule(schedule_text, environ)
    except ScheduleError as exc:
        raise TimerConfigError(
            f"{_config_file(spec)}: timer function {spec.name!r}: {exc}"
        ) from None
    return TimerFunction(spec, schedule, spec.trigger.get("runOnStartup") is True)


def timer_functions(
    specs: List[FunctionSpec], environ: Optional[Mapping[str, str]] = None
) -> List[TimerFunction]:
    return [timer_function(spec, environ) for spec in specs if is_timer(spec)]


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def schedule_note(spec: FunctionSpec, now: Optional[datetime.datetime] = None) -> str:
    """``schedule '0 */5 * * * *', next 2026-12-01T00:40:00Z`` for the function list."""
    try:
        timer = timer_function(spec)
    except TimerConfigError:
        return "invalid schedule"
    following = timer.schedule.next_after(now or utc_now())
    startup = ", runs on startup" if timer.run_on_startup else ""
    return f"schedule '{timer.schedule.describe()}', next {_stamp(following)}{startup}"


def time_zone_warnings(environ: Optional[Mapping[str, str]] = None) -> List[str]:
    env = os.environ if environ is None else environ
    zone = env.get("WEBSITE_TIME_ZONE")
    if zone:
        return [
            f"WEBSITE_TIME_ZONE is {zone!r}, but funcext evaluates timer schedules in UTC. "
            "Fix: write the schedule in UTC to see locally when it fires in Azure."
        ]
    return []


# -- running them -------------------------------------------------------------------------


class Clock(Protocol):
    """Where the scheduler reads the time and waits; a test passes a fake one."""

    def now(self) -> datetime.datetime: ...

    async def sleep_until(self, moment: datetime.datetime) -> None: ...


class SystemClock:
    """UTC wall-clock time; waits with the event loop."""

    def now(self) -> datetime.datetime:
        return utc_now()

    async def sleep_until(self, moment: datetime.datetime) -> None:
        delay = (moment - self.now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)


def timer_request(
    past_due: bool,
    last: Optional[datetime.datetime],
    following: datetime.datetime,
    now: datetime.datetime,
) -> TimerRequest:
    """The ``func.TimerRequest`` a timer function receives, with its schedule status."""
    status = {
        "Last": last.isoformat() if last else _NEVER,
        "Next": following.isoformat(),
        "LastUpdated": now.isoformat(),
    }
    return TimerRequest(past_due=past_due, schedule_status=status, schedule={"AdjustForDST": True})


def fire_reason(now: datetime.datetime) -> str:
    return f"Timer fired at {now.isoformat()}"


class TimerService:
    """Runs ``runOnStartup`` functions once and, when ``run_schedules``, every schedule."""

    def __init__(
        self,
        timers: List[TimerFunction],
        fire: Fire,
        *,
        run_schedules: bool,
        clock: Optional[Clock] = None,
    ) -> None:
        self.timers = timers
        self.fire = fire
        self.run_schedules = run_schedules
        self.clock: Clock = clock or SystemClock()
        self.tasks: List[asyncio.Task[None]] = []
        self._waiting: Set[asyncio.Task[Any]] = set()

    @property
    def has_work(self) -> bool:
        return self.run_schedules or any(t.run_on_startup for t in self.timers)

    def start(self) -> None:
        """Start one task per timer function on the running loop."""
        for timer in self.timers:
            if timer.run_on_startup or self.run_schedules:
                self.tasks.append(asyncio.ensure_future(self._run(timer)))

    async def _sleep_until(self, moment: datetime.datetime) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._waiting.add(task)
        try:
            await self.clock.sleep_until(moment)
        finally:
            self._waiting.discard(task)

    async def _fire(
        self,
        timer: TimerFunction,
        past_due: bool,
        last: Optional[datetime.datetime],
        following: datetime.datetime,
    ) -> None:
        now = self.clock.now()
        request = timer_request(past_due, last, following, now)
        try:
            await self.fire(timer.spec, request, fire_reason(now))
        except Exception:  # the host reports a function's failure; this is the host's own
            log.exception("The timer of %s failed to start the function", timer.spec.name)

    async def _run(self, timer: TimerFunction) -> None:
        schedule = timer.schedule
        started = self.clock.now()
        due = schedule.next_after(started)
        last: Optional[datetime.datetime] = None
        if timer.run_on_startup:
            await self._fire(timer, False, None, due)
            last = started
        if not self.run_schedules:
            return
        due = schedule.next_after(self.clock.now())
        while True:
            await self._sleep_until(due)
            past_due = self.clock.now() - due > LATE_TOLERANCE
            following = schedule.next_after(due)
            await self._fire(timer, past_due, last, following)
            last = due
            if following <= self.clock.now() and past_due:
                following = schedule.next_after(self.clock.now())  # caught up once; skip the rest
            due = following

    async def stop(self, timeout: float) -> None:
        """Stop waiting schedules at once; give running timer functions ``timeout`` seconds."""
        for task in list(self._waiting):
            task.cancel()
        running = [task for task in self.tasks if not task.done()]
        if running:
            _done, pending = await asyncio.wait(running, timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)


class WithTimers:
    """ASGI wrapper: starts the timer service at lifespan start-up, stops it at shutdown,
    before the host's own shutdown lets invocations finish."""

    def __init__(self, app: AsgiApp, service: TimerService, shutdown_timeout: float) -> None:
        self.app = app
        self.service = service
        self.shutdown_timeout = shutdown_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def receive_and_act() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.service.start()
            elif message["type"] == "lifespan.shutdown":
                await self.service.stop(self.shutdown_timeout)
            return message

        await self.app(scope, receive_and_act, send)


def summary(timers: List[TimerFunction], run_schedules: bool) -> Optional[str]:
    """The console line after the function list saying how timer functions run here."""
    if not timers:
        return None
    if run_schedules:
        return "Timer functions run on their schedules (--run-timers), in UTC"
    names: Dict[str, None] = {t.spec.name: None for t in timers}
    return (
        f"Timer functions ({', '.join(names)}) do not run on their schedules without "
        "--run-timers; start one with POST /admin/functions/<name>"
    )
