"""Load from ``wrk`` (Debian's package), the generator the host's numbers are reported with.

``wrk`` runs in its own process and thread, so unlike the Python generator in
``loadgen.py`` it does not share the measuring process's interpreter; its numbers are
the ones to quote. ``make bench`` installs it when it can; where it is missing the host
benchmark falls back to ``loadgen.py`` and says so in its table.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Dict, Optional

from .loadgen import LoadResult

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
_PERCENTILE = re.compile(r"^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_DONE = re.compile(r"^\s*(\d+) requests in", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def available() -> bool:
    return shutil.which("wrk") is not None


class WrkResult(LoadResult):
    """``wrk``'s summary: requests per second and latency percentiles (no per-request list)."""

    def __init__(
        self, rate: float, percentiles: Dict[float, float], errors: int, bad: int, done: int = 0
    ):
        super().__init__(seconds=1.0)
        self._rate = rate
        self.done = done
        self._percentiles = percentiles
        self.errors = errors
        self.statuses = {500: bad} if bad else {200: 1}

    @property
    def requests_per_second(self) -> float:
        return self._rate

    @property
    def requests(self) -> int:
        return self.done

    def percentile(self, fraction: float) -> float:
        return self._percentiles[fraction]


def run(url: str, *, seconds: float, connections: int = 16, threads: int = 1) -> WrkResult:
    """One bounded ``wrk`` run against ``url`` (loopback only), parsed."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"wrk is pointed at loopback only, got {url}")
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:.0f}s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    rate = _RATE.search(output)
    if rate is None:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    percentiles = {
        int(p) / 100: float(value) * _UNITS[unit] for p, value, unit in _PERCENTILE.findall(output)
    }
    errors = _ERRORS.search(output)
    bad: Optional[re.Match[str]] = _NON_2XX.search(output)
    done = _DONE.search(output)
    return WrkResult(
        float(rate.group(1)),
        percentiles,
        sum(int(n) for n in errors.groups()) if errors else 0,
        int(bad.group(1)) if bad else 0,
        int(done.group(1)) if done else 0,
    )
