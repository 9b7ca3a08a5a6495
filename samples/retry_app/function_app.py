"""Retry policies and the retry-context extension, runnable locally.

Run ``funcext start samples/retry_app`` and start the timer functions by hand:

    curl -X POST http://127.0.0.1:7071/admin/functions/flaky_sync -d '{"input": ""}'
    curl -X POST http://127.0.0.1:7071/admin/functions/always_fails -d '{"input": ""}'

``flaky_sync`` fails on its first two attempts and succeeds on the third; ``always_fails``
exhausts its policy, and the final-failure callback dead-letters it. The app is an
``ExtensionsFunctionApp`` because that callback runs in the error phase, which the Azure
worker lacks: the wrapper adds it there, and here.
"""

import logging

import azure.functions as func
from python_worker_extension_framework import ExtensionsFunctionApp
from python_worker_extension_retry_context import RetryContextExtension, RetryInfo
from python_worker_extension_timer import TimerExtension

dead_letters = logging.getLogger("retry_app.dead_letter")


def dead_letter(info: RetryInfo, context: func.Context, exception: BaseException) -> None:
    """Where a real app would park the work item or alert someone."""
    dead_letters.error(
        "Dead-lettered %s after %d attempts: %s", context.function_name, info.attempt, exception
    )


RetryContextExtension.configure(on_final_failure=dead_letter)
TimerExtension.configure()

app = ExtensionsFunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.timer_trigger(schedule="0 0 * * * *", arg_name="timer", run_on_startup=False)
@app.retry(strategy="fixed_delay", max_retry_count="3", delay_interval="00:00:01")
def flaky_sync(timer: func.TimerRequest, context: func.Context) -> None:
    """Fails until its third attempt, as a call to a recovering dependency would."""
    retry_count = context.retry_context.retry_count
    logging.info("flaky_sync attempt with retry count %d", retry_count)
    if retry_count < 2:
        raise ConnectionError(f"dependency unavailable (retry count {retry_count})")


@app.timer_trigger(schedule="0 30 * * * *", arg_name="timer", run_on_startup=False)
@app.retry(
    strategy="exponential_backoff",
    max_retry_count="2",
    minimum_interval="00:00:01",
    maximum_interval="00:00:02",
)
def always_fails(timer: func.TimerRequest) -> None:
    """Never succeeds: its retries run out and the final-failure callback fires."""
    raise ValueError("the input can never be processed")
