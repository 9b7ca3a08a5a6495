"""``RetryContextExtension``: which attempt an invocation is, for the function, the logs and
the other extensions.

The pre hook normalises ``context.retry_context`` into a ``RetryInfo``, publishes it on the
context (``context.retry_info``, the attribute agreed in ``python_worker_extension_framework
.facts``, which request logging and OpenCensus read without importing this package), logs
retries and calls ``on_retry``. The error hook (the framework's error phase) calls
``on_final_failure`` when the final attempt raised. Callback errors are logged with their
traceback and never change the invocation's outcome.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Optional

from python_worker_extension_framework.toolkit import Invocation, Settings, WorkerExtension
from python_worker_extension_framework.toolkit import invocation_state as state
from python_worker_extension_framework.toolkit.facts import publish_retry_facts, retry_facts

from .info import RetryInfo, retry_info_from
from .options import OPTIONS, Plan

LOGGER_NAME = "python_worker_extension_retry_context"
RETRY_LOG_FORMAT = "Retry %d of %s for '%s'"
FAILURE_SUFFIX = " after %s"
FIRST_ATTEMPT_LOG_FORMAT = "Attempt 1 of %s for '%s'"
UNLIMITED_TEXT = "unlimited"
_DEFAULT_PLAN = Plan()

# Kept on the context once on_final_failure ran, so a second error phase for the same
# invocation (a wrapped function inside an enclosing dispatcher) cannot call it again.
_FINAL_FAILURE_REPORTED = "python_worker_extension_retry_context.final_failure_reported"


class RetryContextExtension(WorkerExtension):
    """Normalises the retry state of every invocation and reports retries.

    Configure once, after the import, in ``function_app.py`` or a function's
    ``__init__.py``::

        from python_worker_extension_retry_context import RetryContextExtension

        def dead_letter(info, context, exception):
            ...  # the last attempt failed: park the message, page someone

        RetryContextExtension.configure(on_final_failure=dead_letter)

    In the function, ``RetryContextExtension.current(context)`` (or ``context.retry_info``
    once the pre hook ran) is a ``RetryInfo``: ``attempt``, ``retry_count``,
    ``max_retry_count``, ``is_first_attempt``, ``is_final_attempt``, ``remaining_attempts``
    and ``previous_failure``.

    Options (``configure()`` checks them and raises naming the bad one):

    - ``on_retry`` (callable ``(info, context)``, None): called before each retry runs;
    - ``on_final_failure`` (callable ``(info, context, exception)``, None): called once when
      the final attempt raises; needs the framework's error phase (the local host, the test
      harness, or a function wrapped with ``with_extensions``), since the worker runs no hook
      for a function that raises;
    - ``log_first_attempt`` (bool, False; app setting
      ``PYTHON_WORKER_EXTENSION_RETRY_CONTEXT_LOG_FIRST_ATTEMPT``): log first attempts too;
    - ``only`` / ``exclude``: function names (or a predicate) to cover or to skip.
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
    def current(cls, context: Any) -> RetryInfo:
        """The invocation's ``RetryInfo``: the one the pre hook published, or, when the hook
        did not run (extensions off, a function this extension skips), computed now."""
        published = retry_facts(context)
        if isinstance(published, RetryInfo):
            return published
        return retry_info_from(_retry_context(context))

    @classmethod
    def _on_pre_invocation(cls, invocation: Invocation) -> None:
        context = invocation.context
        info = retry_info_from(_retry_context(context))
        publish_retry_facts(context, info)
        plan = cls._plan or _DEFAULT_PLAN
        if info.is_retry:
            cls._log_retry(invocation.function_name, info)
            if plan.on_retry is not None:
                cls._run_callback("on_retry", plan.on_retry, invocation, info, info, context)
        elif plan.log_first_attempt:
            cls.log.info(FIRST_ATTEMPT_LOG_FORMAT, _limit_text(info), invocation.function_name)

    @classmethod
    def _on_invocation_error(cls, invocation: Invocation, exception: BaseException) -> None:
        callback = (cls._plan or _DEFAULT_PLAN).on_final_failure
        if callback is None:
            return
        context = invocation.context
        info = cls.current(context)
        if not info.is_final_attempt or state.get(context, _FINAL_FAILURE_REPORTED):
            return
        state.put(context, _FINAL_FAILURE_REPORTED, True)
        cls._run_callback("on_final_failure", callback, invocation, info, info, context, exception)

    @classmethod
    def _log_retry(cls, function_name: str, info: RetryInfo) -> None:
        limit = _limit_text(info, retries=True)
        if info.previous_failure is None:
            cls.log.info(RETRY_LOG_FORMAT, info.retry_count, limit, function_name)
        else:
            cls.log.info(
                RETRY_LOG_FORMAT + FAILURE_SUFFIX,
                info.retry_count,
                limit,
                function_name,
                info.previous_failure.summary(),
            )

    @classmethod
    def _run_callback(
        cls,
        option: str,
        callback: Callable[..., Any],
        invocation: Invocation,
        info: RetryInfo,
        *args: Any,
    ) -> None:
        try:
            callback(*args)
        except Exception as exc:
            cls.log.error(
                "%s: the %s callback %s raised for '%s' (attempt %d); the invocation's "
                "outcome is unchanged: %s: %s",
                cls.__name__,
                option,
                getattr(callback, "__qualname__", repr(callback)),
                invocation.function_name,
                info.attempt,
                type(exc).__name__,
                exc,
                exc_info=True,
            )


def _retry_context(context: Any) -> Any:
    try:
        return getattr(context, "retry_context", None)
    except Exception:  # an abstract or failing property counts as no retry context
        return None


def _limit_text(info: RetryInfo, *, retries: bool = False) -> str:
    """The "of N" part: retries allowed (for retry lines) or attempts allowed (first try)."""
    limit = info.max_retry_count if retries else info.max_attempts
    return UNLIMITED_TEXT if limit is None else str(limit)
