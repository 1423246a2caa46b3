# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal UDPv4 I/O loop around a PtpClock, for interop tests against ptp4l and pmc in a lab host.

Test scaffolding, not the daemon's I/O layer: one thread, two sockets
(319 and 320) joined to 224.0.1.129, kernel software timestamps
(SO_TIMESTAMPING; TX stamps read back from the error queue right after
each event send, one at a time, as ptp4l does). The lab hosts share
CLOCK_REALTIME, so the PTP clock here is CLOCK_REALTIME + 37 s (TAI).
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from typing import Any

from phc.net_tstamp import SCM_TIMESTAMPING, SO_TIMESTAMPING, SofFlag
from ptpbridge.core.ptp import Action, Channel, Multicast, PtpClock, SendMessage

Addr = tuple[str, int]
GROUP = "224.0.1.129"
PORTS = {Channel.EVENT: 319, Channel.GENERAL: 320}
UTC_OFFSET_NS = 37 * 1_000_000_000
_TIMESPEC3 = struct.Struct("qqqqqq")
_STAMP_FLAGS = SofFlag.RX_SOFTWARE | SofFlag.TX_SOFTWARE | SofFlag.SOFTWARE | SofFlag.OPT_TSONLY


def tai_now() -> int:
    return time.clock_gettime_ns(time.CLOCK_REALTIME) + UTC_OFFSET_NS


def _stamp(ancdata: list[tuple[int, int, bytes]]) -> int | None:
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPING and len(data) >= _TIMESPEC3.size:
            sec, nsec = _TIMESPEC3.unpack_from(data)[:2]
            if sec or nsec:
                return sec * 1_000_000_000 + nsec + UTC_OFFSET_NS
    return None


class UdpLoop:
    def __init__(self, host: Any, clock: PtpClock[Addr]) -> None:
        self.clock = clock
        self.events: list[Action[Addr]] = []
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._socks: dict[Channel, socket.socket] = {}
        for channel, port in PORTS.items():
            s = host.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("", port))
            mreq = struct.pack("4s4s", socket.inet_aton(GROUP), socket.inet_aton(host.ipv4))
            s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(host.ipv4))
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
            s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING, int(_STAMP_FLAGS))
            s.setblocking(False)
            self._socks[channel] = s
        self._thread = threading.Thread(target=self._run, name="ptp-udp-loop", daemon=True)

    def __enter__(self) -> UdpLoop:
        with self.lock:
            self.clock.start(time.monotonic_ns())
            self._execute()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        for s in self._socks.values():
            s.close()

    def _run(self) -> None:
        socks = list(self._socks.values())
        while not self._stop.is_set():
            with self.lock:
                deadline = self.clock.next_deadline()
            wait = 0.05 if deadline is None else (deadline - time.monotonic_ns()) / 1e9
            readable, _, _ = select.select(socks, [], [], min(0.05, max(0.0, wait)))
            for s in readable:
                try:
                    data, anc, _, addr = s.recvmsg(2048, 1024)
                except BlockingIOError:
                    continue
                with self.lock:
                    self.clock.receive(1, data, addr, _stamp(anc), time.monotonic_ns())
                    self._execute()
            with self.lock:
                now = time.monotonic_ns()
                deadline = self.clock.next_deadline()
                if deadline is not None and deadline <= now:
                    self.clock.handle_timer(now, tai_now())
                self._execute()

    def _execute(self) -> None:
        # Reporting a TX timestamp may queue more (a Follow_Up): run until nothing is left.
        while actions := self.clock.poll_actions():
            for action in actions:
                if isinstance(action, SendMessage):
                    self._send(action)
                else:
                    self.events.append(action)

    def _send(self, action: SendMessage[Addr]) -> None:
        s = self._socks[action.channel]
        port = PORTS[action.channel]
        dest = (GROUP, port) if isinstance(action.destination, Multicast) else (action.destination[0], port)
        s.sendto(action.data, dest)
        if action.tx_timestamp_handle is None:
            return
        stamp = None
        end = time.monotonic() + 0.02
        while stamp is None and time.monotonic() < end:
            select.select([], [], [s], 0.005)
            try:
                _, anc, _, _ = s.recvmsg(1, 1024, socket.MSG_ERRQUEUE)
            except BlockingIOError:
                continue
            stamp = _stamp(anc)
        self.clock.tx_timestamp(action.port, action.tx_timestamp_handle, stamp, time.monotonic_ns())
