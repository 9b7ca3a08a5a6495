"""The extension author's toolkit: everything an extension imports from the framework.

An extension subclasses ``WorkerExtension``, declares ``Option``s, and fills in the private
``_on_*`` steps; the modules ``http``, ``triggers``, ``traceparent`` and ``facts`` hold the
helpers the project's extensions share (reading and changing responses, naming the trigger,
W3C trace context, the facts extensions publish for each other on the context);
``redaction`` is the one place that decides what is a secret and masks it, for every
output (logs, spans, the console).
``logs.emit`` writes a log record without ``Logger.log``'s per-call stack walk (and, with
the standard record factory, builds the ``LogRecord`` field by field, the same record).
``span_feed`` is where tracing extensions hand their finished spans to local viewers (the
host's dashboard).
``invocation_state`` keeps an extension's own per-invocation values on the context.
"""

from ..core import _attributes as invocation_state
from ..core.context import RpcException
from ..errors import (
    ExtensionConfigError,
    ExtensionDefinitionWarning,
    OptionTypeError,
    OptionValueError,
    UnknownOptionError,
)
from . import facts, http, logs, redaction, span_feed, traceparent, triggers
from ._base import Invocation, WorkerExtension
from .options import Option, Settings, TypeSpec

__all__ = [
    "ExtensionConfigError",
    "ExtensionDefinitionWarning",
    "Invocation",
    "Option",
    "OptionTypeError",
    "OptionValueError",
    "RpcException",
    "Settings",
    "TypeSpec",
    "UnknownOptionError",
    "WorkerExtension",
    "facts",
    "http",
    "invocation_state",
    "logs",
    "redaction",
    "span_feed",
    "traceparent",
    "triggers",
]
