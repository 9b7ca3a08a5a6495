"""Test helpers for function apps and extension authors (the ``[testing]`` extra).

``invoke`` runs one function (a v2 decorated function, a v1 ``main`` or a callable)
through the extension chain; the builders make what the worker passes (``make_context``,
``make_http_request`` and one per common trigger); ``AppClient`` loads a whole app into the
host's ASGI application in this process; ``running_host`` starts ``funcext start`` in a
subprocess; ``run_under_policy`` runs a function under a retry policy with a fake clock;
``assert_app_is_clean`` fails a test when ``funcext check`` finds an error in an app.
The pytest plugin (registered automatically) provides the fixtures ``extension_registry``,
``app_registry``, ``extensions_enabled``, ``invoke_function``, ``app_client`` and
``function_host``.
"""

from typing import Any

from ..core import InvocationRecord
from ..retry_policy import RetryOutcome
from .builders import make_context, make_http_request, make_retry_context
from .check import assert_app_is_clean
from .functions import RouteMismatchError
from .harness import invoke, invoke_async
from .host import HostProcessError, RunningHost, running_host
from .registry import isolated_registry, registered
from .retry import FROM_FUNCTION, FakeClock, run_under_policy, run_under_policy_async
from .triggers import (
    make_blob,
    make_cosmos_documents,
    make_event_grid_event,
    make_event_hub_batch,
    make_event_hub_event,
    make_queue_message,
    make_service_bus_message,
    make_timer_request,
)


def __getattr__(name: str) -> Any:
    """``AppClient`` needs httpx (the ``[testing]`` extra): imported on use,
    so the builders and ``invoke`` work with the framework alone."""
    if name == "AppClient":
        from . import app_client

        return getattr(app_client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FROM_FUNCTION",
    "AppClient",
    "FakeClock",
    "HostProcessError",
    "InvocationRecord",
    "RetryOutcome",
    "RouteMismatchError",
    "RunningHost",
    "assert_app_is_clean",
    "invoke",
    "invoke_async",
    "isolated_registry",
    "make_blob",
    "make_context",
    "make_cosmos_documents",
    "make_event_grid_event",
    "make_event_hub_batch",
    "make_event_hub_event",
    "make_http_request",
    "make_queue_message",
    "make_retry_context",
    "make_service_bus_message",
    "make_timer_request",
    "registered",
    "run_under_policy",
    "run_under_policy_async",
    "running_host",
]
