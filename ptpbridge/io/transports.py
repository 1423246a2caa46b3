# SPDX-License-Identifier: GPL-2.0-or-later
"""How each socket kind spells a peer address, in both directions.

The endpoint is the same for UDP and raw Ethernet; only this mapping between
the caller's address and the kernel's sockaddr tuple differs.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from .l2 import format_mac, parse_mac
from .udp import Family, UdpAddress, udp_destination

A = TypeVar("A")


class Transport(Protocol[A]):
    """Address mapping and error semantics of one socket kind."""

    def destination(self, addr: A) -> Any:
        """The sockaddr to pass to sendmsg for ``addr``."""
        ...

    def source(self, raw: Any) -> A | None:
        """The peer address of a received datagram; None to ignore it."""
        ...

    def send_error_took_key(self, err: int) -> bool:
        """Whether a failed timestamped send still consumed an OPT_ID key."""
        ...


# The kernel takes the OPT_ID key while it builds the packet and gives it back
# on every error up to that point (bad address, no route, EMSGSIZE, EAGAIN);
# a packet dropped after that (netfilter: EPERM, device/qdisc drop: ENOBUFS)
# keeps its key.  tests/io proves both sides against the running kernel.
_KEY_TAKEN = frozenset({errno.EPERM, errno.ENOBUFS})


@dataclass(frozen=True, slots=True)
class UdpTransport:
    """(host, port) for IPv4; (host, port[, flowinfo, scope]) for IPv6."""

    family: Family
    ifindex: int

    def destination(self, addr: UdpAddress) -> Any:
        return udp_destination(addr, self.family, self.ifindex)

    def source(self, raw: Any) -> UdpAddress | None:
        return tuple(raw)

    def send_error_took_key(self, err: int) -> bool:
        return err in _KEY_TAKEN


@dataclass(frozen=True, slots=True)
class L2Transport:
    """Peers are MAC strings ('01:1b:19:00:00:00')."""

    interface: str
    ethertype: int

    def destination(self, addr: str) -> Any:
        return (self.interface, self.ethertype, 0, 0, parse_mac(addr))

    def source(self, raw: Any) -> str | None:
        # raw = (ifname, proto, pkttype, hatype, address)
        if raw[2] == socket.PACKET_OUTGOING:  # a frame we sent, seen by a tap
            return None
        return format_mac(raw[4])

    def send_error_took_key(self, err: int) -> bool:
        return err in _KEY_TAKEN
