"""Detail is recorded while a dashboard page is open and for a grace period after: an idle
host installs no log handler and nobody listens to the span feed."""

from __future__ import annotations

import asyncio
import logging

from python_worker_extension_framework.host.dashboard.collector import (
    Collector,
    DetailSwitch,
    LogCapture,
)
from python_worker_extension_framework.host.dashboard.store import InvocationStore
from python_worker_extension_framework.toolkit import span_feed


def _switch(grace: float) -> DetailSwitch:
    collector = Collector(InvocationStore())
    return DetailSwitch(collector, LogCapture(collector), grace=grace)


def _installed(switch: DetailSwitch) -> bool:
    return switch.log_capture in logging.getLogger().handlers


def test_detail_follows_open_pages_with_a_grace_period() -> None:
    async def scenario() -> None:
        switch = _switch(grace=0.05)
        assert not switch.on and not _installed(switch) and not span_feed.listening()
        switch.page_opened()
        switch.page_opened()
        assert switch.on and _installed(switch) and span_feed.listening()
        switch.page_closed()
        await asyncio.sleep(0.1)
        assert switch.on  # one page is still open
        switch.page_closed()
        assert switch.on  # the grace period runs
        while switch.on:  # ordering, not a duration: the timer fires on this loop
            await asyncio.sleep(0.01)
        assert not _installed(switch) and not span_feed.listening()

    asyncio.run(scenario())


def test_a_page_reopened_within_the_grace_period_keeps_detail_on() -> None:
    async def scenario() -> None:
        switch = _switch(grace=0.2)
        switch.page_opened()
        switch.page_closed()
        switch.page_opened()  # a reload
        await asyncio.sleep(0.3)
        assert switch.on and _installed(switch)
        switch.turn_off()
        assert not _installed(switch) and not span_feed.listening()

    asyncio.run(scenario())
