"""The errors of a start option or setting that cannot be honoured, in a module of their own.

The command line catches them around every start, while the parts that raise them, timers
(with the NCRONTAB parser) and CORS, load only for an app that has a timer function or a
CORS setting: most starts need neither, and importing them would only slow the start down.
``timers`` and ``cors`` export them under their own names too.
"""

from __future__ import annotations


class TimerConfigError(ValueError):
    """A timer function's schedule cannot be used; names the function, its file and the fix."""


class CorsConfigError(ValueError):
    """A CORS configuration the browser protocol does not allow; names the fix."""


__all__ = ["CorsConfigError", "TimerConfigError"]
