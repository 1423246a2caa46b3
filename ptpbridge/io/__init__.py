# SPDX-License-Identifier: GPL-2.0-or-later
"""I/O layer: timestamping sockets and asyncio glue shared by PTP and NTP.

It moves bytes and kernel timestamps, nothing else: no PTP or NTP parsing.
Open an endpoint with ``open_udp_endpoint`` or ``open_l2_endpoint``; every
received packet carries its RX timestamp and every send returns a TxHandle
for its TX timestamp, both as ``PacketTimestamp`` (raw kernel value, value in
the daemon clock's time base, and source).

A PTP event port (UDPv4; the groups and port are the caller's)::

    ep = open_udp_endpoint(UdpConfig("eth0", 319, "ipv4", multicast_groups=("224.0.1.129",)),
                           clock, mode="hardware", tx_timeout=0.01)
    sync = ep.send(sync_bytes, ("224.0.1.129", 319))
    t1 = await sync.timestamp()          # PacketTimestamp, or None after the timeout
    packet = await ep.recv()             # RxPacket(data, addr, timestamp)

An NTP server worker (one per SO_REUSEPORT socket), answering from a callback::

    def on_packet(p: RxPacket[UdpAddress]) -> None:
        handle = ep.send(answer(p.data, p.timestamp), p.addr)
        handle.add_done_callback(remember_tx_for_interleaved_mode)

    ep = open_udp_endpoint(UdpConfig("eth0", 123, reuse_port=True), clock, on_packet=on_packet)
"""

from .counters import IoCounters
from .endpoint import RxPacket, TimestampingEndpoint
from .errors import EndpointClosed, IoSetupError, TimestampingUnavailable
from .factory import L2Endpoint, UdpEndpoint, open_l2_endpoint, open_udp_endpoint
from .l2 import L2Config
from .timestamps import PacketTimestamp, SystemTimeBase, TimestampSource
from .tsmode import ModeChoice, RequestedMode
from .txtrack import TxHandle
from .udp import UdpAddress, UdpConfig

__all__ = [
    "EndpointClosed",
    "IoCounters",
    "IoSetupError",
    "L2Config",
    "L2Endpoint",
    "ModeChoice",
    "PacketTimestamp",
    "RequestedMode",
    "RxPacket",
    "SystemTimeBase",
    "TimestampSource",
    "TimestampingEndpoint",
    "TimestampingUnavailable",
    "TxHandle",
    "UdpAddress",
    "UdpConfig",
    "UdpEndpoint",
    "open_l2_endpoint",
    "open_udp_endpoint",
]
