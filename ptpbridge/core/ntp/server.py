# SPDX-License-Identifier: GPL-2.0-or-later
"""The sans-IO NTP server: request bytes, client address and kernel receive time in; a decision out.

`NtpServerCore.handle` never reads a clock or a socket and never raises.
Each request is checked in this order, and ends in exactly one counter
(replied, or dropped for one reason):

1. mode and version from the first octet (mode 6/7 and non-requests are
   counted and dropped without a full parse; versions 2-4 are answered,
   in kind);
2. full parse (malformed packets are counted and dropped);
3. access control (drop, or a DENY kiss-o'-death where configured);
4. rate limiting (drop; the leaked share gets a reply or a RATE KoD);
5. symmetric-key authentication (bad MACs: crypto-NAK or drop);
6. the reply: interleaved when the request refers to a previous response
   whose kernel transmit timestamp we hold, basic otherwise.

Plain requests (48 octets: no MAC, no extension field) skip the full
parse when nothing but access control applies (no rate limit, no required
authentication): one struct read, the same reply builder, the same
counters; `tests/ntp_core/test_fast_path.py` proves the decisions
identical to the general path's.

Basic replies leave the transmit timestamp to the I/O layer, which reads
the clock just before sending and calls `NtpDecision.finalize(tx_utc_ns)`:
that patches the field and then computes the MAC, in that order. Interleaved
replies and kiss-o'-death packets are final when built. After sending, the
I/O layer reports the kernel transmit timestamp with `record_tx`.

No reply is ever longer than its request unless the request was
authenticated (and then only by the same MAC): replies carry no extension
fields, a KoD is 48 octets, a crypto-NAK 52.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

from ptpbridge.core.ntp.access import AccessConfig, AccessControl
from ptpbridge.core.ntp.addresses import client_identity
from ptpbridge.core.ntp.auth import compute_digest, digest_len, verify_digest
from ptpbridge.core.ntp.interleave import InterleaveConfig, InterleaveTable
from ptpbridge.core.ntp.keys import SymmetricKey
from ptpbridge.core.ntp.monitor import ClientMonitor, ClientRecord, DropReason, ServerCounters
from ptpbridge.core.ntp.ratelimit import RateLimitConfig, RateLimiter, RateVerdict
from ptpbridge.core.ntp.state import ServerTimeState
from ptpbridge.wire.ntp.constants import (
    NTP_HEADER_LEN,
    STRATUM_KOD,
    SUPPORTED_VERSIONS,
    KissCode,
    Leap,
    Mode,
)
from ptpbridge.wire.ntp.errors import NtpParseError
from ptpbridge.wire.ntp.packet import HEADER, KEY_ID, NtpPacket, decode, first_octet, patch_transmit
from ptpbridge.wire.ntp.timestamps import ns_to_ntp_short, utc_ns_to_ntp64

ClientAddress = tuple[str, int]

_NAK_TRAILER = KEY_ID.pack(0)
# What a reply needs of a plain request: poll, origin, receive and transmit timestamps.
_PLAIN_REQUEST = struct.Struct("!2xb21xQQQ")
ACCESS_MEMO_MAX = 65536


class ReplyKind(enum.Enum):
    BASIC = "basic"
    INTERLEAVED = "interleaved"
    KOD = "kiss-o'-death"
    CRYPTO_NAK = "crypto-NAK"


class TransmitFill(enum.Enum):
    """Who fills the transmit timestamp: the I/O layer just before send, or nobody."""

    LATE = "late"
    FINAL = "final"


@dataclass(frozen=True, slots=True)
class NtpServerConfig:
    access: AccessConfig = AccessConfig()
    ratelimit: RateLimitConfig | None = None
    interleave: InterleaveConfig = InterleaveConfig()
    keys: Mapping[int, SymmetricKey] = field(default_factory=dict)
    # Drop requests without a MAC.
    require_auth: bool = False
    # Answer a bad or unknown-key MAC with a crypto-NAK (else drop it).
    bad_mac_nak: bool = True
    monitor_max_clients: int = 4096
    monitor_max_bytes: int | None = None


@dataclass(slots=True)
class NtpDecision:
    """What to do with one request; `reply` is None when it is dropped."""

    reply: bytearray | None
    kind: ReplyKind | None = None
    drop_reason: DropReason | None = None
    transmit: TransmitFill = TransmitFill.FINAL
    # Pass to record_tx with the kernel TX timestamp of this reply.
    reply_id: int = 0
    sign_key: SymmetricKey | None = None
    version: int = 4

    def finalize(self, tx_utc_ns: int) -> bytes:
        """The bytes to send: transmit patched (late replies), then MAC computed."""
        return finalize_reply(self, tx_utc_ns)


def finalize_reply(decision: NtpDecision, tx_utc_ns: int) -> bytes:
    """Patch the transmit timestamp of a late reply, then sign it; final replies pass through."""
    buf = decision.reply
    if buf is None:
        raise ValueError("a dropped request has no reply to finalize")
    if decision.transmit is TransmitFill.LATE:
        patch_transmit(buf, tx_utc_ns)
        key = decision.sign_key
        if key is not None:
            start = NTP_HEADER_LEN + KEY_ID.size
            buf[start:] = compute_digest(key, memoryview(buf)[:NTP_HEADER_LEN], decision.version)
    return bytes(buf)


class NtpServerCore:
    """Sans-IO NTP server state: access, rate limits, keys, interleaved timestamps, counters."""

    # Plain requests take the fast path (tests switch it off to compare the two).
    fast_path = True

    def __init__(self, config: NtpServerConfig, state: ServerTimeState | None = None) -> None:
        self.config = config
        self.state = state if state is not None else ServerTimeState.unsynchronised()
        self._plain_ok = config.ratelimit is None and not config.require_auth
        # Access verdicts by canonical address for the fast path (the lists never change).
        self._access_memo: dict[str, bool] = {}
        self.access = AccessControl(config.access)
        self.limiter = RateLimiter(config.ratelimit) if config.ratelimit is not None else None
        self.interleave = InterleaveTable(config.interleave)
        self.keys: Mapping[int, SymmetricKey] = config.keys
        self.counters = ServerCounters()
        self.clients = ClientMonitor(config.monitor_max_clients, config.monitor_max_bytes)

    @property
    def state(self) -> ServerTimeState:
        return self._state

    @state.setter
    def state(self, state: ServerTimeState) -> None:
        self._state = state
        # The header fields that change only with the state, computed once per state.
        self._fixed = (state.leap << 6, state.wire_stratum, state.precision, state.root_delay_short,
                       state.reference_id, state.reference_ntp64)

    def set_state(self, state: ServerTimeState) -> None:
        """New leap/stratum/reference/error budget from the daemon."""
        self.state = state

    # -- the request path -------------------------------------------------

    def handle(
        self,
        data: bytes | bytearray | memoryview,
        client: ClientAddress,
        rx_utc_ns: int,
        mono_ns: int | None = None,
    ) -> NtpDecision:
        """Decide on one request received at kernel time `rx_utc_ns` (UTC ns).

        `mono_ns` is a monotonic time for rate limiting (defaults to
        `rx_utc_ns`). Never raises: every outcome is counted.
        """
        self.counters.received += 1
        try:
            addr, name = client_identity(client[0])
        except (ValueError, TypeError, IndexError):
            return self._drop(None, DropReason.MALFORMED)
        rec = self.clients.record(name)
        rec.requests += 1
        rec.last_seen_utc_ns = rx_utc_ns
        if not data:
            return self._drop(rec, DropReason.MALFORMED)
        b0 = data[0]
        version = (b0 >> 3) & 7
        mode = b0 & 7
        rec.last_mode = mode
        rec.last_version = version
        if mode == Mode.CONTROL:
            return self._drop(rec, DropReason.MODE6_DISABLED)
        if mode == Mode.PRIVATE:
            return self._drop(rec, DropReason.MODE7)
        if version not in SUPPORTED_VERSIONS:
            return self._drop(rec, DropReason.VERSION)
        if mode == Mode.SYMMETRIC_ACTIVE:
            return self._drop(rec, DropReason.MODE_SYMMETRIC)
        if mode != Mode.CLIENT:
            return self._drop(rec, DropReason.MODE_UNEXPECTED)
        if len(data) == NTP_HEADER_LEN and self._plain_ok and self.fast_path:
            allowed = self._access_memo.get(name)
            if allowed is None:
                if len(self._access_memo) >= ACCESS_MEMO_MAX:
                    self._access_memo.clear()
                allowed = self._access_memo[name] = self.access.allowed(addr)
            if allowed:
                poll, org, rcv, xmt = _PLAIN_REQUEST.unpack_from(data)
                return self._reply(rec, version, poll, org, rcv, xmt, rx_utc_ns, None)
        try:
            req = decode(data)
        except NtpParseError:
            return self._drop(rec, DropReason.MALFORMED)

        key_addr = rec.address
        if not self.access.allowed(addr):
            if self.config.access.deny_kod and self._rate(key_addr, rx_utc_ns, mono_ns) is not RateVerdict.DROP:
                return self._kod(rec, req, KissCode.DENY)
            return self._drop(rec, DropReason.ACCESS)

        verdict = self._rate(key_addr, rx_utc_ns, mono_ns)
        if verdict is RateVerdict.DROP:
            return self._drop(rec, DropReason.RATE)
        if verdict is RateVerdict.LEAK and self.limiter is not None and self.limiter.config.kod:
            return self._kod(rec, req, KissCode.RATE)

        sign_key: SymmetricKey | None = None
        mac = req.mac
        if mac is not None:
            rec.last_key_id = mac.key_id
            candidate = None if mac.is_crypto_nak else self.keys.get(mac.key_id)
            if candidate is None:
                return self._auth_failed(rec, req, rx_utc_ns, DropReason.AUTH_UNKNOWN_KEY)
            covered = memoryview(data)[: req.mac_offset]
            if not verify_digest(candidate, covered, version, mac.digest):
                return self._auth_failed(rec, req, rx_utc_ns, DropReason.AUTH_BAD_MAC)
            sign_key = candidate
        elif self.config.require_auth:
            return self._drop(rec, DropReason.AUTH_REQUIRED)
        return self._reply(rec, req.version, req.poll, req.origin_ts, req.receive_ts, req.transmit_ts,
                           rx_utc_ns, sign_key)

    def record_tx(self, client: ClientAddress, reply_id: int, tx_utc_ns: int) -> bool:
        """Store the kernel TX timestamp of a sent reply for the client's next interleaved request."""
        try:
            key = client_identity(client[0])[1]
        except (ValueError, TypeError, IndexError):
            self.counters.tx_unmatched += 1
            return False
        ok = self.interleave.record_tx(key, reply_id, tx_utc_ns)
        if ok:
            self.counters.tx_recorded += 1
        else:
            self.counters.tx_unmatched += 1
        return ok

    # -- helpers ----------------------------------------------------------

    def _rate(self, key: str, rx_utc_ns: int, mono_ns: int | None) -> RateVerdict:
        if self.limiter is None:
            return RateVerdict.ALLOW
        verdict = self.limiter.check(key, rx_utc_ns if mono_ns is None else mono_ns)
        if verdict is not RateVerdict.ALLOW:
            self.counters.rate_limited += 1
        return verdict

    def _drop(self, rec: ClientRecord | None, reason: DropReason) -> NtpDecision:
        self.counters.dropped[reason] += 1
        if rec is not None:
            rec.drops += 1
        return NtpDecision(None, drop_reason=reason)

    def _kod(self, rec: ClientRecord, req: NtpPacket, code: KissCode) -> NtpDecision:
        # Like ntpd: the client's transmit timestamp in origin, receive and
        # transmit, so the client can match it and learns no time from it.
        xmt = req.transmit_ts
        buf = bytearray(
            HEADER.pack(
                first_octet(Leap.UNSYNCHRONISED, req.version, Mode.SERVER), STRATUM_KOD, req.poll,
                self.state.precision, 0, 0, code.value, 0, xmt, xmt, xmt,
            )
        )
        self.counters.replied += 1
        name = code.value.decode("ascii")
        self.counters.kod_sent[name] = self.counters.kod_sent.get(name, 0) + 1
        return NtpDecision(buf, ReplyKind.KOD, version=req.version)

    def _auth_failed(self, rec: ClientRecord, req: NtpPacket, rx_utc_ns: int, reason: DropReason) -> NtpDecision:
        self.counters.auth_failures += 1
        if not self.config.bad_mac_nak:
            return self._drop(rec, reason)
        buf = self._header(req.version, req.poll, rx_utc_ns, req.transmit_ts, 0)
        buf += _NAK_TRAILER
        self.counters.replied += 1
        self.counters.crypto_naks += 1
        return NtpDecision(buf, ReplyKind.CRYPTO_NAK, transmit=TransmitFill.LATE, version=req.version)

    def _header(self, version: int, poll: int, rx_utc_ns: int, origin: int, transmit: int,
                rx_ntp64: int | None = None) -> bytearray:
        leap_bits, stratum, precision, root_delay, refid, reference = self._fixed
        st = self._state
        return bytearray(
            HEADER.pack(
                leap_bits | (version << 3) | Mode.SERVER,
                stratum,
                poll if st.poll is None else st.poll,
                precision,
                root_delay,
                ns_to_ntp_short(st.root_dispersion_at(rx_utc_ns)),
                refid,
                reference,
                origin,
                utc_ns_to_ntp64(rx_utc_ns) if rx_ntp64 is None else rx_ntp64,
                transmit,
            )
        )

    def _reply(
        self, rec: ClientRecord, version: int, poll: int, org: int, rcv: int, xmt: int, rx_utc_ns: int,
        sign_key: SymmetricKey | None,
    ) -> NtpDecision:
        table = self.interleave
        enabled = table.config.enabled
        prev_tx: int | None = None
        if enabled and org != 0 and org != xmt:
            prev_tx = table.transmit_for(rec.address, org)
        # The receive timestamp as written, which also names this exchange for record_tx.
        reply_id = utc_ns_to_ntp64(rx_utc_ns)
        if prev_tx is not None:
            # RFC 9769: origin carries the client's receive timestamp of our
            # previous response, transmit the precise TX time of that response.
            buf = self._header(version, poll, rx_utc_ns, rcv, utc_ns_to_ntp64(prev_tx), reply_id)
            kind, fill = ReplyKind.INTERLEAVED, TransmitFill.FINAL
            self.counters.interleaved_replies += 1
            rec.interleaved += 1
        else:
            buf = self._header(version, poll, rx_utc_ns, xmt, 0, reply_id)
            kind, fill = ReplyKind.BASIC, TransmitFill.LATE
        if enabled:
            table.save_receive(rec.address, reply_id)
        if sign_key is not None:
            buf += KEY_ID.pack(sign_key.key_id)
            if fill is TransmitFill.FINAL:
                buf += compute_digest(sign_key, buf[:NTP_HEADER_LEN], version)
            else:
                buf += bytes(digest_len(sign_key, version))
            self.counters.authenticated_replies += 1
        self.counters.replied += 1
        return NtpDecision(buf, kind, None, fill, reply_id, sign_key, version)

    # -- monitoring -------------------------------------------------------

    def status(self) -> dict[str, object]:
        """Counters and client table as plain data for a status command."""
        return {
            "counters": self.counters.as_dict(),
            "clients": [rec.as_dict() for rec in self.clients.snapshot()],
            "interleave_entries": len(self.interleave),
            "ratelimit_clients": 0 if self.limiter is None else len(self.limiter.table),
        }
