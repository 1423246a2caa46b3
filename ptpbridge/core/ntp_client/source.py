# SPDX-License-Identifier: GPL-2.0-or-later
"""One upstream NTP server as a sans-IO state machine: requests out, replies in, time injected.

The daemon asks `next_poll_deadline()` (monotonic ns), calls
`make_request(now_mono_ns, tx_utc_estimate_ns)` when it is due and sends the
bytes, then hands each reply to `handle_response` with the kernel receive
timestamp and, when it has it, the kernel transmit timestamp of our request
(T1; without it the estimate given to make_request is used). The reply
comes back as a `Sample` or the `DropReason` it was counted under.

Requests carry only what the server needs (version, mode, poll, transmit),
as NTP client data minimisation recommends. Their transmit field is our
clock with the low bits replaced by random ones: it is only a nonce the
server echoes as origin, since T1 comes from our own records, and an
off-path attacker cannot guess it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Final

from ptpbridge.core.ntp.addresses import parse_client
from ptpbridge.core.ntp.auth import compute_digest
from ptpbridge.core.ntp.keys import SymmetricKey
from ptpbridge.core.ntp_client.drops import DropReason
from ptpbridge.core.ntp_client.filter import ClockFilter, FilterOutput, FilterStage
from ptpbridge.core.ntp_client.poll import PollControl
from ptpbridge.core.ntp_client.reach import ReachRegister
from ptpbridge.core.ntp_client.response import Kiss, RequestRecord, ServerReply, check_reply, measure
from ptpbridge.core.ntp_client.status import SourceKind, SourceStatus, Verdict
from ptpbridge.core.ntp_client.tuning import DEFAULT_TUNING, ClientTuning
from ptpbridge.wire.ntp.constants import NTP_PORT, SUPPORTED_VERSIONS, Leap, Mode
from ptpbridge.wire.ntp.packet import KEY_ID, NtpPacket, encode
from ptpbridge.wire.ntp.timestamps import utc_ns_to_ntp64

# Random low bits of the transmit field: 2**-20 s (about 1 us) of noise in a value nobody uses as time.
NONCE_BITS: Final = 12
# Polls without an answer after which the filter gets a dummy stage (RFC 5905 section 10).
MISSED_POLLS_FOR_DUMMY: Final = 3
# Drops decided before the reply was matched to our request: they leave the request open.
_UNMATCHED: Final = frozenset({
    DropReason.MALFORMED, DropReason.MODE, DropReason.DUPLICATE, DropReason.BOGUS_ORIGIN,
    DropReason.AUTH_MISSING, DropReason.AUTH_BAD, DropReason.AUTH_NAK,
})


@dataclass(frozen=True, slots=True)
class Sample:
    """One accepted exchange, and the source's filtered estimate after it."""

    offset_ns: int
    delay_ns: int
    dispersion_ns: int
    rx_utc_ns: int
    mono_ns: int
    stratum: int
    leap: Leap
    estimate: FilterOutput | None


@dataclass(slots=True)
class SourceCounters:
    """Totals since the source was created."""

    requests: int = 0
    received: int = 0
    accepted: int = 0
    drops: dict[DropReason, int] = field(default_factory=dict)

    def count(self, reason: DropReason) -> None:
        self.drops[reason] = self.drops.get(reason, 0) + 1


class NtpSource:
    """Poll state, reachability, clock filter and last reply header of one server address."""

    def __init__(
        self,
        address: str,
        *,
        iburst: bool = False,
        minpoll: int = 6,
        maxpoll: int = 10,
        key: SymmetricKey | None = None,
        version: int = 4,
        name: str | None = None,
        kind: SourceKind = SourceKind.SERVER,
        port: int = NTP_PORT,
        tuning: ClientTuning = DEFAULT_TUNING,
        start_mono_ns: int = 0,
        random_bits: Callable[[int], int] = secrets.randbits,
    ) -> None:
        if version not in SUPPORTED_VERSIONS:
            raise ValueError(f"NTP version {version} not supported (use one of {sorted(SUPPORTED_VERSIONS)})")
        if not 0 < port < 65536:
            raise ValueError(f"port {port} out of range")
        self.address = str(parse_client(address))
        self.port = port
        self.name = name if name is not None else self.address
        self.kind = kind
        self.key = key
        self.version = version
        self.tuning = tuning
        self.reach = ReachRegister()
        self.poll = PollControl(minpoll, maxpoll, iburst, tuning, start_mono_ns)
        self.filter = ClockFilter(tuning)
        self.counters = SourceCounters()
        self.request: RequestRecord | None = None
        self.reply: ServerReply | None = None  # header of the last accepted reply
        self.last_sample: Sample | None = None
        self.stopped: DropReason | None = None  # the kiss code that stopped us
        self._last_server_transmit: int | None = None
        self._random_bits = random_bits

    # -- requests ---------------------------------------------------------

    def next_poll_deadline(self) -> int | None:
        """Monotonic ns at which the next request is due; None once stopped by a kiss-o'-death."""
        return self.poll.next_mono_ns

    def make_request(self, now_mono_ns: int, tx_utc_estimate_ns: int) -> bytes:
        """The next request's bytes; remembers its transmit field to match the reply."""
        if self.stopped is not None:
            raise RuntimeError(f"source {self.address} stopped by {self.stopped.label}")
        reachable = self.reach.reachable
        if self.reach.missed(MISSED_POLLS_FOR_DUMMY) and self.filter.output is not None:
            self.filter.add_dummy(now_mono_ns)
        self.reach.on_poll()
        self.poll.on_request(now_mono_ns, reachable)
        mask = (1 << NONCE_BITS) - 1
        wire = (utc_ns_to_ntp64(tx_utc_estimate_ns) & ~mask) | (self._random_bits(NONCE_BITS) & mask)
        wire = wire or 1  # a zero transmit field would mean "no request"
        pkt = NtpPacket(version=self.version, mode=Mode.CLIENT, poll=self.poll.hpoll, transmit_ts=wire)
        data = encode(pkt)
        if self.key is not None:
            data += KEY_ID.pack(self.key.key_id) + compute_digest(self.key, data, self.version)
        self.request = RequestRecord(wire, tx_utc_estimate_ns, now_mono_ns)
        self.counters.requests += 1
        return data

    # -- replies ----------------------------------------------------------

    def handle_response(
        self,
        data: bytes | bytearray | memoryview,
        rx_utc_ns: int,
        tx_utc_ns_of_our_request: int | None,
        now_mono_ns: int,
    ) -> Sample | DropReason:
        """Check a reply and feed it to the filter; never raises."""
        self.counters.received += 1
        if self.stopped is not None:
            return self._drop(DropReason.STOPPED)
        checked = check_reply(data, self.request, self._last_server_transmit, self.key, rx_utc_ns, self.tuning)
        if isinstance(checked, DropReason):
            if checked not in _UNMATCHED:
                self._close_request()
            return self._drop(checked)
        self._close_request()
        if isinstance(checked, Kiss):
            return self._kiss(checked)
        assert self.request is not None  # check_reply matched it
        t1 = self.request.tx_utc_estimate_ns if tx_utc_ns_of_our_request is None else tx_utc_ns_of_our_request
        m = measure(checked, t1, rx_utc_ns, self.tuning)
        if isinstance(m, DropReason):
            return self._drop(m)
        was_reachable = self.reach.reachable
        self.reach.on_reply()
        self.poll.on_reply(was_reachable)
        self.reply = checked
        self._last_server_transmit = checked.transmit_wire
        out = self.filter.add(FilterStage(m.offset_ns, m.delay_ns, m.dispersion_ns, now_mono_ns), now_mono_ns)
        self.counters.accepted += 1
        sample = Sample(m.offset_ns, m.delay_ns, m.dispersion_ns, rx_utc_ns, now_mono_ns,
                        checked.stratum, checked.leap, out)
        self.last_sample = sample
        return sample

    def _close_request(self) -> None:
        if self.request is not None:
            self.request = replace(self.request, answered=True)

    def _kiss(self, kiss: Kiss) -> DropReason:
        if kiss.reason is DropReason.KOD_RATE:
            self.poll.on_rate_kod(kiss.server_poll)
        else:
            self.stopped = kiss.reason
            self.poll.stop()
        return self._drop(kiss.reason)

    def _drop(self, reason: DropReason) -> DropReason:
        self.counters.count(reason)
        return reason

    # -- peer variables ---------------------------------------------------

    @property
    def estimate(self) -> FilterOutput | None:
        return self.filter.output

    def root_distance_ns(self, now_mono_ns: int) -> int | None:
        """Synchronisation distance to the primary reference through this source (RFC 5905 root_dist)."""
        est, rep = self.filter.output, self.reply
        disp = self.filter.dispersion_at(now_mono_ns)
        if est is None or rep is None or disp is None:
            return None
        delay_term = max(self.tuning.min_dispersion_ns, rep.root_delay_ns + est.delay_ns)
        return -(-delay_term // 2) + rep.root_dispersion_ns + disp + est.jitter_ns

    def status(self, now_mono_ns: int, verdict: Verdict) -> SourceStatus:
        """This source as one row of `ptpbridge sources`."""
        est, last = self.filter.output, self.last_sample
        return SourceStatus(
            kind=self.kind, name=self.name, address=self.address,
            state=verdict.state, reason=verdict.reason,
            reach=self.reach.value, poll=self.poll.hpoll,
            stratum=None if self.reply is None else self.reply.stratum,
            offset_ns=None if est is None else est.offset_ns,
            last_offset_ns=None if last is None else last.offset_ns,
            delay_ns=None if est is None else est.delay_ns,
            jitter_ns=None if est is None else est.jitter_ns,
            dispersion_ns=self.filter.dispersion_at(now_mono_ns),
            root_distance_ns=self.root_distance_ns(now_mono_ns),
            last_rx_age_ns=None if last is None else now_mono_ns - last.mono_ns,
            requests=self.counters.requests, replies=self.counters.accepted,
            drops={r.label: n for r, n in self.counters.drops.items()},
        )

    def __repr__(self) -> str:
        return f"NtpSource({self.address!r}, reach=0o{self.reach.octal}, poll={self.poll.hpoll})"
