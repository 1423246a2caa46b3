# SPDX-License-Identifier: GPL-2.0-or-later
"""One PTP port's sockets: UDPv4/UDPv6 (event 319 + general 320) or IEEE 802.3 (one AF_PACKET).

The core names destinations abstractly (the primary or the peer-delay
multicast group, or a peer's address as it arrived); this module turns
them into socket addresses of the port's transport (IEEE 1588-2019
Annexes C, D, E) and sends event messages with a TX timestamp request,
general ones without. Received datagrams of both channels go to one
callback with their kernel timestamp already in the served clock's time
base (the I/O layer converts).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Protocol

import phc
from phc import HwTstampFilter, HwTstampTx, PhcError
from ptpbridge.core.ptp import Channel, Multicast
from ptpbridge.io import (
    IoSetupError,
    L2Config,
    L2Endpoint,
    RxPacket,
    SystemTimeBase,
    TimestampingUnavailable,
    TxHandle,
    UdpAddress,
    UdpConfig,
    UdpEndpoint,
    open_l2_endpoint,
    open_udp_endpoint,
)
from ptpbridge.io.timestamps import TimestampSource
from ptpbridge.io.udp import Family
from ptpbridge.wire.ptp.constants import (
    ETHERTYPE_PTP,
    EVENT_PORT,
    GENERAL_PORT,
    IPV4_PDELAY,
    IPV4_PRIMARY,
    IPV6_PDELAY,
    IPV6_PRIMARY,
    MAC_PDELAY,
    MAC_PRIMARY,
)

PeerAddress = UdpAddress | str
# Receive filters to ask the NIC for, best first (the driver may widen them, e.g. to ALL).
_HW_FILTERS = {
    "udpv4": (HwTstampFilter.PTP_V2_EVENT, HwTstampFilter.PTP_V2_L4_EVENT),
    "udpv6": (HwTstampFilter.PTP_V2_EVENT, HwTstampFilter.PTP_V2_L4_EVENT),
    "l2": (HwTstampFilter.PTP_V2_EVENT, HwTstampFilter.PTP_V2_L2_EVENT),
}
_GROUPS = {
    "udpv4": {Multicast.PRIMARY: IPV4_PRIMARY, Multicast.PDELAY: IPV4_PDELAY},
    "udpv6": {Multicast.PRIMARY: IPV6_PRIMARY, Multicast.PDELAY: IPV6_PDELAY},
    "l2": {Multicast.PRIMARY: MAC_PRIMARY, Multicast.PDELAY: MAC_PDELAY},
}
_UDP_PORT = {Channel.EVENT: EVENT_PORT, Channel.GENERAL: GENERAL_PORT}


class PortTransport(Protocol):
    """What the service needs from a port's sockets."""

    interface: str

    @property
    def source(self) -> TimestampSource: ...

    def send(self, channel: Channel, destination: Multicast | PeerAddress, data: bytes,
             timestamp: bool) -> TxHandle: ...

    def io_counters(self) -> dict[str, int]: ...

    def close(self) -> None: ...


def _phc_of(interface: str) -> str | None:
    try:
        return phc.timestamping_info(interface).phc_device
    except PhcError:
        return None


def choose_source(requested: str, interface: str, served_clock_name: str) -> TimestampSource:
    """Hardware stamps are PHC time, so they are only right when we serve that very PHC.

    "auto" takes hardware exactly then (and software otherwise); "hardware"
    fails with a reason when it does not hold.
    """
    if requested == "software":
        return "software"
    device = _phc_of(interface)
    same = device is not None and os.path.realpath(device) == os.path.realpath(served_clock_name)
    if same:
        return "hardware"
    if requested == "hardware":
        reason = ("the interface has no PTP hardware clock" if device is None
                  else f"its PHC is {device} but the daemon serves {served_clock_name}")
        raise TimestampingUnavailable(interface, "hardware timestamping", reason)
    return "software"


def enable_hardware(interface: str, transport: str) -> None:
    """Switch the NIC's PTP timestamping on (as ptp4l does at start)."""
    problem = ""
    for rx_filter in _HW_FILTERS[transport]:
        try:
            applied = phc.enable_hw_timestamping(interface, HwTstampTx.ON, rx_filter)
        except PhcError as exc:
            problem = exc.reason
            continue
        if applied.rx_filter != HwTstampFilter.NONE:
            return
        problem = f"the driver applied rx_filter {applied.rx_filter!r}"
    raise IoSetupError(interface, "enable hardware timestamping", problem)


class UdpPortTransport:
    """Event and general UDP sockets of one port, IPv4 or IPv6."""

    def __init__(self, interface: str, transport: str, p2p: bool, clock: SystemTimeBase,
                 source: TimestampSource, tx_timeout_s: float,
                 on_packet: Callable[[RxPacket[UdpAddress]], None], *, reuse_addr: bool = False) -> None:
        self.interface = interface
        self._groups = _GROUPS[transport]
        self._v6 = transport == "udpv6"
        family: Family = "ipv6" if self._v6 else "ipv4"
        joined = tuple(self._groups[m] for m in (Multicast.PRIMARY, Multicast.PDELAY)
                       if m is Multicast.PRIMARY or p2p)
        self._endpoints: dict[Channel, UdpEndpoint] = {}
        try:
            for channel, port in _UDP_PORT.items():
                # reuse_addr: sockets bound to our unicast addresses sit beside these (hybrid).
                cfg = UdpConfig(interface, port, family, multicast_groups=joined, reuse_addr=reuse_addr)
                self._endpoints[channel] = open_udp_endpoint(
                    cfg, clock, mode=source, tx_timeout=tx_timeout_s, on_packet=on_packet)
        except BaseException:
            self.close()
            raise
        self._event = self._endpoints[Channel.EVENT]
        self._general = self._endpoints[Channel.GENERAL]
        self._multicast = {
            (channel, group): (address, _UDP_PORT[channel])
            for channel in _UDP_PORT for group, address in self._groups.items()
        }

    @property
    def source(self) -> TimestampSource:
        return self._event.mode

    def send(self, channel: Channel, destination: Multicast | PeerAddress, data: bytes,
             timestamp: bool) -> TxHandle:
        endpoint = self._event if channel is Channel.EVENT else self._general
        if isinstance(destination, Multicast):
            addr: UdpAddress = self._multicast[(channel, destination)]
        elif isinstance(destination, str):
            raise TypeError("a MAC destination on a UDP port")
        elif self._v6:
            # The peer's address with the channel's well-known port, as ptp4l sends.
            addr = (destination[0], _UDP_PORT[channel], 0, destination[3] if len(destination) == 4 else 0)
        else:
            addr = (destination[0], _UDP_PORT[channel])
        return endpoint.send(data, addr, timestamp=timestamp)

    def io_counters(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for endpoint in self._endpoints.values():
            for key, value in endpoint.counters.as_dict().items():
                totals[key] = totals.get(key, 0) + value
        return totals

    def close(self) -> None:
        for endpoint in self._endpoints.values():
            endpoint.close()


class L2PortTransport:
    """One AF_PACKET socket for ethertype 0x88F7 carries both channels."""

    def __init__(self, interface: str, p2p: bool, clock: SystemTimeBase, source: TimestampSource,
                 tx_timeout_s: float, on_packet: Callable[[RxPacket[str]], None]) -> None:
        self.interface = interface
        groups = _GROUPS["l2"]
        macs = (groups[Multicast.PRIMARY], groups[Multicast.PDELAY]) if p2p else (groups[Multicast.PRIMARY],)
        cfg = L2Config(interface, ETHERTYPE_PTP, multicast_macs=macs)
        self._endpoint: L2Endpoint = open_l2_endpoint(cfg, clock, mode=source, tx_timeout=tx_timeout_s,
                                                      on_packet=on_packet)
        self._groups = groups

    @property
    def source(self) -> TimestampSource:
        return self._endpoint.mode

    def send(self, channel: Channel, destination: Multicast | PeerAddress, data: bytes,
             timestamp: bool) -> TxHandle:
        if isinstance(destination, Multicast):
            mac = self._groups[destination]
        elif isinstance(destination, str):
            mac = destination
        else:
            raise TypeError("an IP destination on an L2 port")
        return self._endpoint.send(data, mac, timestamp=timestamp)

    def io_counters(self) -> dict[str, int]:
        return self._endpoint.counters.as_dict()

    def close(self) -> None:
        self._endpoint.close()
