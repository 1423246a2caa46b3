# SPDX-License-Identifier: GPL-2.0-or-later
"""Synthetic servers and exchanges for the client-core tests (no sockets, no clocks).

Our clock is the truth; monotonic time is UTC minus a fixed epoch. A
`SimServer` answers a request bytes-for-bytes like a server whose clock is
`offset_ns` ahead of the truth; `exchange` runs one request/reply with the
given one-way delays, so the expected offset is offset + (up - down) / 2.
"""

from __future__ import annotations

from dataclasses import dataclass

from ptpbridge.core.ntp.auth import compute_digest
from ptpbridge.core.ntp.keys import SymmetricKey
from ptpbridge.core.ntp_client import DropReason, NtpSource, Sample
from ptpbridge.wire.ntp import NtpPacket, decode, encode, ns_to_ntp_short, utc_ns_to_ntp64
from ptpbridge.wire.ntp.packet import KEY_ID

S = 1_000_000_000
MS = 1_000_000
US = 1_000
EPOCH_UTC = 1_700_000_000 * S  # UTC at monotonic 0 in these tests


def mono(utc_ns: int) -> int:
    return utc_ns - EPOCH_UTC


@dataclass
class SimServer:
    """Header values of the replies; `offset_ns` is its clock minus the truth."""

    offset_ns: int = 0
    stratum: int = 1
    leap: int = 0
    mode: int = 4
    precision: int = -20
    root_delay_ns: int = 0
    root_dispersion_ns: int = 0
    reference_id: bytes = b"GPS\x00"
    processing_ns: int = 20 * US
    key: SymmetricKey | None = None

    def reply(self, request: bytes, rx_true_ns: int, **override: object) -> bytes:
        """The reply to `request` received at true time `rx_true_ns`; fields overridable by name."""
        req = decode(request)
        t2 = rx_true_ns + self.offset_ns
        fields: dict[str, object] = dict(
            leap=self.leap, version=req.version, mode=self.mode, stratum=self.stratum, poll=req.poll,
            precision=self.precision, root_delay=ns_to_ntp_short(self.root_delay_ns),
            root_dispersion=ns_to_ntp_short(self.root_dispersion_ns), reference_id=self.reference_id,
            reference_ts=utc_ns_to_ntp64(t2 - 10 * S), origin_ts=req.transmit_ts,
            receive_ts=utc_ns_to_ntp64(t2), transmit_ts=utc_ns_to_ntp64(t2 + self.processing_ns),
        )
        fields.update(override)
        data = encode(NtpPacket(**fields))  # type: ignore[arg-type]
        if self.key is not None:
            data += KEY_ID.pack(self.key.key_id) + compute_digest(self.key, data, req.version)
        return data


def exchange(src: NtpSource, server: SimServer, now_utc_ns: int, up_ns: int = 100 * US,
             down_ns: int = 100 * US, **override: object) -> Sample | DropReason:
    """One poll of `src` at true time `now_utc_ns` answered by `server`."""
    req = src.make_request(mono(now_utc_ns), now_utc_ns)
    reply = server.reply(req, now_utc_ns + up_ns, **override)
    t4 = now_utc_ns + up_ns + server.processing_ns + down_ns
    return src.handle_response(reply, t4, now_utc_ns, mono(t4))


def run_polls(src: NtpSource, server: SimServer | None, start_utc_ns: int, polls: int,
              answered: list[bool] | None = None) -> int:
    """Poll at each deadline; answer when `answered[i]` (default: always). Returns the UTC time after."""
    now = start_utc_ns
    for i in range(polls):
        deadline = src.next_poll_deadline()
        assert deadline is not None
        now = max(now, deadline + EPOCH_UTC)
        if server is not None and (answered is None or answered[i]):
            res = exchange(src, server, now)
            assert isinstance(res, Sample), res
        else:
            src.make_request(mono(now), now)
    return now
