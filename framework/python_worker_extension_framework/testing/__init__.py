"""Test helpers for function apps and extension authors (the ``[testing]`` extra).

The pytest plugin (registered automatically) provides the fixtures ``extension_registry``
(an isolated ``ExtensionMeta`` per test), ``extensions_enabled``, ``invoke_function`` and
``function_host`` (the local host in a subprocess, also as ``running_host``).
``run_under_policy`` runs a function under a retry policy with a fake clock.
``assert_app_is_clean`` fails a test when ``funcext check`` finds an error in an app.
"""

from .builders import make_context, make_http_request
from .check import assert_app_is_clean
from .harness import InvocationRecord, invoke, invoke_async
from .host import HostProcessError, RunningHost, running_host
from .registry import isolated_registry, registered
from .retry import FROM_FUNCTION, FakeClock, RetryRun, run_under_policy, run_under_policy_async

__all__ = [
    "FROM_FUNCTION",
    "FakeClock",
    "HostProcessError",
    "InvocationRecord",
    "RetryRun",
    "RunningHost",
    "assert_app_is_clean",
    "invoke",
    "invoke_async",
    "isolated_registry",
    "make_context",
    "make_http_request",
    "registered",
    "run_under_policy",
    "run_under_policy_async",
    "running_host",
]
