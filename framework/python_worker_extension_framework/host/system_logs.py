"""Lines Azure keeps in the platform's *system* log, marked as such on the local console.

Under the real worker, records from loggers under ``azure_functions_worker`` go to the
host as System logs: what a hook writes through the logger the worker passes to it
(``azure_functions_worker.extension.<Name>``) and the error the worker logs when a hook
raises. The app's owner never sees them in their traces. The local console therefore hides
them, and with ``--verbose`` shows them tagged ``[System]`` (dimmed on a terminal), so a line
that looks visible locally is never invisible in Azure without a hint.
"""

from __future__ import annotations

import logging
import os
from typing import IO

from ..core.hooks import WORKER_LOGGER_PREFIX

TAG = "[System]"
MARK = "funcext_system"  # the record attribute the console's formatter reads
HINT = "hint"
HINT_TEXT = (
    "An extension's hook failed; the error went to the system log, which Azure does not show "
    "in your traces either. Run with --verbose to see it (shown once)."
)
_DIM, _RESET = "\x1b[2m", "\x1b[0m"


def is_system_record(record: logging.LogRecord) -> bool:
    """Whether Azure would send this record to the system log rather than the user's."""
    return record.name == WORKER_LOGGER_PREFIX or record.name.startswith(WORKER_LOGGER_PREFIX + ".")


class SystemLogFilter(logging.Filter):
    """Drops system records, or (``show=True``) marks them for the formatter to tag.

    When hiding, the first hidden error is replaced by a one-line hint, so a failing hook is
    never entirely silent locally.
    """

    def __init__(self, show: bool) -> None:
        super().__init__()
        self.show = show
        self.hinted = False

    def filter(self, record: logging.LogRecord) -> bool:
        if not is_system_record(record):
            return True
        if self.show:
            setattr(record, MARK, True)
            return True
        if record.levelno >= logging.ERROR and not self.hinted:
            self.hinted = True
            setattr(record, MARK, HINT)
            return True
        return False


def wants_colour(stream: IO[str]) -> bool:
    """Dim only on a terminal, and never when ``NO_COLOR`` is set."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in os.environ


def hint_of(record: logging.LogRecord) -> str | None:
    """The hint that stands for a hidden error record, if the filter chose this one."""
    return HINT_TEXT if getattr(record, MARK, None) == HINT else None


def tag(text: str, record: logging.LogRecord, colour: bool) -> str:
    """``text`` with the System tag (and dimmed) when the filter marked the record."""
    if getattr(record, MARK, None) is not True:
        return text
    tagged = f"{TAG} {text}"
    return f"{_DIM}{tagged}{_RESET}" if colour else tagged
