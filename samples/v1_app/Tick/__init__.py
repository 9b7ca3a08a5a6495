"""A timer function; run it locally with ``POST /admin/functions/Tick``."""

import logging

import azure.functions as func


def main(timer: func.TimerRequest, context: func.Context) -> None:
    logging.info("Tick ran in %s (past_due=%s)", context.function_name, timer.past_due)
