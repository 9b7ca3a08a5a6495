"""``WorkerExtension``: the base class that makes a correct app-level extension short.

It derives from the real ``azure.functions.AppExtensionBase``, so the worker finds every
subclass through ``ExtensionMeta``, but the base itself is not registered (the SDK only
skips a class literally named ``AppExtensionBase``; a small metaclass skips ours by an
explicit marker). It implements the worker's hooks once, with the guards every extension
needs, and subclasses fill in the private ``_on_*`` methods:

- per-invocation state lives on the context (``Invocation.data``), removed after the
  post or error hook, so nothing leaks and no lock is needed;
- ``configure(**options)`` validates against the class's ``options`` at call time, with
  app-setting fallback; an unconfigured extension runs on safe defaults;
- ``only=`` / ``exclude=`` function filters, because function-level extensions are dead in v2;
- a customer-visible logger per extension (``cls.log``), not under ``azure_functions_worker``.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Dict, List, Optional, Sequence

from azure.functions import AppExtensionBase, ExtensionMeta

from ..core import _attributes as state
from ..core import _checks as checks
from ..errors import ExtensionConfigError
from . import _filters as filters
from . import _unwrapped
from .options import Option, Settings, resolve

COMMON_OPTIONS = (
    Option(
        "only",
        object,
        None,
        doc="Function names (or a predicate on the name) the extension applies to.",
        check=filters.normalise,
    ),
    Option(
        "exclude",
        object,
        None,
        doc="Function names (or a predicate on the name) the extension skips.",
        check=filters.normalise,
    ),
)


class Invocation:
    """What an extension sees of one invocation, kept on the context between its hooks."""

    __slots__ = ("context", "data", "func_args", "logger", "saw_pre_hook")

    def __init__(self, logger: logging.Logger, context: Any, func_args: Dict[str, Any]) -> None:
        self.logger = logger
        self.context = context
        self.func_args = func_args
        self.data: Dict[str, Any] = {}
        self.saw_pre_hook = True

    @property
    def function_name(self) -> str:
        name = self.context.function_name
        return name if name.__class__ is str else str(name)  # (str() of a str: a call less)

    @property
    def invocation_id(self) -> str:
        invocation_id = self.context.invocation_id
        return invocation_id if invocation_id.__class__ is str else str(invocation_id)


def _runs_everywhere(settings: Settings) -> bool:
    return settings["only"] is None and settings["exclude"] is None


class _FrameworkExtensionMeta(ExtensionMeta):
    """Registers subclasses as the SDK does, checks them, and skips marked base classes."""

    def __init__(cls, name: str, bases: Any, namespace: Dict[str, Any], **kwargs: Any) -> None:
        if namespace.get("_framework_base", False):
            type.__init__(cls, name, bases, namespace, **kwargs)
            return
        checks.warn_about(cls, framework_bases=_framework_bases(cls), stacklevel=3)
        super().__init__(name, bases, namespace, **kwargs)  # type: ignore[no-untyped-call]


def _framework_bases(cls: type) -> List[type]:
    return [klass for klass in cls.__mro__ if vars(klass).get("_framework_base", False)]


class WorkerExtension(AppExtensionBase, metaclass=_FrameworkExtensionMeta):
    """Base for app-level worker extensions. Subclass it; do not instantiate it.

    Subclasses declare ``options`` (a sequence of ``Option``) and override any of
    ``_on_function_load``, ``_on_pre_invocation``, ``_after_pre_invocation``,
    ``_on_post_invocation``, ``_on_invocation_error``, ``_on_configure`` and ``_on_reset``;
    they leave the public methods (the worker's hooks, ``init``, ``configure``, ...) alone.
    Every subclass gets ``only`` and ``exclude`` options.
    """

    _framework_base: ClassVar[bool] = True
    options: ClassVar[Sequence[Option]] = ()
    log_name: ClassVar[Optional[str]] = None

    log: ClassVar[logging.Logger]
    _settings: ClassVar[Optional[Settings]] = None
    _configured: ClassVar[bool] = False
    _inactive_reason: ClassVar[Optional[str]] = None
    # Whether the extension runs for every function (no filter, not inactive); None until
    # the settings are resolved. Spares the filter check on every invocation.
    _everywhere: ClassVar[Optional[bool]] = None
    _state_key: ClassVar[str] = ""
    # The context attribute that holds the ``Invocation`` (``state.slot(_state_key)``).
    _state_slot: ClassVar[str] = state.slot("")
    # Whether the class fills in ``_after_pre_invocation`` (else the pre hook skips the call).
    _has_after_pre: ClassVar[bool] = True

    # -- set-up ---------------------------------------------------------------------------

    @classmethod
    def init(cls) -> None:
        """Called by ``ExtensionMeta`` when the subclass is registered (at import); the class
        starts from the state ``reset()`` leaves, its own, not a parent extension's."""
        cls.log = logging.getLogger(cls.log_name or cls.__module__.split(".")[0])
        cls._state_key = f"{cls.__module__}.{cls.__qualname__}"
        cls._state_slot = state.slot(cls._state_key)
        cls._has_after_pre = (
            cls._after_pre_invocation.__func__  # type: ignore[attr-defined]
            is not WorkerExtension._after_pre_invocation.__func__  # type: ignore[attr-defined]
        )
        cls._settings = None
        cls._configured = False
        cls._inactive_reason = None
        cls._everywhere = None
        cls._on_reset()

    @classmethod
    def all_options(cls) -> Sequence[Option]:
        """The extension's own options followed by the common filter options."""
        return (*cls.options, *COMMON_OPTIONS)

    @classmethod
    def configure(cls, *args: Any, **options: Any) -> None:
        """Validate and apply options; raises ``TypeError``/``ValueError`` naming the option.

        On Python 3.13+ it also warns, once, when nothing wraps the app's functions (there
        the worker runs no extensions; see ``_unwrapped``).
        """
        if args:
            raise TypeError(
                f"{cls.__name__}.configure() takes keyword options only "
                f"(got {len(args)} positional argument(s)), e.g. "
                f"{cls.__name__}.configure({', '.join(o.name + '=...' for o in cls.options[:1])})"
            )
        settings = resolve(cls.__name__, cls.all_options(), options)
        cls._on_configure(settings)
        cls._settings = settings
        cls._configured = True
        cls._inactive_reason = None
        cls._everywhere = _runs_everywhere(settings)
        _unwrapped.warn_once_if_unwrapped(cls.__name__, cls.log)

    @classmethod
    def settings(cls) -> Settings:
        """The resolved options: from ``configure()``, or app settings and defaults."""
        if cls._settings is None:
            cls._settings = cls._default_settings()
            cls._everywhere = cls._inactive_reason is None and _runs_everywhere(cls._settings)
        return cls._settings

    @classmethod
    def _default_settings(cls) -> Settings:
        try:
            settings = resolve(cls.__name__, cls.all_options(), {})
            cls._on_configure(settings)
            return settings
        except ExtensionConfigError as exc:
            cls._inactive_reason = str(exc)
            cls.log.error("%s is inactive: %s", cls.__name__, exc)
            return resolve(cls.__name__, cls.all_options(), {}, environ={})

    @classmethod
    def is_configured(cls) -> bool:
        """Whether ``configure()`` has been called since import or the last ``reset()``."""
        return cls._configured

    @classmethod
    def reset(cls) -> None:
        """Forget configuration and class-level state (for tests)."""
        cls._on_reset()
        cls._settings = None
        cls._configured = False
        cls._inactive_reason = None
        cls._everywhere = None

    @classmethod
    def applies_to(cls, function_name: str) -> bool:
        """Whether the extension runs for this function (``only`` / ``exclude``)."""
        if cls._everywhere is None:
            cls.settings()
        if cls._everywhere:
            return True
        settings = cls.settings()
        if cls._inactive_reason is not None:
            return False
        return filters.applies(settings["only"], settings["exclude"], function_name)

    @classmethod
    def implemented_hooks(cls) -> List[str]:
        """The ``_on_*`` steps this extension fills in, for the diagnostic chain view."""
        return [
            name
            for name in (
                "_on_function_load",
                "_on_pre_invocation",
                "_on_post_invocation",
                "_on_invocation_error",
            )
            if getattr(cls, name).__func__ is not getattr(WorkerExtension, name).__func__
        ]

    # -- the worker's hooks, implemented once -----------------------------------------------

    @classmethod
    def post_function_load_app_level(
        cls, function_name: str, function_directory: str, *args: Any, **kwargs: Any
    ) -> None:
        if cls.applies_to(function_name):
            cls._on_function_load(function_name, function_directory)

    @classmethod
    def pre_invocation_app_level(
        cls,
        logger: logging.Logger,
        context: Any,
        func_args: Optional[Dict[str, Any]] = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        try:
            # (_everywhere, when True, answers applies_to() without the call.)
            if cls._everywhere is not True and not cls.applies_to(context.function_name):
                return
            invocation = Invocation(logger, context, func_args if func_args is not None else {})
            state.put_in(context, cls._state_slot, invocation)
            cls._on_pre_invocation(invocation)
        finally:
            if cls._has_after_pre:
                cls._after_pre_invocation(context)

    @classmethod
    def _missed_pre_hook(
        cls, logger: logging.Logger, context: Any, func_args: Optional[Dict[str, Any]]
    ) -> Optional[Invocation]:
        """The invocation to end when the pre hook kept none: one marked as such when the
        extension applies (it was imported mid-invocation), else None."""
        if not cls.applies_to(context.function_name):
            return None
        invocation = Invocation(logger, context, func_args if func_args is not None else {})
        invocation.saw_pre_hook = False
        return invocation

    @classmethod
    def post_invocation_app_level(
        cls,
        logger: logging.Logger,
        context: Any,
        func_args: Optional[Dict[str, Any]] = None,
        func_ret: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        invocation: Optional[Invocation] = state.pop_from(context, cls._state_slot)
        if invocation is None:
            invocation = cls._missed_pre_hook(logger, context, func_args)
        if invocation is not None:
            cls._on_post_invocation(invocation, func_ret)

    @classmethod
    def on_invocation_error_app_level(
        cls,
        logger: logging.Logger,
        context: Any,
        func_args: Optional[Dict[str, Any]],
        exception: BaseException,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        invocation: Optional[Invocation] = state.pop_from(context, cls._state_slot)
        if invocation is None:
            invocation = cls._missed_pre_hook(logger, context, func_args)
        if invocation is not None:
            cls._on_invocation_error(invocation, exception)

    # -- what subclasses fill in -------------------------------------------------------------

    @classmethod
    def _on_configure(cls, settings: Settings) -> None:
        """Check option combinations and set up resources; raise ``ExtensionConfigError``."""

    @classmethod
    def _on_reset(cls) -> None:
        """Release class-level resources (exporters, patches) on ``reset()``."""

    @classmethod
    def _on_function_load(cls, function_name: str, function_directory: str) -> None:
        """After a function is loaded (no logger yet: the worker gives none)."""

    @classmethod
    def _on_pre_invocation(cls, invocation: Invocation) -> None:
        """Before the function runs."""

    @classmethod
    def _after_pre_invocation(cls, context: Any) -> None:
        """After every pre hook call: when the extension ran, skipped the function (``only``,
        ``exclude``, inactive), or raised. For what a function relies on in any case, such
        as an attribute it reads on the context without checking."""

    @classmethod
    def _on_post_invocation(cls, invocation: Invocation, result: Any) -> None:
        """After the function returned ``result`` (the raw value, before conversion)."""

    @classmethod
    def _on_invocation_error(cls, invocation: Invocation, exception: BaseException) -> None:
        """After the function raised (framework error phase only; the worker has none)."""
