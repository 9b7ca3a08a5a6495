"""Test helpers for function apps and extension authors (the ``[testing]`` extra).

The pytest plugin (registered automatically) provides the fixtures ``extension_registry``
(an isolated ``ExtensionMeta`` per test), ``extensions_enabled`` and ``invoke``.
"""

from .builders import make_context, make_http_request
from .harness import InvocationRecord, invoke, invoke_async
from .registry import isolated_registry, registered

__all__ = [
    "InvocationRecord",
    "invoke",
    "invoke_async",
    "isolated_registry",
    "make_context",
    "make_http_request",
    "registered",
]
