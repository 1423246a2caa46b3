# SPDX-License-Identifier: GPL-2.0-or-later
"""Checking one server reply and turning it into a measurement (RFC 5905 sections 8 and 9.1).

`check_reply` is pure: it gets the bytes and what the source remembers about
its latest request, and returns the reply's header values, a kiss code the
source must act on, or the reason to drop it. The checks, in order:

1. it parses and is mode 4 (server);
2. it is not a copy of the last accepted reply (same transmit timestamp),
   and its origin timestamp is exactly the transmit timestamp of our latest
   request, which has not been answered yet (bogus and duplicate tests);
3. on a keyed association, it carries a valid MAC under our key;
4. stratum 0 with RATE, DENY or RSTR is a kiss-o'-death (checked after 2 and 3,
   so an off-path attacker cannot silence a source);
5. the server is synchronised (LI != 3, stratum 1..15), its receive and
   transmit timestamps are set, its root delay / 2 + root dispersion is under
   MAXDISP, and its reference time is not after its transmit time.
"""

from __future__ import annotations

from dataclasses import dataclass

from ptpbridge.core.ntp.auth import verify_digest
from ptpbridge.core.ntp.keys import SymmetricKey
from ptpbridge.core.ntp_client.drops import DropReason
from ptpbridge.core.ntp_client.tuning import ClientTuning, growth_ns, log2_ns
from ptpbridge.wire.ntp.constants import STRATUM_KOD, STRATUM_MAX_SYNCED, KissCode, Leap, Mode
from ptpbridge.wire.ntp.errors import NtpParseError
from ptpbridge.wire.ntp.packet import decode
from ptpbridge.wire.ntp.timestamps import ntp64_to_utc_ns, ntp_short_to_ns

_KISS_DROPS = {
    KissCode.RATE.value: DropReason.KOD_RATE,
    KissCode.DENY.value: DropReason.KOD_DENY,
    KissCode.RSTR.value: DropReason.KOD_RSTR,
}


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """What a source remembers of its latest request to match the reply against."""

    transmit_wire: int  # the transmit field we sent: the reply must echo it as origin
    tx_utc_estimate_ns: int  # our clock just before sending (T1 when no kernel stamp)
    sent_mono_ns: int
    answered: bool = False


@dataclass(frozen=True, slots=True)
class ServerReply:
    """The header of a reply that passed every check; times in UTC ns."""

    version: int
    leap: Leap
    stratum: int
    poll: int
    precision: int
    root_delay_ns: int
    root_dispersion_ns: int
    reference_id: bytes
    receive_utc_ns: int  # T2
    transmit_utc_ns: int  # T3
    transmit_wire: int


@dataclass(frozen=True, slots=True)
class Kiss:
    """A kiss-o'-death the source must act on (RATE: slow down; DENY/RSTR: stop)."""

    reason: DropReason
    server_poll: int


@dataclass(frozen=True, slots=True)
class Measurement:
    """One on-wire exchange (RFC 5905 section 8): offset, delay and dispersion in ns."""

    offset_ns: int
    delay_ns: int
    dispersion_ns: int


def check_reply(
    data: bytes | bytearray | memoryview,
    request: RequestRecord | None,
    last_server_transmit: int | None,
    key: SymmetricKey | None,
    rx_utc_ns: int,
    tuning: ClientTuning,
) -> ServerReply | Kiss | DropReason:
    """Validate one reply against our latest request; never raises."""
    try:
        pkt = decode(data)
    except NtpParseError:
        return DropReason.MALFORMED
    if pkt.mode != Mode.SERVER:
        return DropReason.MODE
    if last_server_transmit is not None and pkt.transmit_ts == last_server_transmit:
        return DropReason.DUPLICATE
    if request is None or pkt.origin_ts != request.transmit_wire:
        return DropReason.BOGUS_ORIGIN
    if request.answered:
        return DropReason.DUPLICATE
    if key is not None:
        mac = pkt.mac
        if mac is None:
            return DropReason.AUTH_MISSING
        if mac.is_crypto_nak:
            return DropReason.AUTH_NAK
        covered = memoryview(data)[: pkt.mac_offset]
        if mac.key_id != key.key_id or not verify_digest(key, covered, pkt.version, mac.digest):
            return DropReason.AUTH_BAD
    if pkt.stratum == STRATUM_KOD:
        kiss = _KISS_DROPS.get(pkt.reference_id)
        return DropReason.STRATUM if kiss is None else Kiss(kiss, pkt.poll)
    if pkt.leap == Leap.UNSYNCHRONISED:
        return DropReason.UNSYNCHRONISED
    if pkt.stratum > STRATUM_MAX_SYNCED:
        return DropReason.STRATUM
    if pkt.receive_ts == 0 or pkt.transmit_ts == 0:
        return DropReason.ZERO_TIMESTAMP
    root_delay = ntp_short_to_ns(pkt.root_delay)
    root_disp = ntp_short_to_ns(pkt.root_dispersion)
    if root_delay // 2 + root_disp >= tuning.max_dispersion_ns:
        return DropReason.ROOT_DISTANCE
    t2 = ntp64_to_utc_ns(pkt.receive_ts, rx_utc_ns)
    t3 = ntp64_to_utc_ns(pkt.transmit_ts, rx_utc_ns)
    if pkt.reference_ts != 0 and ntp64_to_utc_ns(pkt.reference_ts, rx_utc_ns) > t3:
        return DropReason.REFTIME
    return ServerReply(pkt.version, Leap(pkt.leap), pkt.stratum, pkt.poll, pkt.precision,
                       root_delay, root_disp, pkt.reference_id, t2, t3, pkt.transmit_ts)


def measure(reply: ServerReply, t1_utc_ns: int, t4_utc_ns: int, tuning: ClientTuning) -> Measurement | DropReason:
    """Offset, delay and dispersion of one exchange, from our T1/T4 and the server's T2/T3.

    offset = ((T2 - T1) + (T3 - T4)) / 2 (floored to the ns), positive when
    the server is ahead of us; delay = (T4 - T1) - (T3 - T2), at least our
    precision; dispersion = both precisions + PHI over the round trip.
    """
    t2, t3 = reply.receive_utc_ns, reply.transmit_utc_ns
    offset = ((t2 - t1_utc_ns) + (t3 - t4_utc_ns)) // 2
    delay = max((t4_utc_ns - t1_utc_ns) - (t3 - t2), log2_ns(tuning.local_precision))
    if delay > tuning.max_dispersion_ns:
        return DropReason.DELAY
    server_precision = min(log2_ns(reply.precision), tuning.max_dispersion_ns)
    dispersion = (server_precision + log2_ns(tuning.local_precision)
                  + growth_ns(t4_utc_ns - t1_utc_ns, tuning.phi_ppb))
    return Measurement(offset, delay, dispersion)
