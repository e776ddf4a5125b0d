"""Who is on the other end of a request: the client's address, trusting `X-Forwarded-For` only from
the reverse proxies the operator named (`DUECOURSE_TRUSTED_PROXIES`), so that throttles count per
client rather than per proxy, and no client can pick its own address by sending the header."""

import ipaddress
from collections.abc import Iterable

from django.conf import settings

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# The prefix an IPv6 client is counted by: one subscriber usually holds a whole /64.
IPV6_THROTTLE_PREFIX = 64


def parse_networks(values: Iterable[str]) -> list[IPNetwork]:
    """IP addresses and CIDR networks ("10.0.0.5", "10.0.0.0/8", "::1"); ValueError names a bad one."""
    return [ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip()]


def _address(value: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address: IPAddress, networks: list[IPNetwork]) -> bool:
    return any(address in network for network in networks)


def client_address(request) -> str:
    """The client's IP address. `REMOTE_ADDR` (the direct peer), unless that peer is a trusted proxy:
    then `X-Forwarded-For` is read from the right (the hop nearest to us), skipping trusted proxies,
    and the first address not trusted is the client's. Hops a client may have forged (left of an
    untrusted one) are never read; a malformed hop ends the walk at the last trusted one."""
    peer = request.META.get("REMOTE_ADDR", "")
    networks = parse_networks(settings.TRUSTED_PROXIES)
    current = _address(peer)
    if current is None or not _trusted(current, networks):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([part for part in forwarded.split(",") if part.strip()]):
        address = _address(hop)
        if address is None:
            break
        current = address
        if not _trusted(address, networks):
            break
    return str(current)


def throttle_key(address: str) -> str:
    """What a per-client throttle counts by: the IPv4 address, or the IPv6 /64 it belongs to."""
    parsed = _address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_THROTTLE_PREFIX), strict=False))
    return str(parsed) if parsed is not None else address[:64]
