import logging

import azure.functions as func
from python_worker_extension_retry_context import RetryContextExtension


def dead_letter(info, context, exception):
    logging.error(
        "Giving up on %s after %d attempts: %s", context.function_name, info.attempt, exception
    )


RetryContextExtension.configure(on_final_failure=dead_letter)

app = func.FunctionApp()


def submit_pending_orders() -> None:
    """Sends the queued orders to the order service (raises when it is down)."""


@app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer")
@app.retry(
    strategy="exponential_backoff",
    max_retry_count="3",
    minimum_interval="00:00:01",
    maximum_interval="00:00:10",
)
def ProcessOrder(timer: func.TimerRequest, context: func.Context) -> None:
    retry = RetryContextExtension.current(context)
    if retry.is_final_attempt:
        ...  # last chance: take the slow, safe path
    submit_pending_orders()
