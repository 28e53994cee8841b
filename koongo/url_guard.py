"""The SSRF guard: a URL that someone outside (a merchant, an integrator) gave us may be called only if it is https and
every address its host resolves to is public. Reusable by anything that calls such URLs (stores, outbound webhooks).

No Django here: callers pass `allow_private` from their settings (on only for development and the simulators).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from koongo.http import PermanentError

Resolver = Callable[..., list]


class UnsafeUrl(PermanentError):
    """The URL may not be called: not https, no host, or a host that resolves to a non-public address."""


def _addresses(host: str, port: int, resolve: Resolver) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = resolve(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeUrl(f"{host} does not resolve: {error}") from None
    # sockaddr[0] may carry an IPv6 zone ("fe80::1%eth0"), which ip_address refuses; the zone is not the address.
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable unicast: not loopback, private, link-local (cloud metadata), CGNAT, multicast or reserved."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public(address.ipv4_mapped)
    return address.is_global and not address.is_multicast


def check_url(url: str, *, allow_private: bool = False, resolve: Resolver = socket.getaddrinfo) -> str:
    """Return `url` if it may be called; raise UnsafeUrl with a message for a person otherwise.

    Every resolved address is checked, not just the first: a name with one public and one private address is refused.
    """
    parts = urlsplit(url.strip())
    if not parts.hostname:
        raise UnsafeUrl(f"{url!r} is not a URL with a host name")
    if allow_private:
        if parts.scheme not in ("http", "https"):
            raise UnsafeUrl(f"{url!r} must start with https://")
        return url
    if parts.scheme != "https":
        raise UnsafeUrl("The address must start with https://")
    try:
        port = parts.port or 443
    except ValueError:
        raise UnsafeUrl(f"{url!r} has an invalid port") from None
    addresses = _addresses(parts.hostname, port, resolve)
    if not addresses:
        raise UnsafeUrl(f"{parts.hostname} does not resolve")
    refused = sorted({str(a) for a in addresses if not is_public(a)})
    if refused:
        raise UnsafeUrl(f"{parts.hostname} resolves to a non-public address ({', '.join(refused)}); Koongo only calls public servers")
    return url
