"""``running_host``: the local host in a subprocess on a free 127.0.0.1 port, for tests.

The host runs as users run it (``python -m python_worker_extension_framework start``), in its
own process, so an app's imports, environment and extension registry never mix with the
test's. The console output is collected as it comes, for assertions on log lines.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Union

READY = re.compile(r"Host started: (?P<url>http://\S+)")


class HostProcessError(RuntimeError):
    """The host did not start, or did not stop; the message carries its console output."""


class RunningHost:
    """A started host: its base URL and everything it printed so far."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.base_url = ""
        self._lines: List[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self._lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def lines(self) -> List[str]:
        with self._changed:
            return list(self._lines)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    def wait_for(
        self, pattern: Union[str, re.Pattern[str]], timeout: float = 15.0, count: int = 1
    ) -> List[str]:
        """Wait until ``count`` output lines match ``pattern`` (a regex); return them."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [line for line in self._lines if regex.search(line)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and not self._reader.is_alive()):
                    raise HostProcessError(
                        f"{count} line(s) matching {regex.pattern!r} did not appear within "
                        f"{timeout:.0f}s; host output:\n{chr(10).join(self._lines)}"
                    )
                self._changed.wait(min(left, 0.2))

    def stop(self, timeout: float = 20.0) -> int:
        """Ctrl-C, as a user would; wait for the graceful shutdown; return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise HostProcessError(
                    f"the host did not stop within {timeout:.0f}s of Ctrl-C; output:\n{self.output}"
                ) from None
        self._reader.join(5)
        return int(self.process.returncode)


@contextlib.contextmanager
def running_host(
    app_dir: Union[str, Path],
    *,
    env: Optional[Mapping[str, str]] = None,
    args: Sequence[str] = (),
    python: Optional[str] = None,
    startup_timeout: float = 30.0,
    port: Optional[int] = 0,
) -> Iterator[RunningHost]:
    """Start ``funcext start app_dir`` on a free 127.0.0.1 port; yield the running host.

    ``env`` adds to (or, with ``""`` values, still sets) the host's environment; ``args``
    are extra command-line options; ``python`` is the interpreter (this one by default).
    ``port=None`` passes no ``--port``, so the app's ``Host.LocalHttpPort`` (or 7071)
    applies. The host is stopped with Ctrl-C on exit.
    """
    app_dir = Path(app_dir).resolve()  # the host runs in the app folder: no relative path
    environment: Dict[str, str] = dict(os.environ)
    environment.update(env or {})
    environment["PYTHONUNBUFFERED"] = "1"
    command = [
        python or sys.executable,
        "-m",
        "python_worker_extension_framework",
        "start",
        str(app_dir),
        *([] if port is None else ["--port", str(port)]),
        *args,
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
        cwd=str(app_dir),
    )
    host = RunningHost(process)
    try:
        ready = host.wait_for(READY, timeout=startup_timeout)
        match = READY.search(ready[0])
        assert match is not None
        host.base_url = match.group("url")
        yield host
    finally:
        if process.poll() is None:
            host.stop()
