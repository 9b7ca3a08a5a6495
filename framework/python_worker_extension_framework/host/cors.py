"""CORS as ``func start`` applies it: ``--cors`` / ``Host.CORS`` and ``--cors-credentials``.

Core Tools puts ASP.NET Core's CORS middleware in front of every function route with the
listed origins, any method and any header. This module does the same, as ASGI middleware:

- a preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) is answered
  204 before routing; for an allowed origin the answer echoes the origin (or ``*`` when every
  origin is allowed), the requested method and headers, and ``Access-Control-Allow-Credentials``
  when credentials are on;
- any other request from an allowed origin gets ``Access-Control-Allow-Origin`` (and the
  credentials header) on its response;
- an origin not in the list gets no CORS header at all, so the browser blocks the call.

``*`` with credentials is refused at start, as ASP.NET Core refuses it: browsers ignore
credentials with a wildcard origin. The admin endpoint (``/admin/...``) is left out, so a web
page from an allowed origin can call the app's functions but never start its timers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable, FrozenSet, List, MutableMapping, Optional, Tuple

from .start_errors import CorsConfigError as CorsConfigError  # exported here too

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _normalise_origin(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


@dataclass(frozen=True)
class CorsPolicy:
    """Allowed origins (``*`` for any) and whether credentials are allowed."""

    origins: FrozenSet[str]
    any_origin: bool
    credentials: bool

    @classmethod
    def parse(cls, origins: str, credentials: bool = False) -> CorsPolicy:
        """``origins`` is Core Tools' comma-separated list, e.g. ``"http://localhost:3000,*"``."""
        listed = [_normalise_origin(o) for o in origins.split(",") if o.strip()]
        any_origin = "*" in listed
        if any_origin and credentials:
            raise CorsConfigError(
                "CORS allows every origin ('*') and credentials at once, which the CORS "
                "protocol forbids (Core Tools refuses it too). Fix: list the origins, e.g. "
                "--cors http://localhost:3000, or turn credentials off."
            )
        bad = [o for o in listed if o != "*" and "://" not in o]
        if bad:
            raise CorsConfigError(
                f"CORS origin {bad[0]!r} has no scheme. Fix: write it as a browser sends it, "
                f"e.g. 'http://{bad[0]}'."
            )
        return cls(frozenset(o for o in listed if o != "*"), any_origin, credentials)

    def allows(self, origin: str) -> bool:
        """Whether a request with this ``Origin`` header may read the response."""
        return self.any_origin or _normalise_origin(origin) in self.origins

    def describe(self) -> str:
        shown = "any origin" if self.any_origin else ", ".join(sorted(self.origins))
        return f"{shown}{' (with credentials)' if self.credentials else ''}"

    def _origin_headers(self, origin: str) -> List[Tuple[bytes, bytes]]:
        if self.any_origin:
            return [(b"access-control-allow-origin", b"*")]
        headers = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
        if self.credentials:
            headers.append((b"access-control-allow-credentials", b"true"))
        return headers

    def preflight_headers(
        self, origin: str, method: str, request_headers: str
    ) -> List[Tuple[bytes, bytes]]:
        """The headers of a 204 preflight answer (none for an origin not allowed)."""
        if not self.allows(origin):
            return []
        headers = self._origin_headers(origin)
        headers.append((b"access-control-allow-methods", method.encode("latin-1")))
        if request_headers.strip():
            headers.append((b"access-control-allow-headers", request_headers.encode("latin-1")))
        return headers

    def response_headers(self, origin: str) -> List[Tuple[bytes, bytes]]:
        """The headers added to an ordinary response (none for an origin not allowed)."""
        return self._origin_headers(origin) if self.allows(origin) else []


def _header(scope: Scope, name: bytes) -> Optional[str]:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class CorsMiddleware:
    """Applies a ``CorsPolicy`` to every HTTP request outside ``/admin/``."""

    def __init__(self, app: AsgiApp, policy: CorsPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _header(scope, b"origin") if scope["type"] == "http" else None
        if origin is None or str(scope.get("path", "")).lower().startswith("/admin/"):
            await self.app(scope, receive, send)
            return
        requested_method = _header(scope, b"access-control-request-method")
        if str(scope["method"]).upper() == "OPTIONS" and requested_method is not None:
            headers = self.policy.preflight_headers(
                origin, requested_method, _header(scope, b"access-control-request-headers") or ""
            )
            headers.append((b"content-length", b"0"))
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        extra = self.policy.response_headers(origin)
        if not extra:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (k, v)
                    for k, v in message.get("headers") or []
                    if not bytes(k).lower().startswith(b"access-control-allow-")
                ]
                message = {**message, "headers": kept + extra}
            await send(message)

        await self.app(scope, receive, send_with_cors)
