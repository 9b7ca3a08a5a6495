"""``POST /admin/functions/<name>``: run a non-HTTP function, with its retry policy.

This is the one place retries happen locally. As in Azure, only timer, Event Hubs, Kafka
and Cosmos DB triggers are retried by policy; every other trigger runs once. After a
failure the next attempt gets the retry context the real host would send (``retry_count``
one higher, the same ``max_retry_count``, the failure as ``rpc_exception``), after the
policy's delay. ``maxRetryCount`` -1 stops at a local cap, which the console states.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, Optional

from .. import retry_policy
from ..core.context import RetryContext
from . import console
from .convert import captured_outputs, trigger_input
from .loader import FunctionSpec
from .runtime import FunctionHost

log = logging.getLogger(console.LOGGER_NAME)


class AdminRequestError(ValueError):
    """An admin call the host cannot run; the message is the response body."""


def parse_admin_body(body: bytes) -> Any:
    """The ``input`` of ``{"input": ...}``; an empty body means no input.

    Every way a body can be unusable is an ``AdminRequestError`` (answered 400 with the
    reason): not JSON, not UTF-8, numbers too long to convert, nesting too deep for the
    parser (``RecursionError``)."""
    if not body.strip():
        return None
    try:
        data = json.loads(body)
    except RecursionError:
        raise AdminRequestError(
            'The body is nested too deeply to parse; send JSON such as {"input": "..."}'
        ) from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, int digit limits
        raise AdminRequestError(
            f'The body must be JSON such as {{"input": "..."}}: {str(exc)[:200]}'
        ) from None
    if not isinstance(data, dict):
        raise AdminRequestError('The body must be a JSON object such as {"input": "..."}')
    return data.get("input")


def retry_policy_for(spec: FunctionSpec) -> Optional[retry_policy.RetryPolicy]:
    """The policy the host applies: the function's, for the trigger types Azure retries."""
    if spec.retry is None or not retry_policy.is_retried_trigger(spec.trigger_type):
        return None
    return spec.retry


def log_outputs(spec: FunctionSpec, outputs: Dict[str, Any]) -> None:
    for name, value in outputs.items():
        text = value if isinstance(value, str) else repr(value)
        if len(text) > 200:
            text = text[:200] + "..."
        log.info("Output binding '%s' of Functions.%s: %s", name, spec.name, text)


async def run_admin_invocation(
    host: FunctionHost,
    spec: FunctionSpec,
    input_value: Any,
    *,
    sleep: Optional[retry_policy.Sleep] = None,
    local_cap: int = retry_policy.DEFAULT_LOCAL_CAP,
    trigger: Optional[Any] = None,
    reason: Optional[str] = None,
) -> retry_policy.RetryOutcome:
    """Run ``spec`` with ``input_value`` under its policy; log every step; never raise.

    ``trigger`` replaces the object built from ``input_value`` (the timer service passes its
    own ``TimerRequest``); ``reason`` replaces the console's "called via the host APIs".
    """
    policy = retry_policy_for(spec)
    note = retry_policy.describe_local_cap(policy, local_cap)
    if note:
        log.warning("%s: %s", spec.name, note)

    async def invoke_once(retry_context: RetryContext) -> Any:
        value = trigger if trigger is not None else trigger_input(spec, input_value)
        if reason:
            outcome = await host.invoke(spec, value, retry_context=retry_context, reason=reason)
        else:
            outcome = await host.invoke(spec, value, retry_context=retry_context)
        log_outputs(spec, captured_outputs(spec, outcome.func_args, outcome.result))
        if outcome.exception is not None:
            raise outcome.exception
        return outcome.result

    def on_attempt(attempt: retry_policy.Attempt) -> None:
        line = retry_policy.describe_attempt(spec.name, attempt, policy)
        if line:
            log.warning("%s", line)

    outcome = await retry_policy.run_with_policy(
        invoke_once, policy, sleep=sleep, on_attempt=on_attempt, local_cap=local_cap
    )
    line = retry_policy.describe_outcome(spec.name, outcome)
    if line:
        log.log(logging.INFO if outcome.succeeded else logging.ERROR, "%s", line)
    return outcome
