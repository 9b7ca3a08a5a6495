"""Start-up checks of what the functions declare: binding types and HTTP routes.

A binding type the Functions host does not know (a typo such as ``queueTriger``, or an
extension that is not installed) used to start silently here and fail inside the function;
Azure refuses to load such a function. A route two functions share can only ever reach the
first of them. Both are named at start, with the fix.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

from .loader import FunctionSpec
from .routing import Route, RouteTemplateError

# Binding types of the Functions host and its common extensions. The host compares them
# without regard to case; the spelling here is the documented one, for the hint.
_SPELLINGS = """
httpTrigger http timerTrigger warmupTrigger queueTrigger queue blobTrigger blob table
eventHubTrigger eventHub serviceBusTrigger serviceBus cosmosDBTrigger cosmosDB
eventGridTrigger eventGrid kafkaTrigger kafka rabbitMQTrigger rabbitMQ sqlTrigger sql
mysqlTrigger mysql signalRTrigger signalR signalRConnectionInfo signalRNegotiation
signalREndpoints webPubSubTrigger webPubSub webPubSubConnection webPubSubContext sendGrid
twilioSms notificationHub mobileTable durableClient orchestrationClient orchestrationTrigger
activityTrigger entityTrigger entityClient daprBindingTrigger daprServiceInvocationTrigger
daprTopicTrigger daprState daprInvoke daprPublish daprBinding daprSecret redisPubSubTrigger
redisListTrigger redisStreamTrigger redis textCompletion assistantCreate assistantPost
assistantQuery embeddings semanticSearch embeddingsStore assistantSkillTrigger
mcpToolTrigger mcpResourceTrigger
"""
_KNOWN = {name.lower(): name for name in _SPELLINGS.split()}
KNOWN_BINDING_TYPES = frozenset(_KNOWN)


def unknown_binding_notes(specs: Sequence[FunctionSpec]) -> List[str]:
    """One line per binding whose type the Functions host does not know."""
    notes = []
    for spec in specs:
        for binding in spec.bindings:
            kind = str(binding.get("type", ""))
            if kind.lower() in KNOWN_BINDING_TYPES:
                continue
            import difflib  # only to suggest a name for a mistake

            close = difflib.get_close_matches(kind.lower(), KNOWN_BINDING_TYPES, n=1, cutoff=0.75)
            hint = f"did you mean {_KNOWN[close[0]]!r}? " if close else ""
            notes.append(
                f"Functions.{spec.name}: binding {binding.get('name')!r} has type {kind!r}, "
                f"which the Functions host does not know, so in Azure this function does not "
                f"load (locally it gets no value for it). Fix: {hint}correct the type, or "
                "install the extension (extension bundle) that provides it."
            )
    return notes


def _methods(route: Route[FunctionSpec]) -> str:
    return ",".join(route.methods) if route.methods else "every method"


def _overlap(a: Optional[List[str]], b: Optional[List[str]]) -> bool:
    return a is None or b is None or bool(set(a) & set(b))


def check_route_conflicts(routes: Sequence[Route[FunctionSpec]]) -> None:
    """Raise ``RouteTemplateError`` when two functions' routes match the same requests."""
    seen: Dict[Tuple[str, ...], List[Route[FunctionSpec]]] = {}
    for route in routes:
        for earlier in seen.get(route.shape, []):
            if _overlap(earlier.methods, route.methods):
                first, second = earlier.target, route.target
                raise RouteTemplateError(
                    f"Functions.{first.name} and Functions.{second.name} have the same route "
                    f"({earlier.template!r} for {_methods(earlier)}, {route.template!r} for "
                    f"{_methods(route)}), so requests can only ever reach one of them. Fix: "
                    f"give one of them another route, or methods the other does not accept."
                )
        seen.setdefault(route.shape, []).append(route)


__all__ = ["KNOWN_BINDING_TYPES", "check_route_conflicts", "unknown_binding_notes"]
