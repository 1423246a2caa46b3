# SPDX-License-Identifier: GPL-2.0-or-later
"""Reference identifiers (RFC 5905 section 7.3): what a server says it is synchronised to.

Stratum 1 servers send a left-justified, zero-padded ASCII code of up to
four characters naming the reference (GPS, PPS, PHC, LOCL, ...). Higher
strata send the IPv4 address of their upstream server, or for an IPv6
upstream the first four octets of the MD5 hash of its address.
"""

from __future__ import annotations

import hashlib
import ipaddress


def refid_ascii(code: str) -> bytes:
    """A 1-4 character ASCII reference code, zero-padded to 4 octets."""
    raw = code.encode("ascii")
    if not 1 <= len(raw) <= 4 or not all(0x20 < c < 0x7F for c in raw):
        raise ValueError(f"reference code must be 1-4 printable ASCII characters: {code!r}")
    return raw.ljust(4, b"\x00")


def refid_ipv4(address: str) -> bytes:
    """The reference id of an IPv4 upstream server: its address."""
    return ipaddress.IPv4Address(address).packed


def refid_ipv6(address: str) -> bytes:
    """The reference id of an IPv6 upstream server: first 4 octets of MD5(address)."""
    packed = ipaddress.IPv6Address(address).packed
    return hashlib.md5(packed, usedforsecurity=False).digest()[:4]


def refid_for_source(source: str) -> bytes:
    """The reference id for a source given as an upstream IP address or an ASCII code."""
    try:
        addr = ipaddress.ip_address(source)
    except ValueError:
        return refid_ascii(source)
    if isinstance(addr, ipaddress.IPv6Address):
        mapped = addr.ipv4_mapped
        return mapped.packed if mapped is not None else refid_ipv6(source)
    return addr.packed
