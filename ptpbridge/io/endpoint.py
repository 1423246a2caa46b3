# SPDX-License-Identifier: GPL-2.0-or-later
"""One timestamping socket on the asyncio loop: bytes and kernel timestamps in and out.

Readiness: a queued TX timestamp makes the socket report POLLERR (and POLLPRI
with SO_SELECT_ERR_QUEUE), not POLLIN.  epoll reports POLLERR whether asked or
not, and asyncio's selector turns it into read readiness, so one
``add_reader`` callback serves both queues; it drains the error queue first,
then the receive queue, a bounded batch of each per wake-up (the readiness is
level-triggered, so anything left wakes it again).

Sends never block and never raise for network errors: they return a TxHandle
that resolves to the TX timestamp, or to None after the TX timeout, counted.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from phc.net_tstamp import SO_TIMESTAMPING

from .cmsg import ANCILLARY_BUFSIZE, TxReport, rx_timestamp, tx_report
from .counters import IoCounters
from .errors import EndpointClosed
from .timestamps import PacketTimestamp, SystemTimeBase, TimestampSource, to_clock
from .transports import Transport
from .tsmode import ModeChoice
from .txtrack import TxHandle, TxTracker, resolved_handle

_log = logging.getLogger(__name__)
A = TypeVar("A")

BATCH = 64  # datagrams per queue per wake-up, so one busy socket cannot starve the loop
# Per-send SO_TIMESTAMPING cmsg with no TX bits: this send is not stamped and takes no key.
_NO_TX_TIMESTAMP = [(socket.SOL_SOCKET, SO_TIMESTAMPING, struct.pack("=I", 0))]


@dataclass(frozen=True, slots=True)
class RxPacket(Generic[A]):
    """A received datagram, its sender and its kernel RX timestamp (None if none came)."""

    data: bytes
    addr: A
    timestamp: PacketTimestamp | None


class TimestampingEndpoint(Generic[A]):
    """asyncio endpoint over one timestamping socket (UDP or AF_PACKET).

    Packets go to ``on_packet`` if given, otherwise to a bounded queue read by
    ``recv()``.  Must be created inside the running loop.
    """

    def __init__(
        self,
        sock: socket.socket,
        transport: Transport[A],
        clock: SystemTimeBase,
        choice: ModeChoice,
        *,
        interface: str,
        tx_timeout: float = 0.1,
        on_packet: Callable[[RxPacket[A]], None] | None = None,
        queue_size: int = 4096,
        rx_bufsize: int = 2048,
    ) -> None:
        if tx_timeout <= 0:
            raise ValueError("tx_timeout must be positive")
        self.interface = interface
        self.counters = IoCounters()
        self._sock = sock
        self._transport = transport
        self._clock = clock
        self._choice = choice
        self._tx_timeout = tx_timeout
        self._on_packet = on_packet
        self._queue: asyncio.Queue[RxPacket[A] | None] = asyncio.Queue(queue_size)
        self._rx_bufsize = rx_bufsize
        self._tracker = TxTracker()
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._on_readable)

    # --- what the caller sees -------------------------------------------------

    @property
    def mode(self) -> TimestampSource:
        """Where this endpoint's timestamps come from: "hardware" or "software"."""
        return self._choice.source

    @property
    def mode_reason(self) -> str:
        """Why that mode was chosen (for "auto": why hardware was or was not used)."""
        return self._choice.reason

    @property
    def socket(self) -> socket.socket:
        """The underlying socket, for getsockname() and extra options."""
        return self._sock

    @property
    def pending_tx(self) -> int:
        """Sends still waiting for their TX timestamp."""
        return self._tracker.pending

    @property
    def closed(self) -> bool:
        """True after close()."""
        return self._closed

    def send(self, data: bytes, addr: A, *, timestamp: bool = True) -> TxHandle:
        """Send one datagram now; the handle resolves to its TX timestamp.

        ``addr`` must be numeric (no name lookups here).  ``timestamp=False``
        sends without a TX timestamp (and without using a key).  A failed send
        returns a resolved handle whose ``error`` is the OSError.
        """
        if self._closed:
            raise EndpointClosed(f"{self.interface}: send on a closed endpoint")
        dest = self._transport.destination(addr)
        try:
            if timestamp:
                self._sock.sendto(data, dest)
            else:
                self._sock.sendmsg([data], _NO_TX_TIMESTAMP, 0, dest)
        except OSError as exc:
            self.counters.tx_errors += 1
            if timestamp and exc.errno is not None and self._transport.send_error_took_key(exc.errno):
                self._tracker.burn_key()
            return resolved_handle(exc)
        self.counters.tx_packets += 1
        if not timestamp:
            return resolved_handle()
        handle = self._tracker.issue(self._loop.time() + self._tx_timeout, self._give_up)
        self._arm_timer()
        return handle

    async def recv(self) -> RxPacket[A]:
        """The next received packet (only when no ``on_packet`` callback is set)."""
        if self._on_packet is not None:
            raise RuntimeError("this endpoint delivers packets to its on_packet callback")
        if self._closed and self._queue.empty():
            raise EndpointClosed(f"{self.interface}: endpoint closed")
        packet = await self._queue.get()
        if packet is None:
            self._queue.put_nowait(None)  # wake the next waiter too
            raise EndpointClosed(f"{self.interface}: endpoint closed")
        return packet

    def close(self) -> None:
        """Stop reading, resolve pending TX handles to None, close the socket."""
        if self._closed:
            return
        self._closed = True
        self._loop.remove_reader(self._sock.fileno())
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._tracker.cancel_all()
        self._sock.close()
        try:
            self._queue.put_nowait(None)
        except asyncio.QueueFull:
            pass

    async def __aenter__(self) -> TimestampingEndpoint[A]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    # --- reading --------------------------------------------------------------

    def _on_readable(self) -> None:
        self._drain_errqueue()
        self._drain_rx()

    def _drain_errqueue(self) -> None:
        source = self._choice.source
        for _ in range(BATCH):
            if self._closed:  # a callback may close the endpoint mid-drain
                return
            try:
                _, anc, _, _ = self._sock.recvmsg(0, ANCILLARY_BUFSIZE, socket.MSG_ERRQUEUE)
            except BlockingIOError:
                return
            except OSError:
                self.counters.rx_errors += 1
                return
            report = tx_report(anc, source)
            if not isinstance(report, TxReport):
                self.counters.errqueue_other += 1
                continue
            stamp = to_clock(report.raw_ns, source, self._clock)
            handle, failures = self._tracker.match(report.key, stamp)
            self.counters.callback_errors += failures
            if handle is None:
                self.counters.tx_timestamp_unmatched += 1
            else:
                self.counters.tx_timestamps += 1

    def _drain_rx(self) -> None:
        source = self._choice.source
        for _ in range(BATCH):
            if self._closed:
                return
            try:
                data, anc, flags, raw_addr = self._sock.recvmsg(self._rx_bufsize, ANCILLARY_BUFSIZE)
            except BlockingIOError:
                return
            except OSError:
                # A pending socket error is reported (and cleared) by one recvmsg.
                self.counters.rx_errors += 1
                continue
            if flags & socket.MSG_TRUNC:
                self.counters.rx_truncated += 1
                continue
            addr = self._transport.source(raw_addr)
            if addr is None:
                continue
            raw = rx_timestamp(anc, source)
            stamp = None if raw is None else to_clock(raw, source, self._clock)
            if stamp is None:
                self.counters.rx_no_timestamp += 1
            self.counters.rx_packets += 1
            self._deliver(RxPacket(data, addr, stamp))

    def _deliver(self, packet: RxPacket[A]) -> None:
        if self._on_packet is None:
            try:
                self._queue.put_nowait(packet)
            except asyncio.QueueFull:
                self.counters.rx_queue_drops += 1
            return
        try:
            self._on_packet(packet)
        except Exception:
            self.counters.callback_errors += 1
            _log.exception("%s: on_packet callback failed", self.interface)

    # --- TX timeouts ----------------------------------------------------------

    def _arm_timer(self) -> None:
        deadline = self._tracker.next_deadline()
        if self._timer is not None:
            if deadline is not None and self._timer.when() <= deadline:
                return
            self._timer.cancel()
            self._timer = None
        if deadline is not None:
            self._timer = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        # A timestamp may be queued but not yet read when the timer and the
        # readiness callback come due in the same loop iteration.
        self._drain_errqueue()
        timeouts, failures = self._tracker.expire(self._loop.time())
        self.counters.tx_timestamp_timeouts += timeouts
        self.counters.callback_errors += failures
        self._arm_timer()

    def _give_up(self, handle: TxHandle) -> None:
        if not self._closed:
            self._drain_errqueue()
        expired, failures = self._tracker.give_up(handle)
        self.counters.tx_timestamp_timeouts += expired
        self.counters.callback_errors += failures

