"""The v2 programming model: wrapping an indexed ``Function`` in place, and whole apps.

The worker indexes a v2 app by calling ``app.get_functions()`` once and then calls the user
function each ``Function`` holds, so wrapping happens there: decorator order does not matter
and blueprints registered at any time are covered.
"""

from __future__ import annotations

import logging
from typing import Any, List, TypeVar

from . import _marker, _proxy

try:
    from azure.functions.decorators.function_app import (
        Function as Function,
    )
    from azure.functions.decorators.function_app import (
        FunctionApp as FunctionApp,
    )
    from azure.functions.decorators.function_app import (
        FunctionBuilder as FunctionBuilder,
    )
    from azure.functions.decorators.function_app import (
        FunctionRegister as FunctionRegister,
    )

    V2_AVAILABLE = True
except ImportError:  # pragma: no cover - azure-functions without the v2 programming model
    V2_AVAILABLE = False

    class _NotAvailable:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise TypeError(
                "ExtensionsFunctionApp needs the v2 programming model of azure-functions "
                "(1.11 or later); upgrade azure-functions or use @with_extensions on main()"
            )

    Function = FunctionBuilder = FunctionRegister = FunctionApp = _NotAvailable  # type: ignore[misc,assignment]

R = TypeVar("R")

_APP_WRAPPED_ATTRIBUTE = "_python_worker_extension_wrapped"
_logger = logging.getLogger(__name__)


def wrap_indexed(function: Function) -> None:
    """Wrap a v2 ``Function``'s user function in place (the worker calls what it holds)."""
    user_function = function.get_user_function()
    if _proxy.is_proxy(user_function):
        return
    if any(getattr(b, "name", None) == _proxy.CONTEXT_PARAMETER for b in function.get_bindings()):
        # Durable orchestrators, MCP tools: the worker passes a binding, not the context.
        _logger.debug(
            "with_extensions: %s is left unwrapped: its binding named 'context' hides the "
            "invocation context",
            function.get_function_name(),
        )
        return
    function._func = _proxy.with_extensions(user_function)


def _wrap_functions(functions: List[Function]) -> List[Function]:
    for function in functions:
        wrap_indexed(function)
    return functions


def wrap_app(app: R) -> R:
    """Wrap every function of a v2 app, blueprints included, when the worker indexes it.

    Takes any ``FunctionRegister`` (``FunctionApp``, ``AsgiFunctionApp``,
    ``WsgiFunctionApp``) and returns it, so ``app = wrap_app(func.FunctionApp())`` works.
    Functions are wrapped in ``app.get_functions()``, the one call the worker makes to index
    the app, so decorator order does not matter and blueprints registered with
    ``app.register_functions(bp)`` at any time are covered. Functions with a binding named
    ``context`` (durable orchestrators, MCP tools) are left as they are.
    """
    if not V2_AVAILABLE or not isinstance(app, FunctionRegister):
        raise TypeError(
            f"wrap_app: expected the function app (a FunctionApp, AsgiFunctionApp or "
            f"WsgiFunctionApp), got {type(app).__name__}; a Blueprint's functions are "
            f"wrapped when it is registered on a wrapped app"
        )
    if getattr(app, _APP_WRAPPED_ATTRIBUTE, False) or isinstance(app, ExtensionsFunctionApp):
        return app
    get_functions = app.get_functions

    def get_wrapped_functions() -> List[Function]:
        return _wrap_functions(get_functions())

    setattr(app, "get_functions", get_wrapped_functions)
    setattr(app, _APP_WRAPPED_ATTRIBUTE, True)
    _marker.ensure_registered()
    return app


class ExtensionsFunctionApp(FunctionApp):
    """A ``FunctionApp`` whose functions, blueprints' included, run inside ``with_extensions``.

    A drop-in for ``azure.functions.FunctionApp``: same arguments, same decorators.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _marker.ensure_registered()

    def get_functions(self) -> List[Function]:
        return _wrap_functions(super().get_functions())
