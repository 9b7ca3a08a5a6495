"""Typed, validated extension options with app-setting fallback.

Precedence, highest first: the argument given to ``configure()``, then the app setting
(environment variable) named by the option, then the option's default. Everything is
checked when ``configure()`` runs, so a mistake fails at import, not on the first request.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Sequence, Tuple, Union

from ..errors import OptionTypeError, OptionValueError, UnknownOptionError

_FALSE_VALUES = frozenset({"0", "false", "f", "no", "n", "off", ""})
_TRUE_VALUES = frozenset({"1", "true", "t", "yes", "y", "on"})

TypeSpec = Union[type, Tuple[type, ...]]


@dataclass(frozen=True)
class Option:
    """One option of an extension.

    ``kind`` is the accepted type (or tuple of types); ``None`` is accepted when the
    default is ``None``. ``env`` names an app setting read when the option is not passed
    (``PYTHON_WORKER_EXTENSION_<NAME>_<OPTION>``); ``aliases`` name other app settings read,
    in order, when ``env`` is not set: an older name kept working, or the platform's own
    setting for the same value. ``check`` may normalise the value or raise ``ValueError``
    with a message saying what is allowed.
    """

    name: str
    kind: TypeSpec
    default: Any = None
    env: Optional[str] = None
    doc: str = ""
    check: Optional[Callable[[Any], Any]] = None
    aliases: Tuple[str, ...] = ()

    def kinds(self) -> Tuple[type, ...]:
        return self.kind if isinstance(self.kind, tuple) else (self.kind,)

    def app_settings(self) -> Tuple[str, ...]:
        """The app settings this option reads, the one that wins first."""
        return ((self.env,) if self.env else ()) + self.aliases

    def setting_in(self, environ: Mapping[str, str]) -> Optional[str]:
        """The first of this option's app settings that ``environ`` has, or None."""
        for name in self.app_settings():
            if name in environ:
                return name
        return None


class Settings(Mapping[str, Any]):
    """An extension's resolved options: read-only, by key or by attribute."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __getattr__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Settings({self._values!r})"


def _type_names(kinds: Tuple[type, ...]) -> str:
    return " or ".join(kind.__name__ for kind in kinds)


def _matches(value: Any, kinds: Tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in kinds:
        return False  # True is an int to Python, never to a user
    if isinstance(value, int) and not isinstance(value, bool) and float in kinds:
        return True
    return isinstance(value, kinds)


def _from_app_setting(owner: str, option: Option, setting: str, raw: str) -> Any:
    kinds = option.kinds()
    text = raw.strip()
    where = f"{owner}: app setting {setting}={raw!r} (for option {option.name!r})"
    if bool in kinds:
        if text.lower() in _TRUE_VALUES:
            return True
        if text.lower() in _FALSE_VALUES:
            return False
        raise OptionValueError(f"{where} is not a boolean; use 1/true/yes or 0/false/no")
    if int in kinds and float not in kinds:
        try:
            return int(text)
        except ValueError:
            raise OptionValueError(f"{where} is not an integer") from None
    if float in kinds:
        try:
            return float(text)
        except ValueError:
            raise OptionValueError(f"{where} is not a number") from None
    if str in kinds:
        return raw
    if tuple in kinds or list in kinds or frozenset in kinds:
        return tuple(part.strip() for part in text.split(",") if part.strip())
    raise OptionValueError(f"{where}: this option cannot be set from an app setting")


def resolve(
    owner: str,
    specs: Sequence[Option],
    given: Mapping[str, Any],
    environ: Optional[Mapping[str, str]] = None,
) -> Settings:
    """Validate ``given`` against ``specs`` and fill the rest from app settings and defaults."""
    env = os.environ if environ is None else environ
    by_name = {spec.name: spec for spec in specs}
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        known = ", ".join(sorted(by_name)) or "none"
        raise UnknownOptionError(
            f"{owner}.configure() got unknown option(s) {', '.join(map(repr, unknown))}; "
            f"known options: {known}"
        )
    values: Dict[str, Any] = {}
    for spec in specs:
        setting = None if spec.name in given else spec.setting_in(env)
        if spec.name in given:
            value = given[spec.name]
            source = f"{owner}.configure({spec.name}=...)"
        elif setting is not None:
            value = _from_app_setting(owner, spec, setting, env[setting])
            source = f"{owner}: app setting {setting}"
        else:
            values[spec.name] = spec.default
            continue
        if value is None and spec.default is None:
            values[spec.name] = None
            continue
        if not _matches(value, spec.kinds()):
            raise OptionTypeError(
                f"{source}: option {spec.name!r} must be {_type_names(spec.kinds())}, "
                f"got {type(value).__name__} {value!r}"
            )
        if spec.check is not None:
            try:
                value = spec.check(value)
            except (TypeError, ValueError) as exc:
                raise OptionValueError(
                    f"{source}: option {spec.name!r} has a bad value {value!r}: {exc}"
                ) from None
        values[spec.name] = value
    return Settings(values)
