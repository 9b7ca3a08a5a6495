"""Concrete invocation context objects with the attributes the real worker provides.

The local host and the test harness build these; extensions only rely on the
``azure.functions.Context`` interface plus the worker's extras (the older ``Traceparent``
names, ``rpc_exception`` on the retry context).
"""

from __future__ import annotations

import threading
import uuid
from typing import Any, Dict, Mapping, Optional

from azure.functions import Context

_thread_local_storage = threading.local()


class TraceContext:
    """Trace context of an invocation (empty strings when the caller sent none)."""

    def __init__(
        self,
        trace_parent: str = "",
        trace_state: str = "",
        attributes: Optional[Mapping[str, str]] = None,
    ) -> None:
        self._trace_parent = trace_parent
        self._trace_state = trace_state
        self._attributes: Mapping[str, str] = dict(attributes or {})

    @property
    def trace_parent(self) -> str:
        return self._trace_parent

    @property
    def trace_state(self) -> str:
        return self._trace_state

    @property
    def attributes(self) -> Mapping[str, str]:
        return self._attributes

    # The worker also exposes the older capitalised names.
    Traceparent = trace_parent
    Tracestate = trace_state
    Attributes = attributes


class RpcException:
    """A previous attempt's failure, shaped like the worker's ``RpcException``."""

    def __init__(
        self, message: str = "", stack_trace: str = "", source: str = "", type: str = ""
    ) -> None:
        self.message = message
        self.stack_trace = stack_trace
        self.source = source
        self.type = type

    @classmethod
    def from_exception(cls, exc: BaseException, source: str = "") -> RpcException:
        import traceback

        stack = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return cls(message=str(exc), stack_trace=stack, source=source, type=type(exc).__name__)


class RetryContext:
    """Retry state as the worker gives it (``rpc_exception``); ``exception`` as the SDK names it."""

    def __init__(
        self,
        retry_count: int = 0,
        max_retry_count: int = 0,
        rpc_exception: Optional[RpcException] = None,
    ) -> None:
        self.retry_count = retry_count
        self.max_retry_count = max_retry_count
        self.rpc_exception = rpc_exception

    @property
    def exception(self) -> Optional[RpcException]:
        return self.rpc_exception


class InvocationContext(Context):
    """An ``azure.functions.Context`` for one invocation, with the worker's attributes."""

    def __init__(
        self,
        function_name: str,
        function_directory: str = "",
        invocation_id: Optional[str] = None,
        trace_context: Optional[TraceContext] = None,
        retry_context: Optional[RetryContext] = None,
        thread_local_storage: Optional[threading.local] = None,
    ) -> None:
        self._function_name = function_name
        self._function_directory = function_directory
        self._invocation_id = invocation_id or str(uuid.uuid4())
        self._trace_context = trace_context or TraceContext()
        self._retry_context = retry_context
        self._thread_local_storage = thread_local_storage or _thread_local_storage

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def trace_context(self) -> TraceContext:  # type: ignore[override]
        return self._trace_context

    @property
    def retry_context(self) -> Any:
        return self._retry_context

    @property
    def thread_local_storage(self) -> Any:
        return self._thread_local_storage

    def describe(self) -> Dict[str, Any]:
        return {
            "invocation_id": self.invocation_id,
            "function_name": self.function_name,
            "function_directory": self.function_directory,
            "trace_parent": self.trace_context.trace_parent,
        }
