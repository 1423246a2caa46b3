# SPDX-License-Identifier: GPL-2.0-or-later
"""One NTP worker socket, served in batches: recvmmsg in, the core per request, sendmmsg out.

At tens of thousands of requests a second the per-datagram system calls
(recvmsg, an error-queue probe on every wake-up, sendmsg) cost more than
the server core. Here one wake-up takes up to BATCH requests with their
kernel RX timestamps in one recvmmsg, lets the core decide on each, and
sends the replies in one sendmmsg. Basic replies get their transmit
timestamp in a tight loop just before that call (the clock read, the
patch, nothing else; signed replies are finalized, MAC included, there).
On a 2-core VM a lone request finds the CPU cold (caches, vCPU): ~130 us
from the kernel's RX stamp to our callback, ~160 us more to the clock
read, where chronyd takes ~60 us in all. So the loop is first run dry,
timed (read, patch, a sendmmsg of no message), warming the very code the
timestamp then takes to the wire: the delay from the clock read to the
kernel's TX stamp dropped from 24 to 21 us (median) and its spread from
10.8 to 8.9 us (std) in the lab, and the dry run's duration is the
compensation's predictor (how cold the machine is right now).

Only replies to requests in interleaved form ask for a TX timestamp (a
per-message SO_TIMESTAMPING control message switches it off for the
others), plus, with transmit latency compensation on, one basic reply per
probe interval, sent alone in its batch (core/ntp/txlatency; a reply late
in a batch also waits for the sends before it, which would teach the model
the load, not the path): its kernel TX time minus the clock
reading it carries teaches the worker how long a basic reply takes from
clock read to the kernel's transmit timestamp (a line in the dry run's
duration), and that prediction is added to every basic transmit
timestamp. The error queue is read only while a stamp is pending
(ntp_txqueue), or when a wake-up found no datagram (something else is on
the queue).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Final, Protocol

from phc.net_tstamp import SO_TIMESTAMPING
from ptpbridge.core.ntp import NtpDecision, NtpServerCore, ReplyKind, TransmitFill
from ptpbridge.core.ntp.txlatency import TxLatency
from ptpbridge.daemon.ntp_txqueue import TxQueue
from ptpbridge.io import IoCounters
from ptpbridge.io.cmsg import ANCILLARY_BUFSIZE, TxReport, tx_report
from ptpbridge.io.mmsg import MSG_TRUNC, NAME_SLOT, RecvRing, SendSlots, address_of
from ptpbridge.io.timestamps import TimestampSource
from ptpbridge.io.transports import UdpTransport
from ptpbridge.wire.ntp.packet import OFFSET_TRANSMIT_TS
from ptpbridge.wire.ntp.timestamps import utc_ns_to_ntp64

log = logging.getLogger("ptpbridge.ntp.worker")

BATCH: Final = 64  # datagrams per wake-up: the loop's other work waits at most one batch
SLOT: Final = 1536  # an Ethernet payload: larger requests are counted as truncated
_TIMESTAMPED: Final = (ReplyKind.BASIC, ReplyKind.INTERLEAVED)
_ZERO64: Final = bytes(8)
_TS: Final = struct.Struct("!Q")
# Per-send SO_TIMESTAMPING with no TX bits: this reply is not stamped and takes no OPT_ID key.
_NO_TX: Final = (struct.pack("@Nii", socket.CMSG_LEN(4), socket.SOL_SOCKET, SO_TIMESTAMPING)
                 + struct.pack("=I", 0)).ljust(socket.CMSG_SPACE(4), b"\0")
_ADDRESS_CACHE_MAX: Final = 65536

# A reply to send: (slot, decision, client, TX timestamp wanted).
_Reply = tuple[int, NtpDecision, tuple[str, int], bool]
# A reply waiting for its TX timestamp: ((client, reply id), (clock reading, work) if a latency probe).
_Pending = tuple[tuple[tuple[str, int], int], tuple[int, int] | None]


def asks_interleaved(request: bytes) -> bool:
    """RFC 9769's interleaved form: origin (octets 24-31) neither zero nor the transmit timestamp (40-47)."""
    origin = request[24:32]
    return origin != _ZERO64 and origin != request[40:48]


class ClockView(Protocol):
    """What the loop needs of the worker's view of the daemon's clock (ntp_worker.TimeView)."""

    def system_to_utc(self, realtime_ns: int) -> int: ...

    def to_utc(self, clock_ns: int) -> int: ...

    def now_utc(self) -> int: ...


@dataclass
class SourceCounts:
    """Where the worker's timestamps came from (status `timestamps`)."""

    rx: dict[str, int] = field(default_factory=lambda: {"hardware": 0, "software": 0, "daemon": 0})
    tx: dict[str, int] = field(default_factory=lambda: {"hardware": 0, "software": 0, "none": 0})
    late_transmit: int = 0


class BatchSocket:
    """One bound, timestamping NTP socket on the loop, answered by `core` in batches."""

    def __init__(self, sock: socket.socket, transport: UdpTransport, source: TimestampSource,
                 view: ClockView, core: NtpServerCore, sources: SourceCounts, *, interleave: bool,
                 tx_timeout_ns: int, latency: TxLatency | None = None) -> None:
        self.sock = sock
        self.counters = IoCounters()
        self._fd = sock.fileno()
        self._transport = transport
        self._hardware = source == "hardware"
        self._source: TimestampSource = source
        self._view = view
        self._core = core
        self._sources = sources
        self._interleave = interleave
        self._tx_timeout_ns = tx_timeout_ns
        self._latency = latency
        family = sock.family
        self._rx = RecvRing(BATCH, SLOT, family)
        self._tx = SendSlots(BATCH, SLOT, family, _NO_TX)
        self._senders: dict[bytes, tuple[str, int]] = {}
        # Replies waiting for their TX timestamp; deadlines in monotonic ns.
        self._pending: TxQueue[_Pending] = TxQueue()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._fd, self._on_readable)

    def latency_status(self) -> dict[str, int] | None:
        """The basic-mode transmit compensation in force (None: switched off)."""
        return None if self._latency is None else self._latency.as_dict()

    def close(self) -> None:
        if self.sock.fileno() >= 0:
            self._loop.remove_reader(self._fd)
            self.sock.close()
        self._expire(None)

    # -- the hot path -----------------------------------------------------

    def _client(self, j: int) -> tuple[str, int]:
        """The sender whose sockaddr starts at names[j], as (host, port); cached by sockaddr octets."""
        names = self._rx.names
        raw = bytes(names[j:j + self._rx.name_size])
        client = self._senders.get(raw)
        if client is None:
            if len(self._senders) >= _ADDRESS_CACHE_MAX:
                self._senders.clear()
            host, port = address_of(raw)[:2]
            client = self._senders[raw] = (host, port)
        return client

    def _on_readable(self) -> None:
        rx, counters = self._rx, self.counters
        mono = time.monotonic_ns()  # for rate limiting
        try:
            n = rx.receive(self._fd)
        except OSError:
            counters.rx_errors += 1  # a pending socket error: reading it cleared it
            return
        if n == 0:
            self._drain_errqueue()  # woken by the error queue alone
            return
        view, core, sources = self._view, self._core, self._sources
        rx_counts = sources.rx
        hardware, interleave = self._hardware, self._interleave
        data, names = rx.data, rx.names
        tx = self._tx
        out, out_names, name_size = tx.data, tx.names, tx.name_size
        # Replies to send; late ones patched at the end.
        replies: list[_Reply] = []
        k = received = unstamped = 0
        for i, (controllen, flags, length) in enumerate(rx.results(n)):
            if flags & MSG_TRUNC:
                counters.rx_truncated += 1
                continue
            received += 1
            raw = rx.timestamp(i, controllen, self._source)
            if raw is None:
                unstamped += 1
                rx_utc = view.now_utc()
            else:
                rx_utc = view.to_utc(raw) if hardware else view.system_to_utc(raw)
            r = i * SLOT
            request = bytes(data[r:r + length])
            j = i * NAME_SLOT
            client = self._client(j)
            try:
                decision = core.handle(request, client, rx_utc, mono)
            except Exception:  # the core never raises; if it ever does, one request is lost, not the batch
                counters.callback_errors += 1
                log.exception("ntp: request from %s", client[0])
                continue
            reply = decision.reply
            if reply is None:
                continue
            want_tx = interleave and decision.kind in _TIMESTAMPED and asks_interleaved(request)
            size = len(reply)
            o = k * SLOT
            out[o:o + size] = reply
            at = k * name_size
            out_names[at:at + name_size] = names[j:j + name_size]
            tx.use(k, size, not want_tx)
            replies.append((k, decision, client, want_tx))
            k += 1
        counters.rx_packets += received
        counters.rx_no_timestamp += unstamped
        rx_counts["daemon"] += unstamped
        rx_counts[self._source] += received - unstamped
        if k:
            self._send(replies, k)
        if self._pending:
            self._drain_errqueue()

    def _send(self, replies: list[_Reply], k: int) -> None:
        """Patch late transmit timestamps (clock read + compensation), nothing else, then one sendmmsg.

        Everything that can be done before the clock reads is: signed
        replies (a MAC to compute after the patch) first, then a dry run of
        the plain path (read, convert, patch, and a sendmmsg of no message:
        the interpreter and the system call's entry warmed, nothing sent),
        timed; then the real loop of read, convert, patch, straight into the
        system call. The dry run's duration says how slowly the machine runs
        right now, the predictor of the compensation (core/ntp/txlatency).
        """
        tx, now_utc, latency = self._tx, self._view.now_utc, self._latency
        out = tx.data
        probe = False  # the one reply of this batch is a latency probe
        if latency is not None and k == 1:
            slot, decision, _, want_tx = replies[0]
            probe = (not want_tx and decision.transmit is TransmitFill.LATE and decision.sign_key is None
                     and latency.probe_due(time.monotonic_ns()))
            if probe:
                tx.use(0, len(decision.reply or b""), False)  # this one TX-stamped
                replies[0] = (slot, decision, replies[0][2], True)
        offsets: list[int] = []  # where the plain late replies' transmit timestamps go
        signed: list[tuple[int, NtpDecision]] = []
        for slot, decision, _, _ in replies:
            if decision.transmit is not TransmitFill.LATE:
                continue
            if decision.sign_key is None:
                offsets.append(slot * SLOT + OFFSET_TRANSMIT_TS)
            else:
                signed.append((slot, decision))
        pack, to_ntp64, fd, send = _TS.pack_into, utc_ns_to_ntp64, self._fd, tx.send
        compensation = warm = 0
        if latency is not None and (offsets or signed):
            mono = time.monotonic_ns
            begin = mono()
            # Rewritten below (a signed reply's slot by its finalized bytes).
            pack(out, offsets[0] if offsets else signed[0][0] * SLOT + OFFSET_TRANSMIT_TS, to_ntp64(now_utc()))
            send(fd, 0)
            warm = mono() - begin
            compensation = latency.correction_ns(warm)
        for slot, decision in signed:
            final = decision.finalize(now_utc() + compensation)
            out[slot * SLOT:slot * SLOT + len(final)] = final
        plain: list[int] = []
        for at in offsets:
            read = now_utc()
            pack(out, at, to_ntp64(read + compensation))
            plain.append(read)
        failures = send(fd, k)
        reads = {0: (plain[0], warm)} if probe else {}  # slot -> (clock reading, predictor)
        counters = self.counters
        self._sources.late_transmit += len(offsets) + len(signed)
        failed = dict(failures)
        counters.tx_packets += k - len(failed)
        counters.tx_errors += len(failed)
        took_key, pending = self._transport.send_error_took_key, self._pending
        deadline = time.monotonic_ns() + self._tx_timeout_ns
        for slot, decision, client, want_tx in replies:
            if not want_tx:
                continue
            err = failed.get(slot)
            if err is None:
                pending.sent(((client, decision.reply_id), reads.get(slot)), deadline)
            elif took_key(err):
                pending.burn_key()

    # -- TX timestamps ----------------------------------------------------

    def _drain_errqueue(self) -> None:
        counters, sock, source = self.counters, self.sock, self._source
        for _ in range(BATCH):
            try:
                _, anc, _, _ = sock.recvmsg(0, ANCILLARY_BUFSIZE, socket.MSG_ERRQUEUE)
            except BlockingIOError:
                break
            except OSError:
                counters.rx_errors += 1
                break
            report = tx_report(anc, source)
            if not isinstance(report, TxReport):
                counters.errqueue_other += 1
                continue
            self._match(report)
        self._expire(time.monotonic_ns())

    def _match(self, report: TxReport) -> None:
        counters, sources = self.counters, self._sources
        item, lost = self._pending.match(report.key)
        counters.tx_timestamp_timeouts += lost  # their reports never came; a later one did
        sources.tx["none"] += lost
        if item is None:
            counters.tx_timestamp_unmatched += 1
            return
        counters.tx_timestamps += 1
        sources.tx[self._source] += 1
        view = self._view
        tx_utc = view.to_utc(report.raw_ns) if self._hardware else view.system_to_utc(report.raw_ns)
        (client, reply_id), probe = item
        if probe is not None and self._latency is not None:
            read, work = probe
            self._latency.add(tx_utc - read, work)
        self._core.record_tx(client, reply_id, tx_utc)

    def _expire(self, now_ns: int | None) -> None:
        """Give up on stamps pending past their deadline (all of them when `now_ns` is None)."""
        gone = self._pending.expire(now_ns)
        self.counters.tx_timestamp_timeouts += gone
        self._sources.tx["none"] += gone
