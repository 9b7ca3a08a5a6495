"""HTTP route templates as the Functions host understands them, and the route table.

Templates follow ASP.NET Core routing, which the host uses: literal segments (matched
without regard to case), ``{name}``, ``{name:constraint}``, optional ``{name?}``, defaults
``{name=value}`` and a trailing catch-all ``{*name}``. When several routes match a path,
the most specific wins: literal segments before constrained parameters, before plain ones,
before optional ones and the catch-all; ties keep the order functions were loaded in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Generic, List, Optional, Tuple, TypeVar
from urllib.parse import unquote

T = TypeVar("T")

_CONSTRAINTS = {
    "int": r"-?\d+",
    "long": r"-?\d+",
    "float": r"-?\d+(?:\.\d+)?",
    "double": r"-?\d+(?:\.\d+)?",
    "decimal": r"-?\d+(?:\.\d+)?",
    "bool": r"(?i:true|false)",
    "alpha": r"[A-Za-z]+",
    "guid": r"[0-9A-Fa-f]{8}-?(?:[0-9A-Fa-f]{4}-?){3}[0-9A-Fa-f]{12}|\{[0-9A-Fa-f-]{36}\}",
    "datetime": r"[^/]+",
}
_PARAMETER = re.compile(r"\{(?P<body>[^{}]+)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Segment ranks: lower sorts first (more specific).
_LITERAL, _CONSTRAINED, _PLAIN, _OPTIONAL, _CATCH_ALL = range(5)


class RouteTemplateError(ValueError):
    """A route template the host would reject; the message names the template."""


@dataclass
class _Parameter:
    """One ``{...}`` parameter of a route template, as parsed."""

    name: str
    pattern: str
    optional: bool
    catch_all: bool
    default: Optional[str]
    constraint: str


def _parse_parameter(body: str, template: str, notes: List[str]) -> _Parameter:
    catch_all = body.startswith("*")
    body = body.lstrip("*")
    default = None
    if "=" in body:
        body, default = body.split("=", 1)
    optional = body.endswith("?")
    body = body.rstrip("?")
    name, _, constraint_text = body.partition(":")
    if not _NAME.fullmatch(name):
        raise RouteTemplateError(f"route {template!r}: bad parameter name {name!r}")
    pattern = r".*" if catch_all else r"[^/]+"
    constraint = ""
    for constraint in filter(None, constraint_text.split(":")):
        key = constraint.split("(", 1)[0].lower()
        if key in _CONSTRAINTS:
            pattern = _CONSTRAINTS[key]
        else:
            notes.append(
                f"route {template!r}: constraint {constraint!r} on {{{name}}} is not checked "
                "locally; any value matches"
            )
    return _Parameter(
        name, pattern, optional or default is not None, catch_all, default, constraint
    )


@dataclass
class Route(Generic[T]):
    """One compiled route template and what it leads to."""

    template: str
    target: T
    methods: Optional[List[str]]  # None: every method
    regex: re.Pattern[str] = field(repr=False, default=re.compile(""))
    rank: Tuple[int, ...] = ()
    defaults: Dict[str, str] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    # What the template matches, names aside: equal shapes match the same paths.
    shape: Tuple[str, ...] = ()

    def allows(self, method: str) -> bool:
        return self.methods is None or method.upper() in self.methods


def compile_route(template: str, target: T, methods: Optional[List[str]] = None) -> Route[T]:
    """Compile ``template`` (without the route prefix) into a route."""
    route: Route[T] = Route(template=template, target=target, methods=methods)
    segments = [s for s in template.strip("/").split("/")] if template.strip("/") else []
    pattern = ""
    ranks = []
    names: List[str] = []
    shape: List[str] = []
    for index, segment in enumerate(segments):
        if not segment:
            raise RouteTemplateError(f"route {template!r}: empty segment")
        pieces = _PARAMETER.split(segment)  # literal, body, literal, body, ..., literal
        if "{" in pieces[0] or "}" in pieces[-1] or any("{" in p or "}" in p for p in pieces[::2]):
            raise RouteTemplateError(f"route {template!r}: unbalanced braces in {segment!r}")
        regex = ""
        segment_shape = ""
        rank = _LITERAL
        optional_segment = False
        for position, piece in enumerate(pieces):
            if position % 2 == 0:
                regex += re.escape(piece)
                segment_shape += piece.lower()
                continue
            parameter = _parse_parameter(piece, template, route.notes)
            kind = "*" if parameter.catch_all else "?" if parameter.optional else ""
            segment_shape += "{" + kind + parameter.pattern + "}"
            if parameter.name.lower() in (n.lower() for n in names):
                raise RouteTemplateError(
                    f"route {template!r}: parameter {parameter.name!r} repeats"
                )
            names.append(parameter.name)
            if parameter.catch_all and index != len(segments) - 1:
                raise RouteTemplateError(
                    f"route {template!r}: a catch-all must be the last segment"
                )
            if parameter.default is not None:
                route.defaults[parameter.name] = parameter.default
            regex += f"(?P<{parameter.name}>{parameter.pattern})"
            if parameter.catch_all:
                rank = _CATCH_ALL
                optional_segment = True
            elif parameter.optional:
                rank = max(rank, _OPTIONAL)
                optional_segment = len(pieces) == 3 and not pieces[0] and not pieces[2]
            else:
                rank = max(rank, _CONSTRAINED if parameter.constraint else _PLAIN)
        separator = "/" if index else ""
        if optional_segment:
            pattern += f"(?:{separator}{regex})?"
        else:
            pattern += separator + regex
        ranks.append(rank)
        shape.append(segment_shape)
    route.regex = re.compile(pattern, re.IGNORECASE)
    route.shape = tuple(shape)
    # Longer literal prefixes first; then, at equal ranks, more segments first.
    route.rank = (*ranks, _CATCH_ALL + 1)
    return route


@dataclass
class Match(Generic[T]):
    """What the route table found for a method and path (a route, or why none)."""

    route: Optional[Route[T]]
    params: Dict[str, str]
    method_not_allowed: bool = False
    allowed: List[str] = field(default_factory=list)


class RouteTable(Generic[T]):
    """The app's HTTP routes under one prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix.strip("/")
        self._routes: List[Route[T]] = []

    def add(self, route: Route[T]) -> None:
        self._routes.append(route)
        self._routes.sort(key=lambda r: r.rank)

    @property
    def routes(self) -> List[Route[T]]:
        return list(self._routes)

    def path_for(self, route: Route[T]) -> str:
        return "/" + "/".join(p for p in (self.prefix, route.template.strip("/")) if p)

    def _strip_prefix(self, path: str) -> Optional[str]:
        path = path.strip("/")
        if not self.prefix:
            return path
        head, _, rest = path.partition("/")
        if head.lower() != self.prefix.lower():
            return None
        return rest

    def match(self, method: str, raw_path: str) -> Match[T]:
        """The route for ``method`` and the URL path (still percent-encoded)."""
        relative = self._strip_prefix(raw_path)
        if relative is None:
            return Match(None, {})
        allowed: List[str] = []
        for route in self._routes:
            found = route.regex.fullmatch(relative)
            if found is None:
                continue
            if not route.allows(method):
                allowed.extend(route.methods or [])
                continue
            params = dict(route.defaults)
            for name, value in found.groupdict().items():
                if value is not None and value != "":
                    params[name] = unquote(value)
            return Match(route, params)
        if allowed:
            return Match(None, {}, method_not_allowed=True, allowed=sorted(set(allowed)))
        return Match(None, {})
