"""Who may read the dashboard: this machine's browser, on the page's own origin.

The host's ``guard.RequestGuard`` protects the app and the admin endpoints; the dashboard,
which shows what requests carried (redacted, but still an app's traffic), is stricter and
keeps its own rule on the same host-name parsing. It answers only when all of these hold
(``--allow-host`` names and ``--allow-remote`` do not widen it):

- the client connects from a loopback address (even when the host was started with
  ``--allow-remote``, the dashboard stays local);
- the ``Host`` header names a loopback host (``localhost``, ``*.localhost``, an address in
  127.0.0.0/8, ``::1``) or the address the host listens on (unless that is 0.0.0.0 or
  ::), so a web page that re-points its own DNS name at 127.0.0.1 (DNS rebinding) is
  refused: it always sends its own name;
- a browser request carries no ``Origin`` other than the dashboard's own and no
  ``Sec-Fetch-Site`` of ``cross-site`` or ``same-site``: another page may not read it.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Mapping, Optional, Tuple

from ..guard import is_loopback_name, same_origin, split_host

_FOREIGN_SITES = ("cross-site", "same-site")


def _unspecified(name: str) -> bool:
    """0.0.0.0 or ::, which a host listens on but no page should be addressed to."""
    try:
        return ipaddress.ip_address(name).is_unspecified
    except ValueError:
        return False


def refusal(
    headers: Mapping[str, str], client: Optional[Tuple[str, Any]], bound_address: str
) -> Optional[str]:
    """Why this request may not read the dashboard, or ``None`` when it may.

    ``headers`` are lower-case names; ``client`` is the ASGI scope's ``(address, port)``.
    """
    if client is not None and client[0] and not is_loopback_name(str(client[0]).lower()):
        return "The dashboard answers only this machine (a loopback client address)."
    host_value = headers.get("host", "")
    name, port = split_host(host_value)
    bound = split_host(bound_address)[0]
    if not (is_loopback_name(name) or (name and name == bound and not _unspecified(bound))):
        return (
            f"Host {host_value[:100]!r} is not allowed: open the dashboard through "
            "127.0.0.1, localhost or the address the host listens on."
        )
    site = headers.get("sec-fetch-site", "").strip().lower()
    origin = headers.get("origin")
    if origin is not None and not same_origin(origin, name, port):
        return f"Cross-origin request refused (Origin {origin[:100]!r})."
    if site in _FOREIGN_SITES:
        return f"Cross-site request refused (Sec-Fetch-Site: {site})."
    return None
