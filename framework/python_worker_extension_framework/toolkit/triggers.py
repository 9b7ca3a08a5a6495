"""The trigger type of an invocation, from the types of the values in ``func_args``.

The worker tells extensions nothing about bindings; it only passes the values. A value's
type names its trigger (``HttpRequest`` is ``http``, ``TimerRequest`` is ``timer``, ...).
When several values qualify (an HTTP trigger with a blob input) the earliest entry of
``TRIGGER_TYPES`` wins: real triggers come before types that are also input bindings.
A list (Event Hubs with ``cardinality=many``) counts by its first item.

Shared by the extensions that report the trigger (request logging by these names, tracing
by the OpenTelemetry ``faas.trigger`` values in ``FAAS_TRIGGER``).
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple

import azure.functions as func

# (name in azure.functions, trigger type); names missing from an older SDK are skipped.
TRIGGER_TYPES: Tuple[Tuple[str, str], ...] = (
    ("HttpRequest", "http"),
    ("TimerRequest", "timer"),
    ("QueueMessage", "queue"),
    ("ServiceBusMessage", "servicebus"),
    ("EventHubEvent", "eventhub"),
    ("KafkaEvent", "kafka"),
    ("EventGridEvent", "eventgrid"),
    ("CloudEvent", "eventgrid"),
    ("OrchestrationContext", "durable"),
    ("EntityContext", "durable"),
    ("InputStream", "blob"),
    ("DocumentList", "cosmosdb"),
    ("SqlRowList", "sql"),
    ("MySqlRowList", "mysql"),
)
OTHER = "other"

# Our trigger type -> OpenTelemetry ``faas.trigger`` (http, pubsub, datasource, timer, other).
FAAS_TRIGGER: Dict[str, str] = {
    "http": "http",
    "timer": "timer",
    "queue": "pubsub",
    "servicebus": "pubsub",
    "eventhub": "pubsub",
    "kafka": "pubsub",
    "eventgrid": "pubsub",
    "blob": "datasource",
    "cosmosdb": "datasource",
    "sql": "datasource",
    "mysql": "datasource",
}

_KNOWN: Tuple[Tuple[type, str], ...] = tuple(
    (getattr(func, name), label) for name, label in TRIGGER_TYPES if hasattr(func, name)
)
_NOT_A_TRIGGER = len(_KNOWN)
# type -> index into _KNOWN (or _NOT_A_TRIGGER); a few entries per app, filled lazily.
_rank_by_type: Dict[type, int] = {}


def _rank(value: Any) -> int:
    kind = type(value)
    rank = _rank_by_type.get(kind)
    if rank is None:
        rank = next(
            (index for index, (known, _) in enumerate(_KNOWN) if isinstance(value, known)),
            _NOT_A_TRIGGER,
        )
        _rank_by_type[kind] = rank
    return rank


def find_trigger(func_args: Mapping[str, Any]) -> Tuple[str, Optional[Any]]:
    """``(trigger type, trigger value)``; ``("other", None)`` when no value qualifies."""
    best, best_value = _NOT_A_TRIGGER, None
    for value in func_args.values():
        item = value[0] if isinstance(value, list) and value else value
        rank = _rank_by_type.get(type(item))  # ``_rank`` for a type not met yet
        if rank is None:
            rank = _rank(item)
        if rank < best:
            best, best_value = rank, item
            if rank == 0:
                break
    if best == _NOT_A_TRIGGER:
        return OTHER, None
    return _KNOWN[best][1], best_value
