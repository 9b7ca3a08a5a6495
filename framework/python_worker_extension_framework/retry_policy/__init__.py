"""Function retry policies, read as Azure reads them and run locally as the host runs them.

Where the facts come from:

- **Declaring a policy.** v1: ``"retry"`` in ``function.json`` (``strategy`` ``fixedDelay`` or
  ``exponentialBackoff``, ``maxRetryCount``, ``delayInterval`` or ``minimumInterval`` and
  ``maximumInterval`` as .NET ``TimeSpan`` strings such as ``"00:00:05"``), which the host reads
  itself. v2: ``@app.retry(strategy="fixed_delay" | "exponential_backoff", ...)`` adds an
  ``azure.functions.decorators.retry_policy.RetryPolicy`` *setting* named ``retry_policy`` to
  the ``Function``; the Python worker reads it with ``get_settings_dict("retry_policy")``,
  converts the intervals with ``time.strptime(value, "%H:%M:%S")`` (whole seconds) and sends
  them to the host, reading the intervals of any strategy but ``"fixed_delay"`` as exponential
  backoff's. The strategy name itself goes into a protobuf enum that knows only
  ``fixed_delay`` and ``exponential_backoff``, so anything else fails at indexing; this module
  refuses it up front, with a message that says so.
- **Which triggers.** Function-level retries apply to timer, Event Hubs, Kafka and Cosmos DB
  triggers; HTTP triggers are never retried.
- **The loop** (WebJobs SDK ``FunctionExecutorExtensions.TryExecuteAsync``): the first try
  runs with ``retry_count`` 0 and ``max_retry_count`` from the policy; after a failure, unless
  ``retry_count`` already equals ``maxRetryCount``, the host sets ``retry_count`` to the next
  number and the previous failure on the retry context, waits, and runs the function again.
  So a policy allows ``maxRetryCount + 1`` executions; ``-1`` retries forever.
- **The delays.** Fixed delay waits ``delayInterval`` before every retry. Exponential backoff
  (WebJobs ``RandomizedExponentialBackoffStrategy`` with the minimum as its step) waits
  ``minimum`` before retry 1 and ``minimum + minimum * 2 ** (n - 2)`` before retry ``n >= 2``,
  never more than ``maximum``: for a 1 s minimum, 1, 2, 3, 5, 9, 17 ... seconds. Azure scales
  each increment by a random factor between 0.8 and 1.2; the local runner uses the nominal
  value (factor 1.0) so that runs are repeatable.

Locally, ``maxRetryCount`` -1 is honoured up to a cap (``local_cap`` retries), which the
outcome reports so that the console can say so.

The package: ``model`` (the policy and its delays), ``parsing`` (``function.json``, ``@app.retry``
and .NET ``TimeSpan`` text), ``run`` (the retry loop) and ``reporting`` (console lines).
"""

from .model import (
    DEFAULT_LOCAL_CAP,
    EXPONENTIAL_BACKOFF,
    FIXED_DELAY,
    RETRIED_TRIGGER_TYPES,
    UNLIMITED,
    RetryPolicy,
    RetryPolicyError,
    format_timespan,
    is_retried_trigger,
)
from .parsing import (
    V2_SETTING_NAME,
    parse_timespan,
    parse_v2_interval,
    policy_for_function,
    policy_from_function_json,
    policy_from_v1_retry,
    policy_from_v2_settings,
)
from .reporting import describe_attempt, describe_local_cap, describe_outcome
from .run import Attempt, RetryOutcome, Sleep, initial_retry_context, run_with_policy

__all__ = [
    "DEFAULT_LOCAL_CAP",
    "EXPONENTIAL_BACKOFF",
    "FIXED_DELAY",
    "RETRIED_TRIGGER_TYPES",
    "UNLIMITED",
    "V2_SETTING_NAME",
    "Attempt",
    "RetryOutcome",
    "RetryPolicy",
    "RetryPolicyError",
    "Sleep",
    "describe_attempt",
    "describe_local_cap",
    "describe_outcome",
    "format_timespan",
    "initial_retry_context",
    "is_retried_trigger",
    "parse_timespan",
    "parse_v2_interval",
    "policy_for_function",
    "policy_from_function_json",
    "policy_from_v1_retry",
    "policy_from_v2_settings",
    "run_with_policy",
]
