"""Which functions an app-level extension applies to (``only=`` / ``exclude=``).

Function-level extensions (``FuncExtensionBase``) never match a function in the v2
programming model, so app-level extensions built on the framework take a filter instead:
function names (case-insensitive, as the worker matches them) or a predicate.
"""

from __future__ import annotations

from typing import Any, Callable, FrozenSet, Union

NameFilter = Union[None, str, Callable[[str], bool], FrozenSet[str]]


def normalise(value: Any) -> NameFilter:
    """Check an ``only``/``exclude`` value; names become a lower-cased frozenset."""
    if value is None or callable(value):
        return value  # type: ignore[no-any-return]
    if isinstance(value, str):
        return frozenset({value.lower()})
    try:
        names = list(value)
    except TypeError:
        raise ValueError(
            "expected a function name, a collection of function names or a predicate "
            f"taking the function name, got {type(value).__name__}"
        ) from None
    bad = [name for name in names if not isinstance(name, str)]
    if bad:
        raise ValueError(f"function names must be strings, got {bad[0]!r}")
    return frozenset(name.lower() for name in names)


def _hit(rule: NameFilter, function_name: str) -> bool:
    if callable(rule):
        return bool(rule(function_name))
    assert rule is not None and not isinstance(rule, str)
    return function_name.lower() in rule


def applies(only: NameFilter, exclude: NameFilter, function_name: str) -> bool:
    """True when ``function_name`` passes ``only`` (if set) and is not in ``exclude``."""
    if only is not None and not _hit(only, function_name):
        return False
    return not (exclude is not None and _hit(exclude, function_name))
