"""The ASGI application the host serves: function routes, the admin endpoint, lifespan.

Errors are answered as the Functions host answers them: an unknown route 404, a method the
function does not accept 405 (with ``Allow``), a body over the limit 413, a function that
raises (or returns what its output cannot carry, or runs past ``functionTimeout``) 500 with
an empty body, the traceback going to the console only. Nothing a request does stops the
host.

Before any of that, ``guard.py``'s rules refuse (403) a request addressed to a foreign
``Host`` and a cross-origin browser request to the admin endpoints. A body must arrive
whole, within ``body_timeout`` seconds: a client that disconnects before its last byte (a
``Content-Length`` it never fills, a chunked body that breaks off) runs nothing, and one
too slow gets 408.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import threading
from typing import Any, Awaitable, Callable, List, MutableMapping, Optional, Set, Tuple

from . import console
from .admin import AdminRequestError, log_outputs, parse_admin_body, run_admin_invocation
from .convert import (
    ResultConversionError,
    build_http_request,
    captured_outputs,
    http_answer,
    http_response_value,
    join_headers,
)
from .guard import RequestGuard
from .runtime import FunctionHost, incoming_trace_context
from .shutdown import ExitDeadline

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

ADMIN_PREFIX = "/admin/functions/"
DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024  # Azure's HTTP request limit
DEFAULT_BODY_TIMEOUT = 60.0
_CLOSE = [("connection", "close")]
log = logging.getLogger(console.LOGGER_NAME)


class BodyTooLarge(Exception):
    """More bytes than ``--max-body-size``: answered 413."""


class BodyIncomplete(Exception):
    """The client went away before its body ended: nothing runs, nothing is answered."""


class BodyTimeout(Exception):
    """The body did not arrive within ``--body-timeout``: answered 408."""


async def _read_body(receive: Receive, limit: int, timeout: float) -> bytes:
    """The whole body, or an exception: a partial body is never returned.

    The deadline is one timer that cancels this task, not a ``wait_for`` (a task of its
    own) per chunk: most bodies are already in when the app asks, and then the timer is
    all the deadline costs. The timer can only go off while this task waits in
    ``receive()``, so its cancellation always surfaces here.
    """
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        if task is not None:
            task.cancel()

    timer = loop.call_later(timeout, expire)
    chunks: List[bytes] = []
    size = 0
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise BodyIncomplete()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
    except asyncio.CancelledError:
        if not expired:
            raise
        _uncancel(task)
        raise BodyTimeout() from None
    finally:
        timer.cancel()
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _uncancel(task: Optional[asyncio.Task[Any]]) -> None:
    """Take back the cancel request our own timer made (Python 3.11+ counts them)."""
    uncancel = getattr(task, "uncancel", None)
    if uncancel is not None:
        uncancel()


async def _answer(
    send: Send, status: int, body: bytes = b"", headers: Optional[List[Tuple[str, str]]] = None
) -> None:
    raw: List[Tuple[bytes, bytes]] = []
    typed = False
    for name, value in headers or ():
        typed = typed or name.lower() == "content-type"
        raw.append((name.encode("latin-1"), value.encode("latin-1")))
    if body and not typed:
        raw.append((b"content-type", b"text/plain; charset=utf-8"))
    raw.append((b"content-length", str(len(body)).encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class HostApp:
    """ASGI 3 application around a loaded ``FunctionHost``."""

    def __init__(
        self,
        host: FunctionHost,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        shutdown_timeout: float = 10.0,
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
        guard: Optional[RequestGuard] = None,
        exit_deadline: Optional[ExitDeadline] = None,
    ) -> None:
        self.host = host
        self.max_body_bytes = max_body_bytes
        self.shutdown_timeout = shutdown_timeout
        self.body_timeout = body_timeout
        self.guard = guard or RequestGuard()
        self.exit_deadline = exit_deadline
        self.admin_runs: Set[asyncio.Task[Any]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            try:
                await self._http(scope, receive, send)
            except BodyTooLarge:
                await _answer(send, 413, b"Request body too large", _CLOSE)
            except BodyTimeout:
                message = f"Request body took longer than {self.body_timeout:g}s"
                await _answer(send, 408, message.encode(), _CLOSE)
            except BodyIncomplete:
                log.debug(
                    "%s %s: the client left before its body ended; nothing ran",
                    scope.get("method"),
                    scope.get("path"),
                )
            except Exception as exc:  # a host bug: one line and a 500, never a traceback
                log.error(
                    "Internal error answering %s %s: %s: %s (--verbose shows the traceback)",
                    scope.get("method"),
                    scope.get("path"),
                    type(exc).__name__,
                    exc,
                )
                log.debug("Traceback of that error", exc_info=True)
                with contextlib.suppress(Exception):  # the response may have started
                    await _answer(send, 500, b"", _CLOSE)
        elif scope["type"] == "websocket":
            # Functions are not websocket endpoints: refuse before accepting, which both of
            # uvicorn's websocket libraries answer with 403 (returning without a word would
            # be a 500 under wsproto).
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def stop(self) -> None:
        """Let running invocations finish, then let exporters flush, all within what is left
        of the exit deadline (``shutdown_timeout`` when there is none), less a moment kept
        for the process to end."""
        loop = asyncio.get_running_loop()
        budget = self.shutdown_timeout
        if self.exit_deadline is not None and self.exit_deadline.started:
            budget = self.exit_deadline.remaining()
        ends = loop.time() + max(budget - min(1.0, budget * 0.1), 0.0)
        running = [task for task in self.admin_runs if not task.done()]
        if running:
            await asyncio.wait(running, timeout=max(ends - loop.time(), 0.0))
        left = await self.host.drain(max(ends - loop.time(), 0.0))
        if left:
            log.warning("%d invocation(s) still running at shutdown were abandoned", left)
        await self._flush(max(ends - loop.time(), 0.0))
        self.host.close()

    async def _flush(self, timeout: float) -> None:
        """``flush_extensions`` on a daemon thread, awaited at most ``timeout`` seconds: an
        exporter stuck on its endpoint must hold neither the loop nor the exit (a thread of
        the loop's default executor would be joined when the loop closes)."""
        done: concurrent.futures.Future[None] = concurrent.futures.Future()

        def flush() -> None:
            try:
                self.host.flush_extensions(timeout)
            finally:
                # Cancelled (and so already done) when the wait below ran out.
                with contextlib.suppress(concurrent.futures.InvalidStateError):
                    done.set_result(None)

        threading.Thread(target=flush, name="funcext-flush", daemon=True).start()
        try:
            await asyncio.wait_for(asyncio.wrap_future(done), timeout)
        except asyncio.TimeoutError:
            log.warning(
                "Exporters did not finish flushing within %.1fs (--shutdown-timeout); "
                "what they still hold is dropped",
                timeout,
            )

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = str(scope["method"]).upper()
        path = scope.get("path", "/")
        headers = join_headers(list(scope.get("headers") or []))
        refused = self.guard.host_problem(headers)
        if refused is None and path.lower().startswith("/admin/"):
            refused = self.guard.origin_problem(headers)
        if refused is not None:
            console.refused(refused)
            await _answer(send, 403, refused.encode("utf-8", "replace"), _CLOSE)
            return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body_bytes:
            await _answer(send, 413, b"Request body too large", _CLOSE)
            return
        if path.lower().startswith(ADMIN_PREFIX):
            await self._admin(method, path[len(ADMIN_PREFIX) :], receive, send)
            return
        if path.rstrip("/").lower() == "/admin/host/status":
            await _answer(
                send,
                200,
                json.dumps({"state": "Running"}).encode(),
                [("content-type", "application/json")],
            )
            return
        raw_path = scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0] or path
        match = self.host.routes.match(method, raw_path)
        if match.method_not_allowed:
            await _answer(send, 405, b"", [("allow", ", ".join(match.allowed))])
            return
        if match.route is None:
            await _answer(send, 404)
            return
        spec = match.route.target
        body = await _read_body(receive, self.max_body_bytes, self.body_timeout)
        request = build_http_request(scope, headers, body, match.params)
        outcome = await self.host.invoke(
            spec, request, trace_context=incoming_trace_context(request.headers)
        )
        log_outputs(spec, captured_outputs(spec, outcome.func_args, outcome.result))
        if outcome.exception is not None:
            await _answer(send, 500)
            return
        try:
            answer = http_answer(http_response_value(spec, outcome.func_args, outcome.result))
        except ResultConversionError as exc:
            log.error("Functions.%s %s", spec.name, exc)
            await _answer(send, 500)
            return
        await _answer(send, answer.status, answer.body, answer.headers)

    async def _admin(self, method: str, name: str, receive: Receive, send: Send) -> None:
        name = name.strip("/")
        if method != "POST":
            await _answer(send, 405, b"", [("allow", "POST")])
            return
        spec = self.host.function(name)
        if spec is None:
            await _answer(send, 404, f"No function named {name!r}".encode())
            return
        body = await _read_body(receive, self.max_body_bytes, self.body_timeout)
        if spec.is_http:
            url = self.host.url_path(spec)
            await _answer(
                send, 400, f"{spec.name} is an HTTP function: call {url} instead".encode()
            )
            return
        try:
            value = parse_admin_body(body)
        except AdminRequestError as exc:
            await _answer(send, 400, str(exc).encode())
            return
        task = asyncio.ensure_future(run_admin_invocation(self.host, spec, value))
        self.admin_runs.add(task)
        task.add_done_callback(self.admin_runs.discard)
        await _answer(send, 202)


def describe_routes(host: FunctionHost, base_url: str) -> List[str]:
    lines = []
    for spec in host.functions.values():
        lines.append(console.describe_function(spec, base_url, host.url_path(spec)))
    return lines


__all__: List[str] = [
    "DEFAULT_BODY_TIMEOUT",
    "DEFAULT_MAX_BODY_BYTES",
    "HostApp",
    "describe_routes",
]
