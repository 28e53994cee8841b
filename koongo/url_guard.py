"""The SSRF guard: a URL that someone outside (a merchant, an integrator) gave us may be called only if it is https and
every address its host resolves to is public. Reusable by anything that calls such URLs (stores, outbound webhooks).

Checking is not enough: an HTTP client that resolves the host again may get another answer (DNS rebinding), so a
caller that connects should go through `PinnedTransport`, which connects only to the addresses the check vetted.

No Django here: callers pass `allow_private` from their settings (on only for development and the simulators).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

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


@dataclass(frozen=True)
class VettedUrl:
    """A URL that may be called, and the addresses its host resolved to when checked (none when not resolved)."""

    url: str
    host: str
    addresses: tuple[str, ...] = ()


def vet_url(url: str, *, allow_private: bool = False, resolve: Resolver | None = None) -> VettedUrl:
    """Return the URL with its vetted addresses if it may be called; raise UnsafeUrl with a message for a person otherwise.

    Every resolved address is checked, not just the first: a name with one public and one private address is refused.
    With `allow_private` nothing is resolved (no addresses): development calls whatever the name points at.
    """
    parts = urlsplit(url.strip())
    if not parts.hostname:
        raise UnsafeUrl(f"{url!r} is not a URL with a host name")
    if allow_private:
        if parts.scheme not in ("http", "https"):
            raise UnsafeUrl(f"{url!r} must start with https://")
        return VettedUrl(url, parts.hostname)
    if parts.scheme != "https":
        raise UnsafeUrl("The address must start with https://")
    try:
        port = parts.port or 443
    except ValueError:
        raise UnsafeUrl(f"{url!r} has an invalid port") from None
    # Looked up at call time (not bound as a default), so a test's stand-in DNS answers the check too.
    addresses = _addresses(parts.hostname, port, resolve or socket.getaddrinfo)
    if not addresses:
        raise UnsafeUrl(f"{parts.hostname} does not resolve")
    refused = sorted({str(a) for a in addresses if not is_public(a)})
    if refused:
        raise UnsafeUrl(f"{parts.hostname} resolves to a non-public address ({', '.join(refused)}); Koongo only calls public servers")
    return VettedUrl(url, parts.hostname, tuple(dict.fromkeys(str(a) for a in addresses)))


def check_url(url: str, *, allow_private: bool = False, resolve: Resolver | None = None) -> str:
    """Return `url` if it may be called; raise UnsafeUrl with a message for a person otherwise (see `vet_url`)."""
    return vet_url(url, allow_private=allow_private, resolve=resolve).url


class PinnedTransport(httpx.HTTPTransport):
    """An httpx transport that connects to the vetted addresses of the vetted host and never resolves it again.

    The request keeps its host name in the Host header and in TLS (SNI and the certificate check, through httpcore's
    `sni_hostname` extension); only the socket goes to the vetted address. Addresses are tried in the resolver's order.
    A URL vetted without resolving (development) connects as usual.
    """

    def __init__(self, vetted: VettedUrl, **kwargs):
        super().__init__(**kwargs)
        self.vetted = vetted

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self.vetted.addresses:
            return super().handle_request(request)
        if request.url.host != self.vetted.host:
            raise httpx.ConnectError(f"{request.url.host} was not vetted; only {self.vetted.host} may be called", request=request)
        named = request.url
        request.extensions = {**request.extensions, "sni_hostname": self.vetted.host}
        *fallbacks, last = self.vetted.addresses
        try:
            for address in fallbacks:
                request.url = named.copy_with(host=address)
                try:
                    return super().handle_request(request)
                except httpx.ConnectError:
                    continue  # nothing was sent: the next vetted address may answer
            request.url = named.copy_with(host=last)
            return super().handle_request(request)
        finally:
            request.url = named  # the response and any error name the host the caller asked for
