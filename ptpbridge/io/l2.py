# SPDX-License-Identifier: GPL-2.0-or-later
"""Raw Ethernet sockets (AF_PACKET) for one ethertype on one interface.

SOCK_DGRAM: the kernel writes and strips the Ethernet header, so the bytes
moved are the payload after the ethertype; the peer is a MAC address.  The
ethertype and the multicast MACs are the caller's (IEEE 802.3 PTP passes
0x88F7 and 01:1b:19:00:00:00 / 01:80:c2:00:00:0e).
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from phc.net_tstamp import PACKET_ADD_MEMBERSHIP, PACKET_MR_MULTICAST, SOL_PACKET

from .errors import IoSetupError
from .udp import interface_index

ETH_ALEN = 6


@dataclass(frozen=True, slots=True)
class L2Config:
    """Interface, ethertype and multicast MACs of an AF_PACKET endpoint."""

    interface: str
    ethertype: int
    multicast_macs: tuple[str, ...] = ()


def parse_mac(text: str) -> bytes:
    """'01:1b:19:00:00:00' -> 6 bytes; ValueError for anything else."""
    parts = text.split(":")
    if len(parts) != ETH_ALEN or not all(len(p) == 2 for p in parts):
        raise ValueError(f"not a MAC address: {text!r}")
    return bytes(int(p, 16) for p in parts)


def format_mac(raw: bytes) -> str:
    """6 bytes -> '01:1b:19:00:00:00'."""
    return ":".join(f"{b:02x}" for b in raw[:ETH_ALEN])


def open_l2_socket(cfg: L2Config) -> tuple[socket.socket, int]:
    """A non-blocking AF_PACKET socket for ``cfg``, and the interface index.

    The socket is opened with protocol 0 and bound to the interface and
    ethertype in one step, so it never sees frames of other interfaces.
    """
    operation = f"open AF_PACKET ethertype 0x{cfg.ethertype:04x}"
    ifindex = interface_index(cfg.interface, operation)
    try:
        macs = [parse_mac(m) for m in cfg.multicast_macs]
    except ValueError as exc:
        raise IoSetupError(cfg.interface, operation, str(exc)) from None
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, 0)
    try:
        sock.bind((cfg.interface, cfg.ethertype))
        for mac in macs:
            # struct packet_mreq: ifindex, type, address length, address[8]
            mreq = struct.pack("=iHH8s", ifindex, PACKET_MR_MULTICAST, ETH_ALEN, mac)
            sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise IoSetupError(cfg.interface, operation, exc.strerror or str(exc)) from exc
    return sock, ifindex
