"""Which requests may reach the host: the ``Host`` and ``Origin`` rules that keep web pages out.

The local host has no authentication, and a web page the developer visits can reach
127.0.0.1 too: a "simple" cross-site ``POST`` (``Content-Type: text/plain``) needs no CORS
preflight, and a page can re-point its own DNS name at 127.0.0.1 (DNS rebinding), after
which the browser sends that name as ``Host``. So:

- every request's ``Host`` must be a loopback name (``localhost``, ``*.localhost``, an
  address in 127.0.0.0/8, ``::1``), the address the host listens on, any IP address when it
  listens on all of them (``--allow-remote --host 0.0.0.0``), or a name allowed with
  ``--allow-host``; a rebinding page always sends its own DNS name, never one of these;
- the admin endpoints (``/admin/...``) also refuse browser requests from another origin: an
  ``Origin`` that is not the host's own, or ``Sec-Fetch-Site: cross-site`` / ``same-site``.
  Clients that are not browsers (curl, scripts, tests) send neither header.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Mapping, Optional, Tuple, Union
from urllib.parse import urlsplit

ANY_HOST = "*"
_DECISIONS_KEPT = 256  # distinct Host values remembered (a client sends one, a browser few)
_CROSS_SITE = ("cross-site", "same-site")


def split_host(value: str) -> Tuple[str, Optional[int]]:
    """``(name, port)`` of a ``Host`` value: lower case, no brackets, no trailing dot."""
    value = value.strip().lower()
    port: Optional[int] = None
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        if rest.startswith(":") and rest[1:].isdigit():
            port = int(rest[1:])
    elif value.count(":") == 1:
        name, _, port_text = value.partition(":")
        if port_text.isdigit():
            port = int(port_text)
    else:
        name = value
    return name.rstrip("."), port


def _ip(name: str) -> Optional[Union[ipaddress.IPv4Address, ipaddress.IPv6Address]]:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def is_loopback_name(name: str) -> bool:
    """``localhost``, ``*.localhost`` (browsers resolve these to loopback themselves) or a
    loopback address."""
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address = _ip(name)
    return address is not None and address.is_loopback


@dataclass(frozen=True)
class RequestGuard:
    """The rules for one host: what it listens on and which other names it accepts."""

    bound_address: str = "127.0.0.1"
    allowed_hosts: FrozenSet[str] = field(default_factory=frozenset)
    # ``host_problem``'s answer by Host value: the rules are fixed for the host's lifetime,
    # and parsing an address on every request showed in profiles.
    _decisions: Dict[str, Optional[str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def for_binding(cls, bound_address: str, allowed_hosts: Tuple[str, ...] = ()) -> RequestGuard:
        """The rules for a host listening on ``bound_address``, ``--allow-host`` names added."""
        names = frozenset(n if n == ANY_HOST else split_host(n)[0] for n in allowed_hosts)
        return cls(bound_address=split_host(bound_address)[0], allowed_hosts=names)

    def host_allowed(self, name: str) -> bool:
        if ANY_HOST in self.allowed_hosts or name in self.allowed_hosts:
            return True
        if is_loopback_name(name) or name == self.bound_address:
            return True
        bound = _ip(self.bound_address)
        return bound is not None and bound.is_unspecified and _ip(name) is not None

    def host_problem(self, headers: Mapping[str, str]) -> Optional[str]:
        """Why this request's ``Host`` is refused (None: it is accepted). A request without
        ``Host`` (HTTP/1.0 from a script) is accepted: browsers always send one."""
        value = headers.get("host")
        if value is None:
            return None
        try:
            return self._decisions[value]
        except KeyError:
            pass
        problem = self._host_problem(value)
        if len(self._decisions) >= _DECISIONS_KEPT:
            self._decisions.clear()
        self._decisions[value] = problem
        return problem

    def _host_problem(self, value: str) -> Optional[str]:
        name, _port = split_host(value)
        if self.host_allowed(name):
            return None
        return (
            f"Host {value[:100]!r} is not allowed: this local host answers only requests "
            "addressed to localhost, a loopback address or the address it listens on, so "
            "that web pages cannot reach it through their own DNS names. To allow this name, "
            f"start it with --allow-host {name[:100] or '<name>'}."
        )

    def origin_problem(self, headers: Mapping[str, str]) -> Optional[str]:
        """Why an admin request from a browser is refused (None: it is accepted)."""
        site = headers.get("sec-fetch-site", "").strip().lower()
        origin = headers.get("origin")
        if origin is not None:
            if self._same_origin(origin, headers.get("host", "")):
                return None
            shown = f"Origin {origin[:100]!r}"
        elif site in _CROSS_SITE:
            shown = f"Sec-Fetch-Site: {site}"
        else:
            return None
        return (
            f"Cross-origin request refused ({shown}): the admin endpoints run "
            "functions, so only the host's own origin and clients that are not browsers "
            "(curl, scripts) may call them."
        )

    def _same_origin(self, origin: str, host_header: str) -> bool:
        return same_origin(origin, *split_host(host_header))


def same_origin(origin: str, host_name: str, host_port: Optional[int]) -> bool:
    """Whether a browser's ``Origin`` is the host's own (``http``, same name and port)."""
    try:
        parts = urlsplit(origin.strip())
        origin_port = parts.port
    except ValueError:
        return False
    if parts.scheme != "http" or not parts.hostname:
        return False
    return parts.hostname.rstrip(".") == host_name and (origin_port or 80) == (host_port or 80)


__all__ = ["ANY_HOST", "RequestGuard", "is_loopback_name", "same_origin", "split_host"]
