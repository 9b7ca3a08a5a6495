"""The in-function wrapper: runs the extension chain from inside a function where the worker
does not (the error phase everywhere; the whole chain on Python 3.13+ or with the setting off).

``with_extensions`` wraps one function, ``wrap_app`` and ``ExtensionsFunctionApp`` every
function of a v2 app. ``_proxy`` is the function proxy, ``_apps`` patches v2 apps, and
``_marker`` tells per invocation whether the worker already ran the hooks.
"""

from ._apps import ExtensionsFunctionApp, wrap_app
from ._proxy import is_wrapped, with_extensions

__all__ = ["ExtensionsFunctionApp", "is_wrapped", "with_extensions", "wrap_app"]
