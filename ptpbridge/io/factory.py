# SPDX-License-Identifier: GPL-2.0-or-later
"""Opening endpoints: choose the timestamping mode, open the socket, switch stamping on.

Everything happens in the calling thread's network namespace and must run
inside the asyncio loop that will serve the endpoint.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TypeVar

from .endpoint import RxPacket, TimestampingEndpoint
from .errors import IoSetupError
from .l2 import L2Config, open_l2_socket
from .rx_warmup import wait_for_rx_timestamping
from .timestamps import SystemTimeBase
from .transports import L2Transport, Transport, UdpTransport
from .tsmode import ModeChoice, RequestedMode, choose_mode, enable_timestamping
from .udp import UdpAddress, UdpConfig, open_udp_socket

A = TypeVar("A")
UdpEndpoint = TimestampingEndpoint[UdpAddress]
L2Endpoint = TimestampingEndpoint[str]


def _endpoint(
    sock: socket.socket,
    transport: Transport[A],
    clock: SystemTimeBase,
    choice: ModeChoice,
    interface: str,
    tx_timeout: float,
    on_packet: Callable[[RxPacket[A]], None] | None,
    queue_size: int,
    rx_bufsize: int,
) -> TimestampingEndpoint[A]:
    """Switch timestamping on and wrap the socket; the socket is closed on any failure."""
    try:
        enable_timestamping(sock, choice.source)
        if choice.source == "software":
            wait_for_rx_timestamping()
        return TimestampingEndpoint(
            sock, transport, clock, choice, interface=interface, tx_timeout=tx_timeout,
            on_packet=on_packet, queue_size=queue_size, rx_bufsize=rx_bufsize,
        )
    except OSError as exc:
        sock.close()
        raise IoSetupError(interface, "enable SO_TIMESTAMPING", exc.strerror or str(exc)) from exc
    except BaseException:
        sock.close()
        raise


def open_udp_endpoint(
    cfg: UdpConfig,
    clock: SystemTimeBase,
    *,
    mode: RequestedMode = "auto",
    tx_timeout: float = 0.1,
    on_packet: Callable[[RxPacket[UdpAddress]], None] | None = None,
    queue_size: int = 4096,
    rx_bufsize: int = 2048,
) -> UdpEndpoint:
    """A timestamping UDP endpoint (PTP event/general port, NTP server worker)."""
    choice = choose_mode(cfg.interface, mode)
    sock, ifindex = open_udp_socket(cfg)
    return _endpoint(sock, UdpTransport(cfg.family, ifindex), clock, choice, cfg.interface,
                     tx_timeout, on_packet, queue_size, rx_bufsize)


def open_l2_endpoint(
    cfg: L2Config,
    clock: SystemTimeBase,
    *,
    mode: RequestedMode = "auto",
    tx_timeout: float = 0.1,
    on_packet: Callable[[RxPacket[str]], None] | None = None,
    queue_size: int = 4096,
    rx_bufsize: int = 2048,
) -> L2Endpoint:
    """A timestamping raw-Ethernet endpoint for one ethertype (IEEE 802.3 PTP)."""
    choice = choose_mode(cfg.interface, mode)
    sock, _ = open_l2_socket(cfg)
    return _endpoint(sock, L2Transport(cfg.interface, cfg.ethertype), clock, choice, cfg.interface,
                     tx_timeout, on_packet, queue_size, rx_bufsize)
