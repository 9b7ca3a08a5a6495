"""The local dashboard of ``funcext start``: what the host and every extension did for each
invocation, live, at ``http://127.0.0.1:<port>/_funcext/``.

``collector.py`` follows invocations (the runtime's observer, a log handler, the span
feed's listener) into ``store.py``'s bounded ring; ``app.py`` serves the page, its JSON
and a server-sent event stream around the host's ASGI app; ``views.py`` redacts every value
it shows; ``guard.py`` keeps it local. The page itself is ``static/``: plain HTML, CSS and
JavaScript written here, shipped in the wheel.
"""

from __future__ import annotations

from typing import Callable

from ..runtime import FunctionHost
from .app import PREFIX, ASGIApp, DashboardApp
from .collector import Collector, DetailSwitch, LogCapture
from .store import DEFAULT_CAPACITY, InvocationStore

__all__ = ["DEFAULT_CAPACITY", "PREFIX", "Dashboard"]


class Dashboard:
    """One host's dashboard: attach it to the host, then serve ``wrap(app)``."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, bound_address: str = "127.0.0.1") -> None:
        self.store = InvocationStore(capacity)
        self.collector = Collector(self.store)
        self.detail = DetailSwitch(self.collector, LogCapture(self.collector))
        self.bound_address = bound_address
        self._stopping: Callable[[], bool] = lambda: False

    @classmethod
    def attach(
        cls, host: FunctionHost, bound_address: str, capacity: int = DEFAULT_CAPACITY
    ) -> Dashboard:
        """Start following ``host``'s invocations (in detail while a page is open)."""
        dashboard = cls(capacity, bound_address)
        host.observer = dashboard.collector
        return dashboard

    def wrap(self, app: ASGIApp) -> DashboardApp:
        """``app`` with the dashboard served in front of it."""
        return DashboardApp(
            app,
            self.collector,
            detail=self.detail,
            bound_address=self.bound_address,
            stopping=self.stopping,
        )

    def stop_streams_when(self, stopping: Callable[[], bool]) -> None:
        """Open event streams end once ``stopping()`` is true (the server is shutting down):
        a page that stays open must not hold up the host's exit."""
        self._stopping = stopping

    def stopping(self) -> bool:
        return self._stopping()

    def detach(self) -> None:
        self.detail.turn_off()
