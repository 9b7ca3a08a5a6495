"""A v2 app with one function per common non-HTTP trigger, for the testing harness.

Each function reads what its trigger's object carries and writes a summary to an output
binding (or logs it), so a test can check that the harness's builders give the functions
what the worker gives them. Request logging writes one record per invocation, whatever the
trigger; the retry context extension tells a retried timer which attempt it is on.
"""

import json
import logging
from typing import List

import azure.functions as func
from python_worker_extension_request_logging import RequestLoggingExtension
from python_worker_extension_retry_context import RetryContextExtension

RequestLoggingExtension.configure()
RetryContextExtension.configure()

app = func.FunctionApp()
log = logging.getLogger("triggers_app")


@app.queue_trigger(arg_name="msg", queue_name="orders", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="receipt", queue_name="receipts", connection="AzureWebJobsStorage")
def process_order(msg: func.QueueMessage, receipt: func.Out[str]) -> None:
    order = msg.get_json()
    if msg.dequeue_count > 3:
        raise RuntimeError(f"order {order['id']} keeps failing; giving up")
    receipt.set(f"order {order['id']}: {order['quantity']} x {order['sku']}")


@app.service_bus_queue_trigger(
    arg_name="message", queue_name="payments", connection="ServiceBusConnection"
)
def settle_payment(message: func.ServiceBusMessage) -> None:
    payment = json.loads(message.get_body())
    log.info(
        "payment %s of %s (message %s, delivery %d)",
        payment["id"],
        payment["amount"],
        message.message_id,
        message.delivery_count,
    )


@app.event_hub_message_trigger(
    arg_name="event", event_hub_name="telemetry", connection="EventHubConnection"
)
def record_reading(event: func.EventHubEvent) -> None:
    reading = json.loads(event.get_body())
    log.info("reading %s from %s", reading["value"], event.partition_key)


@app.event_hub_message_trigger(
    arg_name="events",
    event_hub_name="telemetry-batch",
    connection="EventHubConnection",
    cardinality="many",
)
def record_readings(events: List[func.EventHubEvent]) -> None:
    total = sum(json.loads(event.get_body())["value"] for event in events)
    log.info("%d readings, total %s", len(events), total)


@app.event_grid_trigger(arg_name="event")
def on_blob_created(event: func.EventGridEvent) -> None:
    data = event.get_json()
    log.info("%s: %s (%s bytes)", event.event_type, event.subject, data["contentLength"])


@app.blob_trigger(arg_name="blob", path="uploads/{name}", connection="AzureWebJobsStorage")
def count_lines(blob: func.InputStream) -> None:
    log.info("%s has %d lines", blob.name, len(blob.read().splitlines()))


@app.cosmos_db_trigger(
    arg_name="documents",
    connection="CosmosDBConnection",
    database_name="shop",
    container_name="products",
    create_lease_container_if_not_exists=True,
)
def reprice(documents: func.DocumentList) -> None:
    for document in documents:
        log.info("product %s now costs %s", document["id"], document["price"])


@app.timer_trigger(schedule="0 0 3 * * *", arg_name="timer", run_on_startup=False)
@app.retry(strategy="fixed_delay", max_retry_count="2", delay_interval="00:00:05")
def nightly_report(timer: func.TimerRequest, context: func.Context) -> None:
    attempt = RetryContextExtension.current(context)
    log.info("report (late: %s, attempt %d)", timer.past_due, attempt.attempt)
    if not attempt.is_final_attempt and timer.past_due:
        raise TimeoutError("the report store is still warming up")
