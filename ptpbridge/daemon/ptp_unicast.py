# SPDX-License-Identifier: GPL-2.0-or-later
"""Hybrid mode's hot path: unicast Delay_Req to the port's own addresses, answered in batches.

In hybrid (enterprise) mode every slave sends its Delay_Req unicast, so a
grandmaster's request rate is that of all its slaves together. Going
through an endpoint and the core one datagram at a time costs ~100 us of
Python per request (about 10,000/s, a third of ptp4l). Here sockets bound
to the port's unicast addresses (ports 319 and 320, beside the wildcard
sockets of the port's endpoints, which keep every multicast message) take
them in recvmmsg batches, and the Delay_Resp leave in sendmmsg batches:
the core's own Delay_Resp template (``Port.messages.delay_resp``) sits in
every send slot, and only the per-request fields are patched in; a
property test proves the result byte-identical to the core's.

Only the plainest case takes the hot path: a Delay_Req without TLVs, our
majorSdoId, versionPTP 2, our domain, not our own clock, with an RX
timestamp, while the port is MASTER: exactly the case in which
``Port.receive`` answers with that template. Every other datagram that
reaches these sockets (any other message, a Delay_Req with TLVs, one that
came while not MASTER) is handed to the core unchanged, which answers,
counts or drops it as it does for the endpoints' traffic.

Software RX stamps map into the served clock through a ClockMap line
resampled every ``MAP_REFRESH_NS`` (exact for a free-running simulated
clock; a PHC's own from_system_ns is such a line too).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from phc.net_tstamp import SO_TIMESTAMPING, SofFlag
from ptpbridge.core.ptp.port import Port
from ptpbridge.daemon.clock_source import ServedClock
from ptpbridge.daemon.ntp_clockmap import ClockMap, sample
from ptpbridge.io import IoSetupError, UdpAddress
from ptpbridge.io.mmsg import (
    ADDRESS_SPAN,
    MSG_TRUNC,
    NAME_SLOT,
    RecvRing,
    SendRing,
    address_of,
)
from ptpbridge.io.timestamps import TimestampSource
from ptpbridge.timebase import NS_PER_S, Timebase
from ptpbridge.wire.ptp.constants import (
    BODY_LEN,
    EVENT_PORT,
    GENERAL_PORT,
    HEADER_LEN,
    VERSION_PTP,
    MessageType,
    PortState,
)
from ptpbridge.wire.ptp.values import ClockIdentity, PortIdentity

log = logging.getLogger("ptpbridge.ptp")

DELAY_REQ_LEN = HEADER_LEN + BODY_LEN[MessageType.DELAY_REQ]
DELAY_RESP_LEN = HEADER_LEN + BODY_LEN[MessageType.DELAY_RESP]
# Datagrams per wake-up: the loop's other work (a due Sync, a Follow_Up) waits at most one batch.
BATCH = 64
SLOT = 1536  # an Ethernet payload: larger datagrams are counted as truncated
RCVBUF_BYTES = 4 * 1024 * 1024
MAP_REFRESH_NS = 200_000_000
_SO_RCVBUFFORCE = 33
_MASTER = PortState.MASTER
# Where the fields live (IEEE 1588-2019 13.3.1 header, 13.8.1 Delay_Resp body); the property
# test proves the packed reply byte-identical to the core's Port.messages.delay_resp.
_OFF_CORRECTION = 8
_CORRECTION_END = 16
_OFF_SEQUENCE = 30
_SEQUENCE_END = 32
# Delay_Req: messageType octet, version octet, messageLength, domainNumber, (minorSdoId, flagField),
# correctionField, (messageTypeSpecific), sourcePortIdentity, sequenceId.
_REQUEST = struct.Struct(">BBHB3x8s4x10s2s")
# Delay_Resp: header up to correctionField, correctionField, messageTypeSpecific + sourcePortIdentity,
# sequenceId, controlField + logMessageInterval, receiveTimestamp (48-bit seconds as 16 + 32,
# nanoseconds), requestingPortIdentity.
_REPLY = struct.Struct(">8s8s14s2s2sHII10s")
RX_TIMESTAMPING: dict[TimestampSource, SofFlag] = {
    "software": SofFlag.RX_SOFTWARE | SofFlag.SOFTWARE,
    "hardware": SofFlag.RX_HARDWARE | SofFlag.RAW_HARDWARE,
}

# (data, sender, RX timestamp in TAI): a datagram for the core.
OnOther = Callable[[bytes, UdpAddress, int | None], None]


@dataclass
class UnicastCounters:
    answered: int = 0  # Delay_Req answered here (the core's counters do not see them)
    to_core: int = 0
    truncated: int = 0
    rx_errors: int = 0
    tx_errors: int = 0
    batches: int = 0


def _bind(interface: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int,
          ifindex: int, source: TimestampSource | None) -> socket.socket:
    """A socket on [address]:port; with `source`, kernel RX timestamps of that kind.

    Never TX timestamps: nothing here waits for one, and an error queue
    nobody reads would keep the socket readable for ever.
    """
    v6 = isinstance(address, ipaddress.IPv6Address)
    sock = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # beside the wildcard socket
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        try:
            sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, RCVBUF_BYTES)
        except PermissionError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF_BYTES)
        if source is not None:
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING, int(RX_TIMESTAMPING[source]))
        if v6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            scope = ifindex if address.is_link_local else 0
            sock.bind((str(address), port, 0, scope))
        else:
            sock.bind((str(address), port))
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise IoSetupError(interface, f"bind [{address}]:{port} for unicast Delay_Req",
                           exc.strerror or str(exc)) from exc
    return sock


class UnicastDelayResponder:
    """The unicast sockets of one UDP port and their batch loop."""

    def __init__(self, port: Port[Any], interface: str,
                 addresses: list[ipaddress.IPv4Address] | list[ipaddress.IPv6Address],
                 source: TimestampSource, served: ServedClock, timebase: Timebase, on_other: OnOther) -> None:
        self.port = port
        self.interface = interface
        self.source = source
        self.counters = UnicastCounters()
        self._served = served
        self._timebase = timebase
        self._on_other = on_other
        self._map: ClockMap | None = None
        self._map_at = 0
        family = socket.AF_INET6 if isinstance(addresses[0], ipaddress.IPv6Address) else socket.AF_INET
        self._rx = RecvRing(BATCH, SLOT, family)
        self._tx = SendRing(BATCH, DELAY_RESP_LEN, family)
        self._tx.preset(family, GENERAL_PORT)  # replies go to the requester's general port, as ptp4l's
        self._address_span = ADDRESS_SPAN[family]
        self._writer = DelayRespWriter(delay_resp_template(port))
        self._socks: list[tuple[socket.socket, socket.socket]] = []
        self._loop = asyncio.get_running_loop()
        ifindex = socket.if_nametoindex(interface)
        try:
            for address in addresses:
                event = _bind(interface, address, EVENT_PORT, ifindex, source)
                self._socks.append((event, _bind(interface, address, GENERAL_PORT, ifindex, None)))
        except BaseException:
            self.close()
            raise
        self.addresses = [str(a) for a in addresses]
        for event, general in self._socks:
            self._loop.add_reader(event.fileno(), self._drain, event, general)
            # Nothing to answer on 320: whatever arrives there is the core's.
            self._loop.add_reader(general.fileno(), self._drain, general, general)

    def close(self) -> None:
        for event, general in self._socks:
            for sock in (event, general):
                if sock.fileno() >= 0:
                    self._loop.remove_reader(sock.fileno())
                    sock.close()
        self._socks.clear()

    def status(self) -> dict[str, Any]:
        return {"addresses": self.addresses, **asdict(self.counters)}

    # -- the hot path ---------------------------------------------------------

    def _clock_map(self) -> ClockMap:
        """The software-stamp line through the served clock, resampled every MAP_REFRESH_NS."""
        now = time.monotonic_ns()
        if self._map is None or now - self._map_at > MAP_REFRESH_NS:
            self._map = sample(self._served.clock)
            self._map_at = now
        return self._map

    def _drain(self, sock: socket.socket, reply_sock: socket.socket) -> None:
        rx, tx, counters = self._rx, self._tx, self.counters
        try:
            n = rx.receive(sock.fileno())
        except OSError:
            counters.rx_errors += 1  # a pending socket error: reading it cleared it
            return
        if n == 0:
            return
        counters.batches += 1
        port = self.port
        dds = port.clock.default_ds
        first_octet = (dds.major_sdo_id << 4) | MessageType.DELAY_REQ
        domain, own = dds.domain_number, bytes(dds.clock_identity)
        master = sock is not reply_sock and port.state is _MASTER
        hardware = self.source == "hardware"
        # Kernel stamp -> served clock -> TAI: the ClockMap line (software) and the one Timebase.
        to_clock = None if hardware else self._clock_map().from_system_ns
        to_tai, scale = self._timebase.to_tai_ns, self._served.timescale
        data, names = rx.data, rx.names
        out, out_names, name_size = tx.data, tx.names, tx.name_size
        a0, a1 = self._address_span
        write = self._writer.write
        k = 0
        others: list[tuple[bytes, UdpAddress, int | None]] = []
        for i, (controllen, flags, length) in enumerate(rx.results(n)):
            if flags & MSG_TRUNC:
                counters.truncated += 1
                continue
            raw = rx.timestamp(i, controllen, self.source)
            r = i * SLOT
            # Octets past messageLength are ignored, as the core does (UDPv6 slaves add two, Annex E).
            if master and raw is not None and length >= DELAY_REQ_LEN:
                b0, b1, message_length, dom, correction, requester, sequence = _REQUEST.unpack_from(data, r)
                if (b0 == first_octet and b1 & 0x0F == VERSION_PTP and message_length == DELAY_REQ_LEN
                        and dom == domain and requester[:8] != own):
                    clock_ns = raw if to_clock is None else to_clock(raw)
                    write(out, k * DELAY_RESP_LEN, correction, sequence, requester, to_tai(clock_ns, scale))
                    at, j = k * name_size, i * NAME_SLOT
                    out_names[at + a0:at + a1] = names[j + a0:j + a1]
                    k += 1
                    continue
            stamp = None if raw is None else to_tai(raw if to_clock is None else to_clock(raw), scale)
            others.append((bytes(data[r:r + length]), address_of(rx.name(i)), stamp))
        if k:
            sent, failed, err = tx.send(reply_sock.fileno(), k)
            counters.answered += sent
            if failed:
                counters.tx_errors += failed
                log.debug("ptp: %s: %d Delay_Resp not sent (errno %d)", self.interface, failed, err)
        for payload, addr, stamp in others:
            counters.to_core += 1
            self._on_other(payload, addr, stamp)


class DelayRespWriter:
    """The port's unicast Delay_Resp: the core's template, per-request fields packed in one call.

    11.3.2: sequenceId, correctionField and the requester's portIdentity
    are the Delay_Req's, the receive timestamp ours; every other octet is
    the core's (``delay_resp_template``).
    """

    def __init__(self, template: bytes) -> None:
        if len(template) != DELAY_RESP_LEN:
            raise ValueError(f"a Delay_Resp template has {DELAY_RESP_LEN} octets, not {len(template)}")
        self._head = template[:_OFF_CORRECTION]
        self._middle = template[_CORRECTION_END:_OFF_SEQUENCE]
        self._tail = template[_SEQUENCE_END:HEADER_LEN]

    def write(self, out: memoryview | bytearray, o: int, correction: bytes, sequence: bytes, requester: bytes,
              receive_ns: int) -> None:
        seconds, nanoseconds = divmod(receive_ns, NS_PER_S)
        _REPLY.pack_into(out, o, self._head, correction, self._middle, sequence, self._tail,
                         seconds >> 32, seconds & 0xFFFFFFFF, nanoseconds, requester)


def parse_request(data: memoryview | bytes, r: int = 0) -> tuple[int, int, int, int, bytes, bytes, bytes]:
    """What the hot path reads of a Delay_Req: messageType octet, version octet, messageLength,
    domainNumber, correctionField, sourcePortIdentity, sequenceId (the last three as wire octets)."""
    b0, b1, length, domain, correction, requester, sequence = _REQUEST.unpack_from(data, r)
    return b0, b1, length, domain, correction, requester, sequence


def delay_resp_template(port: Port[Any]) -> bytes:
    """The port's unicast Delay_Resp as the core builds it, per-request fields still zero."""
    return port.messages.delay_resp(0, 0, PortIdentity(ClockIdentity(bytes(8)), 0), 0, unicast=True)
