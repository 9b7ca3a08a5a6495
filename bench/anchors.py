"""What users would run instead of our extensions: the anchors the benchmarks compare with.

Each anchor is defined inside a function, because defining an ``AppExtensionBase`` subclass
registers it in ``ExtensionMeta`` at once; the benchmark calls the function inside an
isolated registry. None of this ships: it is the yardstick, written to behave as described.

- ``tutorial_timer``: the timer extension of the worker-extension tutorial, the seed document
  this project started from. Per invocation: an f-string ``logger.info`` on the logger the
  worker passes to the hook ("Recording start time of ..."), the start time kept in a
  class-level dict keyed by invocation id, and in the post hook the elapsed time logged with
  another f-string line and, when configured, appended to the ``HttpResponse`` body.
- ``access_log_line``: what a user writes for request logging by hand: an extension whose
  post hook writes one ``logger.info(f"...")`` access line (method, URL, status, duration).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Dict, Optional

from azure.functions import AppExtensionBase, HttpRequest, HttpResponse

ACCESS_LOGGER = "bench.access"


def tutorial_timer(append_to_http_response: bool = False) -> type:
    """The tutorial's timer extension, registered in the current registry."""

    class TutorialTimerExtension(AppExtensionBase):
        start_timestamps: Dict[str, float]
        append: bool = append_to_http_response

        @classmethod
        def init(cls) -> None:
            cls.start_timestamps = {}

        @classmethod
        def pre_invocation_app_level(
            cls, logger: logging.Logger, context: Any, func_args: Any, *args: Any, **kwargs: Any
        ) -> None:
            logger.info(f"Recording start time of {context.function_name}")
            cls.start_timestamps[context.invocation_id] = time.time()

        @classmethod
        def post_invocation_app_level(
            cls,
            logger: logging.Logger,
            context: Any,
            func_args: Any,
            func_ret: Optional[object],
            *args: Any,
            **kwargs: Any,
        ) -> None:
            if context.invocation_id not in cls.start_timestamps:
                return
            elapsed = time.time() - cls.start_timestamps.pop(context.invocation_id)
            logger.info(f"Time taken to execute {context.function_name} is {elapsed} sec")
            if cls.append and isinstance(func_ret, HttpResponse):
                body = func_ret.get_body() + f" (TimeElapsed: {elapsed} sec)".encode()
                func_ret._HttpResponse__body = body  # type: ignore[attr-defined]

    return TutorialTimerExtension


def access_log_line() -> type:
    """A hand-written access-log extension: one f-string info line per request."""
    log = logging.getLogger(ACCESS_LOGGER)

    class AccessLogExtension(AppExtensionBase):
        @classmethod
        def pre_invocation_app_level(
            cls, logger: logging.Logger, context: Any, func_args: Any, *args: Any, **kwargs: Any
        ) -> None:
            context.access_started = time.perf_counter()

        @classmethod
        def post_invocation_app_level(
            cls,
            logger: logging.Logger,
            context: Any,
            func_args: Any,
            func_ret: Optional[object],
            *args: Any,
            **kwargs: Any,
        ) -> None:
            req = next((v for v in func_args.values() if isinstance(v, HttpRequest)), None)
            status = getattr(func_ret, "status_code", "-")
            took = (time.perf_counter() - context.access_started) * 1000
            if req is not None:
                log.info(f"{req.method} {req.url} {status} {took:.1f}ms {context.invocation_id}")

    return AccessLogExtension
