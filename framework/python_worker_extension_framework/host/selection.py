"""``--functions NAME ...``: serve only some of the app's functions, as ``func start`` does.

The whole app is still imported (a v2 app is one module), but only the chosen functions are
listed, routed, given their load hooks and timers. A name the app does not define stops the
start: a typo would otherwise leave the user wondering why a function never answers.
"""

from __future__ import annotations

from typing import List, Sequence

from .loader import AppLoadError, FunctionSpec


def select_functions(specs: List[FunctionSpec], names: Sequence[str]) -> List[FunctionSpec]:
    """The specs named in ``names`` (case-insensitive, as the host matches), in load order."""
    by_name = {spec.name.lower(): spec for spec in specs}
    unknown = [name for name in names if name.lower() not in by_name]
    if unknown:
        raise AppLoadError(
            f"--functions names {', '.join(repr(n) for n in unknown)}, which the app does not "
            f"define. Its functions: {', '.join(spec.name for spec in specs)}."
        )
    wanted = {name.lower() for name in names}
    return [spec for spec in specs if spec.name.lower() in wanted]
