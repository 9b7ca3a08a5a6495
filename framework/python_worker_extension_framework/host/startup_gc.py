"""The garbage collector while ``funcext start`` starts: paused, then kept off what start-up made.

Start-up creates tens of thousands of objects that live as long as the process: the modules,
classes and functions of uvicorn, the host, the app and its extensions. While they are being
created, the collector's young and middle generations walk each of them about twice and free
almost nothing, some 10 % of the start's CPU. So the process's entry point (``cli.main``)
pauses automatic collection for the start, and once the server is about to serve,
``gc.freeze()`` moves everything start-up made into the permanent generation and collection
resumes as it was configured (thresholds untouched). Requests then run with the collector as
before; it just never walks the start-up objects again.

The price: cyclic garbage made during start-up (a few hundred objects for the sample apps,
such as the tracebacks of imports that were tried and failed) stays for the life of the
process instead of being freed. A start that fails resumes collection without freezing.
Only the entry point pauses: code that calls ``cli.start`` itself (in its own process)
keeps the collector as it is.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Stop automatic collection until ``resume`` (nothing when it is already off)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume(freeze: bool) -> None:
    """Collection as before ``pause``; with ``freeze``, the objects that exist now are left
    out of every later collection. Nothing when ``pause`` did not pause it."""
    global _paused
    if not _paused:
        return
    _paused = False
    if freeze:
        gc.freeze()
    gc.enable()


__all__ = ["pause", "resume"]
