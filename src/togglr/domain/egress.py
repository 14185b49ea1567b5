"""Where the server may send requests of its own (notification channels): the SSRF policy.

A channel URL is chosen by a project manager, and the server sends to it from inside the network.
Unless the operator allows it (`TOGGLR_WEBHOOK_ALLOW_PRIVATE`), such requests may only go to
public addresses: not to loopback, private, link-local (cloud metadata), multicast, unspecified
or reserved ones. A host name is judged by every address it resolves to, on every look-up, and the
caller connects to the addresses returned, so the name cannot point elsewhere between the check
and the connection (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Looks a host name up: its addresses as text, or UnresolvableHostError.
Resolver = Callable[[str, int], Awaitable[list[str]]]

ALLOW_SETTING = "TOGGLR_WEBHOOK_ALLOW_PRIVATE"
DEFAULT_PORTS = {"http": 80, "https": 443}
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # well-known prefix: the last 32 bits are IPv4


class EgressRefusedError(Exception):
    """The target is an internal address; the text says which and why."""


class UnresolvableHostError(Exception):
    """The host name has no address (or the look-up failed)."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, where the network would route it there."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal(address: str) -> str | None:
    """Why `address` is no place for the server's requests ("loopback", "private", ...), or None
    for a public address."""
    ip: IPAddress = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return refusal(str(embedded))
    # Order matters: the most telling name first (127.0.0.1 is also "private" to ipaddress).
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("non-public", not ip.is_global),  # e.g. shared address space 100.64.0.0/10
    )
    return next((name for name, hit in checks if hit), None)


def literal_address(host: str) -> str | None:
    """`host` as a normalised IP address when it is one (not a name to look up)."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def url_target(url: str) -> tuple[str, int]:
    """Host and port an http(s) URL connects to. Raises ValueError for a URL without them."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host or parts.scheme not in DEFAULT_PORTS:
        raise ValueError("not an http(s) URL with a host")
    return host, parts.port or DEFAULT_PORTS[parts.scheme]


@dataclass(slots=True)
class EgressPolicy:
    """One policy for the check when a channel is saved and the connection when a message is sent."""

    resolve: Resolver
    allow_private: bool = False

    async def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for host:port, after one look-up. Raises EgressRefusedError when
        any of them is internal (a name with one internal address is refused as a whole)."""
        literal = literal_address(host)
        found = [literal] if literal else await self.resolve(host, port)
        if not found:
            raise UnresolvableHostError(host)
        if self.allow_private:
            return found
        for address in found:
            reason = refusal(address)
            if reason is not None:
                article = "an" if reason[0] in "aeiou" else "a"
                what = (
                    f"{host} is {article} {reason} address"
                    if literal
                    else f"{host} resolves to {address}, {article} {reason} address"
                )
                raise EgressRefusedError(
                    f"{what}; notifications go to public addresses only "
                    f"({ALLOW_SETTING}=true allows internal ones)"
                )
        return found
