# SPDX-License-Identifier: GPL-2.0-or-later
"""UDP sockets over IPv4 and IPv6, bound to one interface, for PTP and NTP alike.

The group list, port and hop limit are the caller's: this module knows no
protocol.  Multicast is sent out of the bound interface only, never looped
back to ourselves, and only groups joined on this socket are received.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import Literal

from .errors import IoSetupError

Family = Literal["ipv4", "ipv6"]
UdpAddress = tuple[str, int] | tuple[str, int, int, int]

# Not exported by Python 3.11's socket module (linux/in.h, linux/in6.h); the
# default of 1 would deliver every group any socket joined on the interface.
_IP_MULTICAST_ALL = 49
_IPV6_MULTICAST_ALL = 29


@dataclass(frozen=True, slots=True)
class UdpConfig:
    """Where a UDP endpoint lives and which multicast groups it joins."""

    interface: str
    port: int
    family: Family = "ipv4"
    bind_address: str | None = None  # None: the wildcard, needed to receive multicast
    multicast_groups: tuple[str, ...] = ()
    multicast_hops: int = 1
    multicast_loop: bool = False
    reuse_port: bool = False  # several NTP workers on one port
    reuse_addr: bool = False
    dscp: int = 0


def _join_v4(sock: socket.socket, group: str, ifindex: int) -> None:
    # struct ip_mreqn: group, local address (any), interface index
    mreqn = struct.pack("=4s4si", socket.inet_aton(group), bytes(4), ifindex)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)


def _join_v6(sock: socket.socket, group: str, ifindex: int) -> None:
    # struct ipv6_mreq: group, interface index
    mreq = struct.pack("=16sI", socket.inet_pton(socket.AF_INET6, group), ifindex)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)


def _configure_v4(sock: socket.socket, cfg: UdpConfig, ifindex: int) -> None:
    sock.setsockopt(socket.IPPROTO_IP, _IP_MULTICAST_ALL, 0)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, cfg.multicast_hops)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, int(cfg.multicast_loop))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, struct.pack("=4s4si", bytes(4), bytes(4), ifindex))
    if cfg.dscp:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, cfg.dscp << 2)


def _configure_v6(sock: socket.socket, cfg: UdpConfig, ifindex: int) -> None:
    # A v6 socket must not also take the v4 traffic of the same port.
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.setsockopt(socket.IPPROTO_IPV6, _IPV6_MULTICAST_ALL, 0)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, cfg.multicast_hops)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, int(cfg.multicast_loop))
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
    if cfg.dscp:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, cfg.dscp << 2)


def interface_index(interface: str, operation: str) -> int:
    """The interface's index in the current network namespace, or a clear error."""
    try:
        return socket.if_nametoindex(interface)
    except OSError:
        raise IoSetupError(interface, operation, "no such interface") from None


def open_udp_socket(cfg: UdpConfig) -> tuple[socket.socket, int]:
    """A non-blocking UDP socket as ``cfg`` says, and the interface index.

    Created in the calling thread's network namespace.
    """
    operation = f"open UDP/{cfg.family} port {cfg.port}"
    ifindex = interface_index(cfg.interface, operation)
    af = socket.AF_INET if cfg.family == "ipv4" else socket.AF_INET6
    sock = socket.socket(af, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, cfg.interface.encode())
        if cfg.reuse_addr:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if cfg.reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if af == socket.AF_INET:
            _configure_v4(sock, cfg, ifindex)
            sock.bind((cfg.bind_address or "0.0.0.0", cfg.port))
            for group in cfg.multicast_groups:
                _join_v4(sock, group, ifindex)
        else:
            _configure_v6(sock, cfg, ifindex)
            sock.bind((cfg.bind_address or "::", cfg.port, 0, 0))
            for group in cfg.multicast_groups:
                _join_v6(sock, group, ifindex)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise IoSetupError(cfg.interface, operation, exc.strerror or str(exc)) from exc
    return sock, ifindex


def _needs_scope(host: str) -> bool:
    """Link-local unicast (fe80::/10) and link-local multicast (ff02::/16)."""
    packed = socket.inet_pton(socket.AF_INET6, host.split("%", 1)[0])
    return (packed[0] == 0xFE and packed[1] & 0xC0 == 0x80) or (packed[0] == 0xFF and packed[1] & 0x0F == 0x02)


def udp_destination(addr: UdpAddress, family: Family, ifindex: int) -> UdpAddress:
    """Complete a caller's (host, port): link-local IPv6 needs the interface as scope."""
    if family == "ipv4" or len(addr) == 4:
        return addr
    host, port = addr[0], addr[1]
    return (host, port, 0, ifindex if _needs_scope(host) else 0)
