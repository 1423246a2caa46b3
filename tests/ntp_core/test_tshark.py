# SPDX-License-Identifier: GPL-2.0-or-later
"""Wireshark's NTP dissector reads our packets as we meant them, with nothing malformed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptpbridge.core.ntp import AccessConfig, RateLimitConfig
from ptpbridge.wire.ntp import ExtensionField, ExtensionFieldType, Mac, NtpPacket, decode, encode
from ptpbridge.wire.ntp.timestamps import ntp64_to_utc_ns, utc_ns_to_ntp64

from ._common import KEYS, NS, T0, core, request
from ._tshark import dissect, tshark_path, tshark_time_to_utc_ns

pytestmark = pytest.mark.skipif(tshark_path() is None, reason="tshark not installed")


def _packets() -> list[bytes]:
    out: list[bytes] = []
    c = core(ratelimit=RateLimitConfig(interval=0, burst=1, leak=1, kod=True))
    for v in (2, 3, 4):
        req = request(v, xmt=utc_ns_to_ntp64(T0 - NS))
        out.append(req)
        d = c.handle(req, ("198.18.0.9", 123), T0 + v * NS)
        assert d.reply is not None
        out.append(d.finalize(T0 + v * NS + 30_000))
    # Signed requests and replies, one per key type.
    for kid in (1, 2, 3, 4):
        req = request(4 if kid != 4 else 3, key=KEYS[kid], xmt=utc_ns_to_ntp64(T0))
        out.append(req)
        d = c.handle(req, (f"198.18.1.{kid}", 123), T0 + 10 * NS)
        assert d.sign_key is KEYS[kid]
        out.append(d.finalize(T0 + 10 * NS + 20_000))
    # Over the limit (1/s, burst 1): first dropped, second leaked as a RATE kiss-o'-death.
    assert c.handle(request(), ("198.18.0.9", 123), T0 + 4 * NS).reply is None
    d = c.handle(request(), ("198.18.0.9", 123), T0 + 4 * NS)
    assert d.reply is not None and d.reply[12:16] == b"RATE"
    out.append(d.finalize(0))
    deny = core(access=AccessConfig(deny_kod=True))
    dd = deny.handle(request(), ("198.18.0.7", 123), T0)
    assert dd.reply is not None
    out.append(dd.finalize(0))
    # Bad MAC: crypto-NAK.
    bad = bytearray(request(key=KEYS[1]))
    bad[-1] ^= 1
    nak = c.handle(bytes(bad), ("198.18.2.1", 123), T0 + 20 * NS)
    assert nak.reply is not None
    out.append(bytes(bad))
    out.append(nak.finalize(T0 + 20 * NS + 1000))
    # Extension fields with and without a MAC, and an era-1 timestamp.
    out.append(encode(NtpPacket(extensions=(ExtensionField(ExtensionFieldType.NTS_UNIQUE_IDENTIFIER, bytes(range(32))),),
                                transmit_ts=utc_ns_to_ntp64(2_200_000_000 * NS))))
    out.append(encode(NtpPacket(extensions=(ExtensionField(ExtensionFieldType.NTS_COOKIE, bytes(12)),), mac=Mac(7, bytes(range(20))))))
    return out


def test_tshark_reads_our_fields(tmp_path: Path) -> None:
    payloads = _packets()
    seen = dissect(payloads, tmp_path)
    assert len(seen) == len(payloads)
    for raw, ts in zip(payloads, seen, strict=True):
        ours = decode(raw)
        assert not ts.malformed and not ts.expert_errors, (raw.hex(), ts.expert_errors)
        assert int(ts.value("ntp.flags.li")) == ours.leap
        assert int(ts.value("ntp.flags.vn")) == ours.version
        assert int(ts.value("ntp.flags.mode")) == ours.mode
        assert int(ts.show("ntp.stratum")) == ours.stratum
        assert int(ts.show("ntp.ppoll")) == ours.poll & 0xFF
        assert int(ts.show("ntp.rootdelay")) == ours.root_delay
        assert int(ts.show("ntp.rootdispersion")) == ours.root_dispersion
        assert bytes.fromhex(ts.value("ntp.refid")) == ours.reference_id
        for name, wire in (("ntp.reftime", ours.reference_ts), ("ntp.org", ours.origin_ts),
                           ("ntp.rec", ours.receive_ts), ("ntp.xmt", ours.transmit_ts)):
            assert int(ts.value(name), 16) == wire
            if wire >> 32:  # tshark shows 0 as NULL; it truncates the fraction, we round
                theirs = tshark_time_to_utc_ns(ts.show(name))
                mine = ntp64_to_utc_ns(wire, pivot_utc_ns=theirs)
                assert 0 <= mine - theirs <= 1, name
        if ours.mac is not None:
            assert int(ts.value("ntp.keyid"), 16) == ours.mac.key_id
            if ours.mac.digest:
                assert bytes.fromhex(ts.value("ntp.mac")) == ours.mac.digest
        else:
            assert "ntp.keyid" not in ts.values
        assert [int(t, 16) for t in ts.values.get("ntp.ext.type", [])] == [e.field_type for e in ours.extensions]
        assert [int(n) for n in ts.shows.get("ntp.ext.length", [])] == [e.wire_length for e in ours.extensions]
