"""The client's address behind reverse proxies we trust.

`X-Forwarded-For` is a list each proxy appends its peer to, so only the entries added by our
own proxies are true; anything left of them may be forged by the client. Reading from the right
and skipping our proxies gives the first address no trusted hop vouches beyond: the client.
A request whose direct peer is not one of our proxies keeps its peer address, whatever
headers it sends."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address.strip())
    except ValueError:
        return None


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    parsed = _parse(address)
    return parsed is not None and any(parsed in network for network in networks)


def client_address(
    remote_addr: str | None, forwarded_for: str | None, trusted: Sequence[Network]
) -> str | None:
    """The client of a request whose direct peer is `remote_addr`."""
    if not remote_addr or not _trusted(remote_addr, trusted) or not forwarded_for:
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",")]
    client = remote_addr
    for hop in reversed(hops):
        parsed = _parse(hop)
        if parsed is None:
            # A malformed entry ends what we can believe; the last good hop is the client.
            break
        client = str(parsed)
        if not any(parsed in network for network in trusted):
            break
    return client
