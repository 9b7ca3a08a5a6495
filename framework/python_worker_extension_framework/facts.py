"""Facts that extensions share through the invocation's context, without importing each other.

One extension publishes a fact on the context; any other reads it if present. Keeping the
attribute names here, in the framework every extension depends on, is the agreement.
"""

from __future__ import annotations

from typing import Any, Optional

# Set by python-worker-extension-retry-context in its pre hook: an object with at least
# ``attempt`` (1-based), ``retry_count`` and ``max_retry_count`` (None when unlimited).
RETRY_FACTS_ATTRIBUTE = "retry_info"


def publish_retry_facts(context: Any, facts: Any) -> None:
    """Attach the normalised retry facts to the invocation's context."""
    setattr(context, RETRY_FACTS_ATTRIBUTE, facts)


def retry_facts(context: Any) -> Optional[Any]:
    """The normalised retry facts, when the retry-context extension published them."""
    return getattr(context, RETRY_FACTS_ATTRIBUTE, None)


def retry_attempt(context: Any) -> Optional[int]:
    """The 1-based attempt number, when known."""
    facts = retry_facts(context)
    attempt = getattr(facts, "attempt", None)
    return attempt if isinstance(attempt, int) else None
