"""``InvocationRecord``: how one invocation ended (the one result type for an invocation)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import azure.functions as func

from ._calls import HookTrace


@dataclass(repr=False)
class InvocationRecord:
    """How one invocation ended, wherever it ran: the result or the exception, with the
    context and arguments it ran with, how long it took, and (where the caller collected
    them) the hook calls and the log records written meanwhile. The local host, the test
    harness and the dashboard all describe an invocation with this one type."""

    result: Any = None
    exception: Optional[BaseException] = None
    context: Any = None
    func_args: Dict[str, Any] = field(default_factory=dict)
    trace: HookTrace = field(default_factory=HookTrace)
    records: List[logging.LogRecord] = field(default_factory=list)
    function_name: str = ""
    seconds: float = 0.0

    @property
    def succeeded(self) -> bool:
        return self.exception is None

    @property
    def hook_calls(self) -> List[Tuple[str, str]]:
        """``(hook, extension)`` pairs in call order."""
        return self.trace.names()

    def messages(self, logger_prefix: str = "") -> List[str]:
        """Formatted messages of the captured records, optionally of one logger tree."""
        return [r.getMessage() for r in self.records if r.name.startswith(logger_prefix)]

    def raise_for_exception(self) -> Any:
        if self.exception is not None:
            raise self.exception
        return self.result

    def __repr__(self) -> str:
        if self.exception is not None:
            outcome = f"raised {self.exception!r}"
        elif isinstance(self.result, func.HttpResponse):
            outcome = f"returned HttpResponse(status_code={self.result.status_code})"
        else:
            outcome = f"returned {self.result!r}"
        return f"<InvocationRecord {self.function_name or '?'}: {outcome}>"
