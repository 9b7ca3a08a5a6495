"""Builders for the trigger objects the worker hands to non-HTTP functions.

Each returns the type the worker's converter produces for that trigger (the classes of
``azure.functions``), with the fields a function usually reads filled in and every other
field settable by keyword. Bodies may be ``bytes``, ``str`` or any JSON value.
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any, Dict, Iterable, List, Mapping, Optional

import azure.functions as func
from azure.functions.blob import InputStream
from azure.functions.queue import QueueMessage
from azure.functions.servicebus import ServiceBusMessage
from azure.functions.timer import TimerRequest


def _bytes(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def make_timer_request(
    *,
    past_due: bool = False,
    last: Optional[datetime.datetime] = None,
    next: Optional[datetime.datetime] = None,
    adjust_for_dst: bool = True,
) -> TimerRequest:
    """A timer trigger's ``TimerRequest``: ``past_due`` and the schedule status (the last
    and next occurrences, as the host reports them)."""
    status: Dict[str, Any] = {}
    if last is not None or next is not None:
        now = _now()
        status = {
            "Last": (last or now).isoformat(),
            "Next": (next or now).isoformat(),
            "LastUpdated": now.isoformat(),
        }
    return TimerRequest(
        past_due=past_due, schedule_status=status, schedule={"AdjustForDST": adjust_for_dst}
    )


def make_queue_message(
    body: Any = b"",
    *,
    id: Optional[str] = None,
    dequeue_count: int = 1,
    insertion_time: Optional[datetime.datetime] = None,
    expiration_time: Optional[datetime.datetime] = None,
    pop_receipt: Optional[str] = None,
) -> QueueMessage:
    """A Storage queue trigger's ``QueueMessage`` (``dequeue_count`` 1 on the first delivery)."""
    inserted = insertion_time or _now()
    return QueueMessage(  # type: ignore[no-untyped-call]
        id=id or str(uuid.uuid4()),
        body=_bytes(body),
        dequeue_count=dequeue_count,
        insertion_time=inserted,
        expiration_time=expiration_time or inserted + datetime.timedelta(days=7),
        time_next_visible=inserted,
        pop_receipt=pop_receipt or str(uuid.uuid4()),
    )


def make_service_bus_message(
    body: Any = b"",
    *,
    message_id: Optional[str] = None,
    delivery_count: int = 1,
    content_type: Optional[str] = None,
    correlation_id: Optional[str] = None,
    session_id: Optional[str] = None,
    application_properties: Optional[Mapping[str, Any]] = None,
    **fields: Any,
) -> ServiceBusMessage:
    """A Service Bus trigger's ``ServiceBusMessage``; other fields of the message (``label``,
    ``subject``, ``time_to_live``, ...) by keyword."""
    enqueued = fields.pop("enqueued_time_utc", None) or _now()
    return ServiceBusMessage(
        body=_bytes(body),
        message_id=message_id or uuid.uuid4().hex,
        delivery_count=delivery_count,
        content_type=content_type,
        correlation_id=correlation_id,
        session_id=session_id,
        enqueued_time_utc=enqueued,
        application_properties=dict(application_properties or {}),
        user_properties=dict(application_properties or {}),
        **fields,
    )


def make_event_hub_event(
    body: Any = b"",
    *,
    partition_key: Optional[str] = None,
    sequence_number: int = 0,
    offset: str = "0",
    enqueued_time: Optional[datetime.datetime] = None,
) -> func.EventHubEvent:
    """One Event Hubs event (a function with ``cardinality`` one)."""
    return func.EventHubEvent(
        body=_bytes(body),
        partition_key=partition_key,
        sequence_number=sequence_number,
        offset=offset,
        enqueued_time=enqueued_time or _now(),
    )


def make_event_hub_batch(bodies: Iterable[Any], **fields: Any) -> List[func.EventHubEvent]:
    """The list of events a function with ``cardinality`` many receives, numbered in order."""
    return [
        make_event_hub_event(body, sequence_number=index, offset=str(index), **fields)
        for index, body in enumerate(bodies)
    ]


def make_event_grid_event(
    data: Any = None,
    *,
    event_type: str = "Microsoft.Storage.BlobCreated",
    subject: str = "",
    topic: str = "",
    id: Optional[str] = None,
    data_version: str = "1.0",
    event_time: Optional[datetime.datetime] = None,
) -> func.EventGridEvent:
    """An Event Grid trigger's ``EventGridEvent``; ``get_json()`` returns ``data``."""
    return func.EventGridEvent(
        id=id or str(uuid.uuid4()),
        data=data if data is not None else {},
        topic=topic,
        subject=subject,
        event_type=event_type,
        event_time=event_time or _now(),
        data_version=data_version,
    )


def make_blob(
    data: Any = b"",
    *,
    name: str = "samples-workitems/blob.txt",
    uri: Optional[str] = None,
    metadata: Optional[Mapping[str, str]] = None,
) -> InputStream:
    """A blob trigger's ``InputStream`` (``name`` is ``container/path``, as the host sets it)."""
    content = _bytes(data)
    return InputStream(
        data=content,
        name=name,
        uri=uri or f"https://devstoreaccount1.blob.core.windows.net/{name}",
        length=len(content),
        metadata=dict(metadata or {}),
    )


def make_cosmos_documents(*documents: Mapping[str, Any]) -> func.DocumentList:
    """A Cosmos DB trigger's ``DocumentList`` of the changed documents."""
    return func.DocumentList([func.Document.from_dict(dict(d)) for d in documents])


__all__ = [
    "make_blob",
    "make_cosmos_documents",
    "make_event_grid_event",
    "make_event_hub_batch",
    "make_event_hub_event",
    "make_queue_message",
    "make_service_bus_message",
    "make_timer_request",
]
