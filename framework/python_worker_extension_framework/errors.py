"""The framework's exceptions and warnings; messages name the extension, option and fix."""

from __future__ import annotations


class ExtensionConfigError(Exception):
    """Base for every configuration error raised by ``configure()``."""


class UnknownOptionError(ExtensionConfigError, TypeError):
    """``configure()`` got an option name the extension does not have."""


class OptionTypeError(ExtensionConfigError, TypeError):
    """An option got a value of the wrong type."""


class OptionValueError(ExtensionConfigError, ValueError):
    """An option got a value of the right type that is not allowed."""


class ExtensionDefinitionWarning(UserWarning):
    """An extension class is defined in a way the worker would not run as intended."""
