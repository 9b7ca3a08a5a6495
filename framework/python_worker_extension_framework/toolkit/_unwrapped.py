"""The one warning an app on Python 3.13+ gets when nothing will ever run its extensions.

The worker for Python 3.13 and later calls no extension hook, so there an extension runs
only inside functions wrapped by the in-function wrapper (``with_extensions``,
``ExtensionsFunctionApp``, ``wrap_app``). An app that configures an extension but wraps
nothing would otherwise run without it in silence: nothing of the framework runs after
import. So ``configure()`` is where it is said, once per process, on the extension's own
(customer-visible) logger.

``configure()`` usually runs before the functions are defined, so whether the app wraps
them is judged from the module that calls it (the first module-level frame up the stack):
a module whose code names ``with_extensions``, ``ExtensionsFunctionApp`` or ``wrap_app``
wraps its functions, as does any app once a function has been wrapped.
"""

from __future__ import annotations

import logging
import sys
import threading
from types import FrameType
from typing import Optional, Tuple

from ..core.gating import worker_runs_extensions

WRAPPER_NAMES = frozenset({"with_extensions", "ExtensionsFunctionApp", "wrap_app"})

_lock = threading.Lock()
_warned = False


def current_python() -> Tuple[int, int]:
    """This interpreter's (major, minor); a function so tests can stand in another."""
    return (sys.version_info[0], sys.version_info[1])


def warn_once_if_unwrapped(extension_name: str, log: logging.Logger) -> bool:
    """Log the warning if this Python's worker runs no extensions and the configuring
    module wraps nothing; at most once per process. Returns whether it was logged."""
    global _warned
    version = current_python()
    if _warned or worker_runs_extensions(version) or _wrapper_in_use():
        return False
    with _lock:
        if _warned:
            return False
        _warned = True
    log.warning(
        "Python %d.%d: the Azure Functions worker runs no worker extensions, so %s runs only "
        "inside functions wrapped by python_worker_extension_framework: use "
        "ExtensionsFunctionApp or wrap_app(app) (v2) or @with_extensions on main (v1); "
        "without them it does nothing.",
        version[0],
        version[1],
        extension_name,
    )
    return True


def _wrapper_in_use() -> bool:
    from ..wrapper import _marker

    if _marker.is_registered():  # a function was wrapped already
        return True
    module = _configuring_module(sys._getframe(1))
    return module is not None and not WRAPPER_NAMES.isdisjoint(module.f_code.co_names)


def _configuring_module(frame: Optional[FrameType]) -> Optional[FrameType]:
    while frame is not None and frame.f_code.co_name != "<module>":
        frame = frame.f_back
    return frame
