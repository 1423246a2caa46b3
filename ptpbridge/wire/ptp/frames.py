# SPDX-License-Identifier: GPL-2.0-or-later
"""PTP transports (Annexes C, D, E): finding PTP in a frame, building frames around it.

``ptp_in_frame`` walks a captured frame's octets (Ethernet with any number of
802.1Q/802.1ad tags, Linux cooked captures, raw IP) down to the PTP octets,
without scapy, so tools can feed the same octets to both codecs. The
``*_frame`` builders wrap a scapy PTP layer for captures and tests, choosing
port 319 or 320 and the multicast group by message type.
"""

# The builders use scapy's untyped Packet API.
# mypy: disable-error-code="no-untyped-call,no-any-return"

from __future__ import annotations

import ipaddress
import struct
from typing import Literal, NamedTuple

from ptpbridge.wire.ptp.constants import (
    ETHERTYPE_PTP,
    ETHERTYPE_VLAN,
    EVENT_MESSAGES,
    EVENT_PORT,
    GENERAL_PORT,
    IPV4_PDELAY,
    IPV4_PRIMARY,
    IPV6_PDELAY,
    IPV6_PRIMARY,
    MAC_PDELAY,
    MAC_PRIMARY,
    MessageType,
)

Transport = Literal["udp4", "udp6", "l2"]

# pcap link-layer header types we can walk.
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276

_ETHERTYPE_IPV4 = 0x0800
_ETHERTYPE_IPV6 = 0x86DD
_VLAN_TAGS = frozenset({ETHERTYPE_VLAN, 0x88A8, 0x9100})
_IPPROTO_UDP = 17
# IPv6 extension headers with the common (next header, length in 8-octet units) layout.
_IPV6_EXTENSIONS = frozenset({0, 43, 60})
_PDELAY_TYPES = frozenset({MessageType.PDELAY_REQ, MessageType.PDELAY_RESP, MessageType.PDELAY_RESP_FOLLOW_UP})


class PtpInFrame(NamedTuple):
    """The PTP octets of a frame and how they travelled."""

    payload: bytes
    transport: Transport
    src: str
    dst: str
    vlan: int | None


def udp_port(message_type: int) -> int:
    """319 for event messages, 320 for general ones."""
    return EVENT_PORT if message_type in EVENT_MESSAGES else GENERAL_PORT


def multicast_group(message_type: int, transport: Transport) -> str:
    """The default destination: the peer-delay group for Pdelay_*, else the primary one."""
    pdelay = message_type in _PDELAY_TYPES
    if transport == "udp4":
        return IPV4_PDELAY if pdelay else IPV4_PRIMARY
    if transport == "udp6":
        return IPV6_PDELAY if pdelay else IPV6_PRIMARY
    return MAC_PDELAY if pdelay else MAC_PRIMARY


def _multicast_mac(ip: str) -> str:
    addr = ipaddress.ip_address(ip)
    if addr.version == 4:
        low = int(addr) & 0x7FFFFF
        return "01:00:5e:" + ":".join(f"{b:02x}" for b in low.to_bytes(3, "big"))
    return "33:33:" + ":".join(f"{b:02x}" for b in addr.packed[-4:])


def ptp_in_frame(frame: bytes, linktype: int = LINKTYPE_ETHERNET) -> PtpInFrame | None:
    """The PTP octets inside a captured frame, or None if it carries no PTP.

    UDP datagrams to or from port 319/320 and frames of ethertype 0x88F7
    count as PTP; truncated or non-first-fragment packets do not.
    """
    vlan: int | None = None
    src = dst = ""
    if linktype == LINKTYPE_ETHERNET:
        if len(frame) < 14:
            return None
        dst, src = _mac(frame[0:6]), _mac(frame[6:12])
        ethertype = (frame[12] << 8) | frame[13]
        pos = 14
        while ethertype in _VLAN_TAGS and len(frame) >= pos + 4:
            if vlan is None:
                vlan = ((frame[pos] << 8) | frame[pos + 1]) & 0x0FFF
            ethertype = (frame[pos + 2] << 8) | frame[pos + 3]
            pos += 4
    elif linktype == LINKTYPE_LINUX_SLL:
        if len(frame) < 16:
            return None
        ethertype, pos = (frame[14] << 8) | frame[15], 16
    elif linktype == LINKTYPE_LINUX_SLL2:
        if len(frame) < 20:
            return None
        ethertype, pos = (frame[0] << 8) | frame[1], 20
    elif linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6):
        if not frame:
            return None
        ethertype = _ETHERTYPE_IPV4 if frame[0] >> 4 == 4 else _ETHERTYPE_IPV6
        pos = 0
    else:
        return None

    if ethertype == ETHERTYPE_PTP:
        return PtpInFrame(bytes(frame[pos:]), "l2", src, dst, vlan)
    if ethertype == _ETHERTYPE_IPV4:
        return _udp4(frame, pos, vlan)
    if ethertype == _ETHERTYPE_IPV6:
        return _udp6(frame, pos, vlan)
    return None


def _mac(octets: bytes) -> str:
    return ":".join(f"{b:02x}" for b in octets)


def _udp4(frame: bytes, pos: int, vlan: int | None) -> PtpInFrame | None:
    if len(frame) < pos + 20 or frame[pos] >> 4 != 4:
        return None
    ihl = (frame[pos] & 15) * 4
    total = (frame[pos + 2] << 8) | frame[pos + 3]
    frag = ((frame[pos + 6] << 8) | frame[pos + 7]) & 0x1FFF
    if frame[pos + 9] != _IPPROTO_UDP or frag or ihl < 20:
        return None
    src = str(ipaddress.IPv4Address(frame[pos + 12 : pos + 16]))
    dst = str(ipaddress.IPv4Address(frame[pos + 16 : pos + 20]))
    end = min(len(frame), pos + total)
    return _udp(frame, pos + ihl, end, "udp4", src, dst, vlan)


def _udp6(frame: bytes, pos: int, vlan: int | None) -> PtpInFrame | None:
    if len(frame) < pos + 40 or frame[pos] >> 4 != 6:
        return None
    plen = (frame[pos + 4] << 8) | frame[pos + 5]
    nxt = frame[pos + 6]
    src = str(ipaddress.IPv6Address(frame[pos + 8 : pos + 24]))
    dst = str(ipaddress.IPv6Address(frame[pos + 24 : pos + 40]))
    end = min(len(frame), pos + 40 + plen)
    pos += 40
    while nxt in _IPV6_EXTENSIONS and pos + 2 <= end:
        nxt, pos = frame[pos], pos + 8 * (frame[pos + 1] + 1)
    if nxt != _IPPROTO_UDP:
        return None
    return _udp(frame, pos, end, "udp6", src, dst, vlan)


def _udp(
    frame: bytes, pos: int, end: int, transport: Transport, src: str, dst: str, vlan: int | None
) -> PtpInFrame | None:
    if end < pos + 8:
        return None
    sport, dport, ulen = struct.unpack_from(">HHH", frame, pos)
    ports = (EVENT_PORT, GENERAL_PORT)
    if sport not in ports and dport not in ports:
        return None
    stop = min(end, pos + ulen) if ulen >= 8 else end
    return PtpInFrame(bytes(frame[pos + 8 : stop]), transport, src, dst, vlan)


# --- builders (scapy) ---------------------------------------------------------------


def _message_type(ptp: object) -> int:
    return int(getattr(ptp, "messageType", 0))


def udp4_frame(
    ptp: object,
    src: str = "198.18.0.1",
    dst: str | None = None,
    src_mac: str = "02:00:00:00:00:01",
    vlan: int | None = None,
) -> object:
    """Ether / [802.1Q] / IPv4 / UDP / ptp, to the default group unless ``dst`` is given."""
    return _udp_frame(ptp, "udp4", src, dst, src_mac, vlan)


def udp6_frame(
    ptp: object,
    src: str = "fd70:6274::1",
    dst: str | None = None,
    src_mac: str = "02:00:00:00:00:01",
    vlan: int | None = None,
) -> object:
    """Ether / [802.1Q] / IPv6 / UDP / ptp."""
    return _udp_frame(ptp, "udp6", src, dst, src_mac, vlan)


def _udp_frame(
    ptp: object, transport: Literal["udp4", "udp6"], src: str, dst: str | None, src_mac: str, vlan: int | None
) -> object:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.inet6 import IPv6

    mtype = _message_type(ptp)
    dst = dst or multicast_group(mtype, transport)
    port = udp_port(mtype)
    ip = IP(src=src, dst=dst, ttl=1) if transport == "udp4" else IPv6(src=src, dst=dst, hlim=1)
    udp = ip / UDP(sport=port, dport=port) / ptp
    return _ether(udp, src_mac, _multicast_mac(dst) if ipaddress.ip_address(dst).is_multicast else None, vlan)


def l2_frame(
    ptp: object,
    src_mac: str = "02:00:00:00:00:01",
    dst_mac: str | None = None,
    vlan: int | None = None,
    priority: int = 0,
) -> object:
    """Ether / [802.1Q] / ptp (ethertype 0x88F7)."""
    from scapy.layers.l2 import Dot1Q, Ether

    dst_mac = dst_mac or multicast_group(_message_type(ptp), "l2")
    if vlan is None:
        return Ether(src=src_mac, dst=dst_mac, type=ETHERTYPE_PTP) / ptp
    return Ether(src=src_mac, dst=dst_mac) / Dot1Q(vlan=vlan, prio=priority, type=ETHERTYPE_PTP) / ptp


def _ether(payload: object, src_mac: str, dst_mac: str | None, vlan: int | None) -> object:
    from scapy.layers.l2 import Dot1Q, Ether

    if vlan is None:
        return Ether(src=src_mac, dst=dst_mac) / payload
    return Ether(src=src_mac, dst=dst_mac) / Dot1Q(vlan=vlan) / payload
