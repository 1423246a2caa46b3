# SPDX-License-Identifier: GPL-2.0-or-later
"""Client address normalisation shared by every per-client table.

Dual-stack sockets report IPv4 clients as IPv4-mapped IPv6 addresses
(::ffff:a.b.c.d); we fold those to plain IPv4 so a client has one identity
whichever socket its request arrived on.
"""

from __future__ import annotations

import functools
import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_client(address: str) -> IPAddress:
    """Parse a client address string, folding IPv4-mapped IPv6 to IPv4; ValueError if invalid."""
    addr = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


@functools.lru_cache(maxsize=65536)
def client_identity(address: str) -> tuple[IPAddress, str]:
    """(parsed address, canonical text) of a client; cached, as the same clients come back."""
    addr = parse_client(address)
    return addr, str(addr)
