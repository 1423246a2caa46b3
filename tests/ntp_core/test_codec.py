# SPDX-License-Identifier: GPL-2.0-or-later
"""NTP codec: round trips over all field ranges, agreement with scapy's NTP layer, parse errors."""

from __future__ import annotations

import ipaddress
import struct

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scapy.layers.ntp import NTPAuthenticator, NTPHeader

from ptpbridge.wire.ntp import ExtensionField, Mac, NtpPacket, NtpParseError, decode, encode, patch_transmit
from ptpbridge.wire.ntp.timestamps import utc_ns_to_ntp64

u32 = st.integers(0, 0xFFFF_FFFF)
u64 = st.integers(0, (1 << 64) - 1)


@st.composite
def extension_fields(draw: st.DrawFn) -> ExtensionField:
    words = draw(st.integers(3, 20))
    return ExtensionField(draw(st.integers(0, 0xFFFF)), draw(st.binary(min_size=4 * words, max_size=4 * words)))


@st.composite
def packets(draw: st.DrawFn) -> NtpPacket:
    version = draw(st.integers(0, 7))
    exts: tuple[ExtensionField, ...] = ()
    if version >= 4:
        exts = tuple(draw(st.lists(extension_fields(), max_size=3)))
    mac_len = draw(st.sampled_from([None, 0, 16, 20] + ([] if version >= 4 else [24, 32, 48, 64])))
    mac = None if mac_len is None else Mac(draw(u32), draw(st.binary(min_size=mac_len, max_size=mac_len)))
    return NtpPacket(
        leap=draw(st.integers(0, 3)), version=version, mode=draw(st.integers(0, 7)),
        stratum=draw(st.integers(0, 255)), poll=draw(st.integers(-128, 127)),
        precision=draw(st.integers(-128, 127)), root_delay=draw(u32), root_dispersion=draw(u32),
        reference_id=draw(st.binary(min_size=4, max_size=4)), reference_ts=draw(u64),
        origin_ts=draw(u64), receive_ts=draw(u64), transmit_ts=draw(u64),
        extensions=exts, mac=mac,
    )


def _try_encode(pkt: NtpPacket) -> bytes:
    try:
        return encode(pkt)
    except ValueError:
        assume(False)
        raise


@settings(max_examples=400)
@given(packets())
def test_roundtrip(pkt: NtpPacket) -> None:
    wire = _try_encode(pkt)
    back = decode(wire)
    assert back.encode() == wire
    pkt.mac_offset = back.mac_offset
    assert back == pkt
    assert back.mac_offset == len(wire) - (0 if pkt.mac is None else pkt.mac.wire_length)


def _scapy_header(pkt: NtpPacket) -> NTPHeader:
    h = NTPHeader(leap=pkt.leap, version=pkt.version, mode=pkt.mode, stratum=pkt.stratum,
                  poll=pkt.poll, precision=pkt.precision)
    # Fixed-point fields: set raw wire integers (scapy's any2i takes seconds).
    for name, raw in (("delay", pkt.root_delay), ("dispersion", pkt.root_dispersion),
                      ("ref", pkt.reference_ts), ("orig", pkt.origin_ts),
                      ("recv", pkt.receive_ts), ("sent", pkt.transmit_ts)):
        h.fields[name] = raw
    if pkt.stratum > 1:
        h.id = str(ipaddress.IPv4Address(pkt.reference_id))
    else:
        h.ref_id = pkt.reference_id
    return h


@settings(max_examples=300)
@given(packets())
def test_header_byte_identical_to_scapy(pkt: NtpPacket) -> None:
    pkt.extensions, pkt.mac = (), None
    ours = encode(pkt)
    assert bytes(_scapy_header(pkt)) == ours
    d = NTPHeader(ours)
    assert (d.leap, d.version, d.mode, d.stratum, d.poll, d.precision) == (
        pkt.leap, pkt.version, pkt.mode, pkt.stratum, pkt.poll, pkt.precision)
    assert (d.fields["delay"], d.fields["dispersion"], d.fields["ref"], d.fields["orig"],
            d.fields["recv"], d.fields["sent"]) == (
        pkt.root_delay, pkt.root_dispersion, pkt.reference_ts, pkt.origin_ts, pkt.receive_ts, pkt.transmit_ts)


@given(st.integers(1, 0xFFFF_FFFF), st.sampled_from([16, 20]), st.data())
def test_mac_agrees_with_scapy_authenticator(key_id: int, dlen: int, data: st.DataObject) -> None:
    digest = data.draw(st.binary(min_size=dlen, max_size=dlen))
    wire = encode(NtpPacket(mac=Mac(key_id, digest)))
    auth = NTPHeader(wire).getlayer(NTPAuthenticator)
    assert auth is not None
    assert (auth.key_id, auth.dgst) == (key_id, digest)


def test_crypto_nak_and_mac_lengths() -> None:
    assert decode(encode(NtpPacket(mac=Mac(0)))).mac == Mac(0, b"")
    assert decode(encode(NtpPacket(mac=Mac(0)))).mac.is_crypto_nak  # type: ignore[union-attr]
    v3 = NtpPacket(version=3, mac=Mac(9, bytes(32)))
    assert decode(encode(v3)).mac == Mac(9, bytes(32))
    with pytest.raises(ValueError):
        encode(NtpPacket(version=4, mac=Mac(9, bytes(32))))  # v4 MACs stop at 20 octets


@pytest.mark.parametrize(
    ("trailer", "why"),
    [
        (b"\x00" * 8, "neither a MAC"),
        (struct.pack("!HH", 0x0104, 12) + bytes(24), "invalid length 12"),
        (struct.pack("!HH", 0x0104, 18) + bytes(24), "invalid length 18"),
        (struct.pack("!HH", 0x0104, 64) + bytes(28), "overruns"),
        (struct.pack("!HH", 0x0104, 32) + bytes(28) + bytes(8), "neither a MAC"),
    ],
)
def test_bad_trailers_raise_parse_error(trailer: bytes, why: str) -> None:
    with pytest.raises(NtpParseError, match=why):
        decode(encode(NtpPacket()) + trailer)


def test_short_and_v3_trailers() -> None:
    for n in range(48):
        with pytest.raises(NtpParseError, match="shorter"):
            decode(bytes(n))
    with pytest.raises(NtpParseError, match="NTPv3"):
        decode(encode(NtpPacket(version=3)) + bytes(32 + 4 + 2))


def test_encoder_refuses_ambiguous_layouts() -> None:
    ef16 = ExtensionField(0x0104, bytes(12))
    with pytest.raises(ValueError, match="28"):
        encode(NtpPacket(extensions=(ef16,)))
    with pytest.raises(ValueError, match="ambiguity"):
        encode(NtpPacket(extensions=(ef16,), mac=Mac(0)))  # 16 + 4 reads as a 20-octet MAC
    with pytest.raises(ValueError):
        encode(NtpPacket(version=3, extensions=(ExtensionField(1, bytes(28)),)))


def test_patch_transmit_in_place() -> None:
    buf = bytearray(encode(NtpPacket(transmit_ts=1)))
    patch_transmit(buf, 1_700_000_000_000_000_001)
    assert decode(buf).transmit_ts == utc_ns_to_ntp64(1_700_000_000_000_000_001)
    assert buf[:40] == encode(NtpPacket())[:40]
