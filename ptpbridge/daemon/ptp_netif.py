# SPDX-License-Identifier: GPL-2.0-or-later
"""What the PTP service needs to know about the host's interfaces, read from the kernel.

The MAC becomes the clockIdentity (EUI-64) and PORT_PROPERTIES_NP's
physical address; the addresses become the port's protocol address and
the default management SET allow-list (this host only). Everything is read
in the calling thread's network namespace, through netlink (pyroute2), so
a daemon in a lab host sees that host's interfaces.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from pyroute2 import IPRoute

from ptpbridge.io.l2 import format_mac

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class InterfaceError(Exception):
    """An interface the config names cannot serve PTP; the message names it."""


@dataclass(frozen=True, slots=True)
class InterfaceFacts:
    name: str
    index: int
    mac: str  # "aa:bb:cc:dd:ee:ff"
    ipv4: tuple[ipaddress.IPv4Address, ...]
    ipv6: tuple[ipaddress.IPv6Address, ...]

    @property
    def mac_bytes(self) -> bytes:
        return bytes.fromhex(self.mac.replace(":", ""))


@dataclass(frozen=True, slots=True)
class HostFacts:
    """Every interface of this network namespace, by name."""

    interfaces: dict[str, InterfaceFacts]

    def interface(self, name: str) -> InterfaceFacts:
        try:
            return self.interfaces[name]
        except KeyError:
            raise InterfaceError(f"interface {name!r}: no such interface") from None

    def addresses(self) -> list[IpAddress]:
        """All IPv4 and IPv6 addresses of the host."""
        out: list[IpAddress] = []
        for facts in self.interfaces.values():
            out.extend(facts.ipv4)
            out.extend(facts.ipv6)
        return out

    def macs(self) -> set[str]:
        return {i.mac for i in self.interfaces.values() if i.mac != "00:00:00:00:00:00"}


def read_host() -> HostFacts:
    """Interfaces, MACs and addresses of the calling thread's network namespace."""
    macs: dict[int, tuple[str, str]] = {}
    v4: dict[int, list[ipaddress.IPv4Address]] = {}
    v6: dict[int, list[ipaddress.IPv6Address]] = {}
    with IPRoute() as ipr:
        for link in ipr.get_links():
            name = link.get_attr("IFLA_IFNAME")
            raw = link.get_attr("IFLA_ADDRESS") or "00:00:00:00:00:00"
            macs[int(link["index"])] = (str(name), format_mac(bytes.fromhex(str(raw).replace(":", ""))))
        for addr in ipr.get_addr():
            text = addr.get_attr("IFA_ADDRESS")
            if text is None:
                continue
            ip = ipaddress.ip_address(str(text))
            index = int(addr["index"])
            if isinstance(ip, ipaddress.IPv4Address):
                v4.setdefault(index, []).append(ip)
            else:
                v6.setdefault(index, []).append(ip)
    facts = {
        name: InterfaceFacts(name, index, mac, tuple(v4.get(index, ())), tuple(v6.get(index, ())))
        for index, (name, mac) in macs.items()
    }
    return HostFacts(facts)


def protocol_address(facts: InterfaceFacts, family: int) -> bytes:
    """The port's own address in network order (PORT_PROPERTIES_NP), preferring global IPv6."""
    if family == socket.AF_INET:
        return facts.ipv4[0].packed if facts.ipv4 else b""
    ranked = sorted(facts.ipv6, key=lambda a: a.is_link_local)
    return ranked[0].packed if ranked else b""
