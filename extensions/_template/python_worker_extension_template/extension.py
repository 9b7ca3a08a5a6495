"""``TemplateExtension``: logs one line when each invocation ends.

A new extension keeps this module's shape: a ``WorkerExtension`` subclass that declares
``options``, compiles its ``Plan`` in ``_on_configure``, and fills in only the private
``_on_*`` steps; the base class owns the worker's public hooks.
"""

from __future__ import annotations

from typing import Any, ClassVar, Optional

from python_worker_extension_framework.toolkit import Invocation, Settings, WorkerExtension

from .options import OPTIONS, Plan

LOGGER_NAME = "python_worker_extension_template"
LOG_FORMAT = "Invocation of %s ended (%s)"
_DEFAULT_PLAN = Plan()


class TemplateExtension(WorkerExtension):
    """Logs ``Invocation of <function> ended (<outcome>)`` for every invocation.

    Configure once, after the import, in ``function_app.py`` or a function's
    ``__init__.py``::

        from python_worker_extension_template import TemplateExtension
        TemplateExtension.configure(level="DEBUG")

    Options (each also read from the app setting ``PYTHON_WORKER_EXTENSION_TEMPLATE_<NAME>``
    when not passed; ``configure()`` checks them and raises naming the bad one):

    - ``level`` (str, ``"INFO"``): the level of the line;
    - ``only`` / ``exclude``: function names (or a predicate) to cover or to skip.

    Limitations: the worker runs no post hook for a function that raises, so failures are
    logged only where the framework's error phase runs.
    """

    log_name = LOGGER_NAME
    options = OPTIONS
    _plan: ClassVar[Optional[Plan]] = None

    @classmethod
    def _on_configure(cls, settings: Settings) -> None:
        cls._plan = Plan.from_settings(settings)

    @classmethod
    def _on_reset(cls) -> None:
        cls._plan = None

    @classmethod
    def _on_post_invocation(cls, invocation: Invocation, result: Any) -> None:
        plan = cls._plan or _DEFAULT_PLAN
        cls.log.log(plan.level, LOG_FORMAT, invocation.function_name, "returned")

    @classmethod
    def _on_invocation_error(cls, invocation: Invocation, exception: BaseException) -> None:
        plan = cls._plan or _DEFAULT_PLAN
        outcome = f"raised {type(exception).__name__}"
        cls.log.log(plan.level, LOG_FORMAT, invocation.function_name, outcome)
