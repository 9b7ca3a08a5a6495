"""The dashboard's ASGI layer: around the host's app, it serves ``/_funcext/`` and notes
each HTTP answer for the invocation it belongs to.

Endpoints (``GET`` only; every one behind ``guard.refusal``):

- ``/_funcext/``: the page; ``/_funcext/static/<file>``: its script and style sheet,
  shipped in the package (no CDN, no build step);
- ``/_funcext/api/invocations``: every kept invocation, newest first, and each function's
  figures; ``/_funcext/api/invocations/<id>``: one invocation in detail;
- ``/_funcext/api/stream``: server-sent events: a ``snapshot`` first, then a ``batch``
  of new invocations at most every ``BATCH_INTERVAL`` seconds while there are any. A page
  that falls behind gets a fresh ``snapshot``. Streams end when the server stops.

Every other request goes to the host's app unchanged; only its ``send`` is watched (the
status; while detail is recorded, also the headers and the first bytes of the body), for
the invocation it ran. An open stream turns detail recording on (``DetailSwitch``).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Awaitable, Callable, Dict, List, MutableMapping, Optional, Tuple

from .collector import Collector, DetailSwitch, ResponseCapture, current_request
from .guard import refusal
from .store import InvocationStore

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFIX = "/_funcext"
BATCH_INTERVAL = 0.25  # seconds: a burst of invocations reaches a page as a few messages
KEEPALIVE_SECONDS = 15.0
STOP_POLL_SECONDS = 0.5  # how often an idle stream checks whether the server is stopping
MAX_STREAMS = 16
RETRY_MS = 2000

_ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
_SECURITY_HEADERS = [
    (
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
]


def _load_assets() -> Dict[str, bytes]:
    from importlib import resources

    folder = resources.files(__name__.rpartition(".")[0]).joinpath("static")
    return {name: folder.joinpath(name).read_bytes() for name in _ASSETS}


def _headers(scope: Scope) -> Dict[str, str]:
    headers: Dict[str, str] = {}
    for key, value in scope.get("headers") or []:
        headers[key.decode("latin-1").lower()] = value.decode("latin-1")
    return headers


async def _answer(
    send: Send,
    status: int,
    body: bytes,
    content_type: str = "text/plain; charset=utf-8",
    extra: Optional[List[Tuple[str, str]]] = None,
) -> None:
    headers = [("content-type", content_type), ("content-length", str(len(body)))]
    headers += _SECURITY_HEADERS + (extra or [])
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


class DashboardApp:
    """ASGI 3 middleware: the dashboard at ``/_funcext/``, the host's app everywhere else."""

    def __init__(
        self,
        inner: ASGIApp,
        collector: Collector,
        *,
        detail: Optional[DetailSwitch] = None,
        bound_address: str = "127.0.0.1",
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.inner = inner
        self.collector = collector
        self.store: InvocationStore = collector.store
        self.detail = detail
        self.bound_address = bound_address
        self.stopping = stopping
        self._assets: Optional[Dict[str, bytes]] = None  # read at the first page request
        self.streams = 0

    @property
    def assets(self) -> Dict[str, bytes]:
        """The page's files, read from the package when the page is first asked for (a
        host whose dashboard is never opened never reads them)."""
        if self._assets is None:
            self._assets = _load_assets()
        return self._assets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path == PREFIX or path.startswith(PREFIX + "/"):
            await self._dashboard(scope, receive, send, path[len(PREFIX) :])
            return
        capture = ResponseCapture()
        token = current_request.set(capture)
        detailed = self.collector.detailed

        async def watched_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                capture.status = message["status"]
                capture.headers = message.get("headers") or ()
            elif detailed:
                capture.chunk(message.get("body", b""))
            await send(message)

        try:
            await self.inner(scope, receive, watched_send)
        finally:
            current_request.reset(token)
            if capture.records:
                self.collector.responded(capture)

    # -- the dashboard's own endpoints -----------------------------------------------------

    async def _dashboard(self, scope: Scope, receive: Receive, send: Send, rest: str) -> None:
        from . import views  # the JSON views load with the first dashboard request

        headers = _headers(scope)
        problem = refusal(headers, scope.get("client"), self.bound_address)
        if problem is not None:
            await _answer(send, 403, problem.encode())
            return
        method = str(scope.get("method", "GET")).upper()
        if method not in ("GET", "HEAD"):
            await _answer(send, 405, b"The dashboard is read-only.", extra=[("allow", "GET")])
            return
        if rest == "":
            await _answer(send, 308, b"", extra=[("location", PREFIX + "/")])
        elif rest == "/":
            await self._asset(send, "index.html")
        elif rest.startswith("/static/"):
            await self._asset(send, rest[len("/static/") :])
        elif rest == "/api/invocations":
            await self._json(send, views.snapshot(self.store))
        elif rest.startswith("/api/invocations/"):
            record = self.store.get(rest[len("/api/invocations/") :])
            if record is None:
                await _answer(send, 404, b"No such invocation (it may have left the ring).")
            else:
                await self._json(send, views.detail(record, self.store))
        elif rest == "/api/stream":
            await self._stream(receive, send)
        else:
            await _answer(send, 404, b"Not found")

    async def _asset(self, send: Send, name: str) -> None:
        body = self.assets.get(name)
        if body is None:
            await _answer(send, 404, b"Not found")
        else:
            await _answer(send, 200, body, _ASSETS[name])

    async def _json(self, send: Send, value: Any) -> None:
        from . import views

        await _answer(send, 200, views.to_json(value), "application/json")

    async def _stream(self, receive: Receive, send: Send) -> None:
        from . import views

        if self.streams >= MAX_STREAMS:
            await _answer(send, 503, b"Too many open dashboards.", extra=[("retry-after", "5")])
            return
        self.streams += 1
        if self.detail is not None:
            self.detail.page_opened()
        subscriber = self.store.subscribe()
        gone = asyncio.Event()

        async def watch_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.ensure_future(watch_disconnect())
        try:
            headers = [
                ("content-type", "text/event-stream; charset=utf-8"),
                ("x-accel-buffering", "no"),
                *_SECURITY_HEADERS,
            ]
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
                }
            )
            first = f"retry: {RETRY_MS}\n\n".encode() + _event(
                "snapshot", views.snapshot(self.store)
            )
            await send({"type": "http.response.body", "body": first, "more_body": True})
            await self._follow(subscriber, gone, send)
        finally:
            self.store.unsubscribe(subscriber)
            self.streams -= 1
            if self.detail is not None:
                self.detail.page_closed()
            watcher.cancel()
            with contextlib.suppress(Exception):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _follow(self, subscriber: Any, gone: asyncio.Event, send: Send) -> None:
        from . import views

        loop = asyncio.get_running_loop()
        quiet_since = loop.time()
        while not gone.is_set() and not self.stopping():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(subscriber.wakeup.wait(), STOP_POLL_SECONDS)
            if gone.is_set() or self.stopping():
                return
            if subscriber.overflowed:
                subscriber.overflowed = False
                subscriber.take()
                chunk = _event("snapshot", views.snapshot(self.store))
            elif subscriber.pending:
                chunk = _event("batch", views.batch(self.store, subscriber.take()))
            elif loop.time() - quiet_since >= KEEPALIVE_SECONDS:
                chunk = b": keep-alive\n\n"
            else:
                continue
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            quiet_since = loop.time()
            await asyncio.sleep(BATCH_INTERVAL)  # let a burst gather into the next message


def _event(name: str, data: Any) -> bytes:
    from . import views

    return b"event: " + name.encode() + b"\ndata: " + views.to_json(data) + b"\n\n"
