"""The webhook SSRF guard: http(s) only, and no private, loopback, link-local or reserved targets by default."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from cryptodesk.core.errors import ConfigError


def redact(url: str) -> str:
    """``scheme://host[:port]/…``: webhook paths and queries often carry secrets and never reach logs."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


def _forbidden(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (
        addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
    )


def check_url(url: str, *, allow_private: bool, parameter: str = "url") -> None:
    """Raise ConfigError unless ``url`` is http(s) with a host that resolves only to public addresses.

    ``allow_private`` lifts the address check (tests and in-house receivers); the
    scheme check always applies. Resolution happens at every delivery, so a name
    that starts pointing inside the network is refused then.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise ConfigError(f"{parameter}: not a valid URL", parameter=parameter) from e
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{parameter}: webhook URLs must be http(s)://host/...", parameter=parameter)
    if parts.username or parts.password:
        raise ConfigError(f"{parameter}: credentials in the URL are not allowed", parameter=parameter)
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, port or (443 if parts.scheme == "https" else 80))
    except OSError as e:
        raise ConfigError(f"{parameter}: cannot resolve {parts.hostname!r}", parameter=parameter) from e
    for info in infos:
        addr = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if _forbidden(addr):
            raise ConfigError(
                f"{parameter}: {redact(url)} resolves to a private, loopback or link-local address ({addr})",
                parameter=parameter,
                hint="Set allow_private_webhooks = true in the alerts file to allow in-house receivers.",
            )
