"""``run_under_policy``: run a function under a retry policy in milliseconds, with a fake clock.

The retries run as the host runs them (``retry_policy.run_with_policy``): each attempt gets
a new invocation context whose ``retry_context`` is filled as the host fills it, goes
through the harness's chain (``chain="wrapper"`` by default, so error hooks run), and the waits
between attempts are recorded by a ``FakeClock`` instead of slept. The returned ``RetryOutcome``
holds every attempt with its ``InvocationRecord`` (context, result or exception, log
records), the delays the policy asked for, and the console lines the local host would print::

    from python_worker_extension_framework.retry_policy import RetryPolicy
    from python_worker_extension_framework.testing import run_under_policy

    run = run_under_policy(main, RetryPolicy.exponential(5, 1, 10), timer=timer)
    assert run.delays == [1, 2, 3, 5, 9]
    assert [a.context.retry_context.retry_count for a in run.attempts] == [0, 1, 2, 3, 4, 5]
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, List, Optional, Tuple, Union

from ..core import Dispatcher, InvocationRecord
from ..core.context import InvocationContext, RetryContext, TraceContext
from ..retry_policy import (
    DEFAULT_LOCAL_CAP,
    Attempt,
    RetryOutcome,
    RetryPolicy,
    describe_attempt,
    describe_local_cap,
    describe_outcome,
    policy_for_function,
    run_with_policy,
)
from ..toolkit import traceparent as tp
from .harness import WRAPPER, chain_dispatcher, invoke_async


class FakeClock:
    """A clock whose ``sleep`` returns at once and only records the delay."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: List[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def time(self) -> float:
        return self.now


class _FromFunction:
    def __repr__(self) -> str:
        return "FROM_FUNCTION"


FROM_FUNCTION: Any = _FromFunction()
"""Default ``policy``: read it from a v2 ``Function`` (``app.get_functions()``)."""


def run_under_policy(
    function: Any,
    policy: Union[RetryPolicy, _FromFunction, None] = FROM_FUNCTION,
    *,
    function_name: Optional[str] = None,
    chain: Optional[str] = None,
    dispatcher: Optional[Dispatcher] = None,
    clock: Optional[FakeClock] = None,
    local_cap: int = DEFAULT_LOCAL_CAP,
    **func_args: Any,
) -> RetryOutcome:
    """Run ``function(**func_args)`` under ``policy``, retrying failures as the host does.

    Parameters
    ----------
    function:
        The Python function, or a v2 ``azure.functions`` ``Function`` (from
        ``app.get_functions()``, or the object the app's decorators leave in the module):
        its user function and name are used, and its ``@app.retry`` policy when ``policy``
        is not given.
    policy:
        A ``RetryPolicy``; ``None`` runs the function once, as without a policy.
    function_name:
        The name the contexts carry; the function's name by default.
    chain:
        How each attempt's hooks run, as for ``invoke``: ``"wrapper"`` (default: on every
        Python, error hooks included) or ``"worker"`` (the worker's gating, no error hooks).
    dispatcher:
        A ``Dispatcher`` of your own instead of ``chain``.
    clock:
        Records the waits; a new ``FakeClock`` by default.
    local_cap:
        Retries allowed for a ``maxRetryCount`` -1 policy, as in the local host.
    func_args:
        Trigger and binding values by name, passed to every attempt (``context`` is added
        when the function declares it).

    The function's exception is never raised: read ``run.exception`` or call
    ``run.raise_for_exception()``. Inside a running event loop use
    ``run_under_policy_async``.
    """
    return asyncio.run(
        run_under_policy_async(
            function,
            policy,
            function_name=function_name,
            chain=chain,
            dispatcher=dispatcher,
            clock=clock,
            local_cap=local_cap,
            **func_args,
        )
    )


async def run_under_policy_async(
    function: Any,
    policy: Union[RetryPolicy, _FromFunction, None] = FROM_FUNCTION,
    *,
    function_name: Optional[str] = None,
    chain: Optional[str] = None,
    dispatcher: Optional[Dispatcher] = None,
    clock: Optional[FakeClock] = None,
    local_cap: int = DEFAULT_LOCAL_CAP,
    **func_args: Any,
) -> RetryOutcome:
    """``run_under_policy`` for use inside a running event loop."""
    user_function, name, resolved = _resolve(function, policy, function_name)
    clock = clock or FakeClock()
    if dispatcher is not None and chain is not None:
        raise TypeError("run_under_policy: pass either dispatcher= or chain=, not both")
    dispatcher = dispatcher or chain_dispatcher(chain or WRAPPER)
    records: List[InvocationRecord] = []
    console: List[str] = []

    async def invoke_once(retry_context: RetryContext) -> Any:
        context = InvocationContext(
            name,
            trace_context=TraceContext(tp.new().header()),
            retry_context=retry_context,
        )
        record = await invoke_async(
            user_function,
            context=context,
            function_name=name,
            dispatcher=dispatcher,
            capture_exception=True,
            **func_args,
        )
        records.append(record)
        return record.raise_for_exception()

    def on_attempt(attempt: Attempt) -> None:
        if len(records) == attempt.number:  # the harness ran it (a bad argument may not)
            attempt.record = records[-1]
        line = describe_attempt(name, attempt, resolved)
        if line is not None:
            console.append(line)

    note = describe_local_cap(resolved, local_cap)
    if note is not None:
        console.append(note)
    outcome = await run_with_policy(
        invoke_once, resolved, sleep=clock.sleep, on_attempt=on_attempt, local_cap=local_cap
    )
    summary = describe_outcome(name, outcome)
    if summary is not None:
        console.append(summary)
    outcome.function_name = name
    outcome.console = console
    return outcome


def _resolve(
    function: Any, policy: Union[RetryPolicy, _FromFunction, None], function_name: Optional[str]
) -> Tuple[Callable[..., Any], str, Optional[RetryPolicy]]:
    """The user function, its name and its policy, from a plain function, a v2 Function, or
    the ``FunctionBuilder`` a v2 decorator leaves in the module (built as the app builds it)."""
    if not callable(getattr(function, "get_user_function", None)) and callable(
        getattr(function, "add_setting", None)
    ):
        function = function.build()
    get_user_function = getattr(function, "get_user_function", None)
    if callable(get_user_function):
        user_function = get_user_function()
        name = function_name or str(function.get_function_name())
        if isinstance(policy, _FromFunction):
            policy = policy_for_function(function)
        return user_function, name, policy
    if isinstance(policy, _FromFunction):
        raise TypeError(
            "run_under_policy(function, policy): pass a RetryPolicy (or None for no policy); "
            "the policy is read from the function only for a v2 Function from "
            "app.get_functions()"
        )
    if not callable(function):
        raise TypeError(f"run_under_policy: {function!r} is not a function")
    return function, str(function_name or getattr(function, "__name__", "function")), policy
