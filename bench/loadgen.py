"""A small HTTP/1.1 load generator for loopback: keep-alive connections, bounded work.

It speaks just enough HTTP for the hello-world responses it measures (a status line,
headers and a ``content-length`` body), so that the client costs little next to the
server. Work is bounded twice: a number of requests and a time limit, whichever ends first.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    """Per-request latencies (ms) and status codes of one load run."""

    seconds: float
    latencies_ms: List[float] = field(default_factory=list)
    statuses: Dict[int, int] = field(default_factory=dict)
    errors: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _read_response(reader: asyncio.StreamReader) -> Tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _worker(
    url: str,
    method: str,
    body: bytes,
    headers: Dict[str, str],
    budget: List[int],
    deadline: float,
    result: LoadResult,
) -> None:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = (
        f"{method} {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1") + body
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        while budget[0] > 0 and time.perf_counter() < deadline:
            budget[0] -= 1
            started = time.perf_counter()
            try:
                writer.write(request)
                status, _ = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                result.errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
                continue
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            result.statuses[status] = result.statuses.get(status, 0) + 1
    finally:
        writer.close()


async def run_load_async(
    url: str,
    *,
    requests: int,
    connections: int = 16,
    max_seconds: float = 30.0,
    method: str = "GET",
    body: bytes = b"",
    headers: Optional[Dict[str, str]] = None,
) -> LoadResult:
    """``requests`` requests (or fewer, if ``max_seconds`` runs out) over ``connections``
    keep-alive connections, each sent with ``headers`` besides Host and Content-Length."""
    budget = [requests]
    result = LoadResult(seconds=0.0)
    started = time.perf_counter()
    deadline = started + max_seconds
    await asyncio.gather(
        *(
            _worker(url, method, body, headers or {}, budget, deadline, result)
            for _ in range(connections)
        )
    )
    result.seconds = time.perf_counter() - started
    return result


def run_load(url: str, **options: object) -> LoadResult:
    """``run_load_async`` on a new event loop."""
    return asyncio.run(run_load_async(url, **options))  # type: ignore[arg-type]
