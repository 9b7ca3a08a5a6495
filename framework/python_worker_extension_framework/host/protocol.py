"""The HTTP/1.1 connection handler: uvicorn's h11 protocol with a header deadline and no
tracebacks from malformed input.

uvicorn clears its keep-alive timer on every byte received and sets none on a fresh
connection, so a client that sends its headers a byte at a time (or nothing at all) holds a
connection for as long as it likes. Here every connection gets ``header_timeout`` seconds,
from when it opens or its previous response ended, to finish a request's headers; then it is
closed (with a 408 if it had started one). Bodies have their own limit in ``asgi.py``.

A protocol error that arrives after the response was sent (a lying chunked body on a route
that answered 405, say) made uvicorn try to send a second response, which raised inside
asyncio's callback and printed a traceback; here such a connection is simply closed. The
h11 protocol is always used (also when httptools is installed) so these rules always apply.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Optional, Type

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from . import console

DEFAULT_HEADER_TIMEOUT = 10.0
_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: 31\r\n\r\nRequest headers took too long.\n"
)
log = logging.getLogger(console.LOGGER_NAME)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's ``H11Protocol`` with the header deadline; see the module docstring."""

    header_timeout: float = DEFAULT_HEADER_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_timer: Optional[asyncio.TimerHandle] = None
        self._bytes_since_response = 0
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._bytes_since_response += len(data)
        try:
            super().data_received(data)
        except Exception as exc:  # never a traceback from what a client sent
            log.debug("Closed a connection after a protocol error: %s: %s", type(exc).__name__, exc)
            self.transport.close()
            self._end_cycle()
            return
        if self.conn.their_state is not h11.IDLE:
            self._cancel_header_timer()  # the request's headers are in

    def on_response_complete(self) -> None:
        self._bytes_since_response = 0
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_header_timer()

    def send_400_response(self, msg: str) -> None:
        try:
            super().send_400_response(msg)
        except h11.LocalProtocolError:
            # A response was already sent (e.g. a 405 before a broken chunked body arrived):
            # there is nothing more to say on this connection.
            self.transport.close()
        self._end_cycle()

    def _end_cycle(self) -> None:
        """The connection is done for: the request being handled, if any, learns it now
        (its body reads end in a disconnect, its response is not sent) rather than when
        the transport reports the loss, by which time it may have tried to answer twice."""
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True
            cycle.message_event.set()

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_timed_out)

    def _cancel_header_timer(self) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
            self._header_timer = None

    def _headers_timed_out(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self._bytes_since_response:
            self.transport.write(_TIMED_OUT)
        self.transport.close()


def protocol_class(header_timeout: float) -> Type[Any]:
    """The protocol class to give ``uvicorn.Config(http=...)``, with this header deadline."""
    return type(
        "GuardedH11Protocol", (GuardedH11Protocol,), {"header_timeout": float(header_timeout)}
    )


__all__ = ["DEFAULT_HEADER_TIMEOUT", "GuardedH11Protocol", "protocol_class"]
