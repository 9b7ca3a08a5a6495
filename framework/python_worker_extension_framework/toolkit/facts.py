"""Facts that extensions share through the invocation's context, without importing each other.

One extension publishes a fact on the context; any other reads it if present. The attribute
names are declared with every other context attribute in the framework's core, which every
extension depends on: that is the agreement.
"""

from __future__ import annotations

from typing import Any, Optional

from ..core import _attributes

# Set by python-worker-extension-retry-context in its pre hook: an object with at least
# ``attempt`` (1-based), ``retry_count`` and ``max_retry_count`` (None when unlimited).
RETRY_FACTS_ATTRIBUTE = _attributes.RETRY_INFO


def publish_retry_facts(context: Any, facts: Any) -> None:
    """Attach the normalised retry facts to the invocation's context."""
    _attributes.publish(context, RETRY_FACTS_ATTRIBUTE, facts)


def retry_facts(context: Any) -> Optional[Any]:
    """The normalised retry facts, when the retry-context extension published them."""
    return _attributes.published(context, RETRY_FACTS_ATTRIBUTE)


def retry_attempt(context: Any) -> Optional[int]:
    """The 1-based attempt number, when known."""
    attempt = getattr(_attributes.published(context, RETRY_FACTS_ATTRIBUTE), "attempt", None)
    return attempt if isinstance(attempt, int) else None
