# SPDX-License-Identifier: GPL-2.0-or-later
"""NTP packet codec on precompiled structs (RFC 5905 header, RFC 7822 extension fields, MAC).

This is the per-packet path: no scapy, one `struct` call for the 48-octet
header. scapy's `NTPHeader` is the readable reference; tests prove the two
agree byte for byte.

Where the header ends, what follows is split like this (RFC 7822 section 7.5):

* NTPv4 (and any higher version number): while bytes remain, a remainder of
  exactly 4 octets is a crypto-NAK (key id only), 20 or 24 octets is a MAC
  (key id + 16- or 20-octet digest); anything else must be an extension
  field of at least 16 octets, a multiple of 4, within the packet.
* Versions below 4 have no extension fields: the remainder is empty, a
  crypto-NAK, or a MAC with a 16- to 64-octet digest (multiple of 4).

Timestamp and short-format fields are kept as raw wire integers here;
`ptpbridge.wire.ntp.timestamps` converts them to and from UTC ns.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Final

from ptpbridge.wire.ntp.constants import (
    CRYPTO_NAK_LEN,
    EXT_FIELD_HEADER_LEN,
    EXT_FIELD_LAST_NO_MAC_MIN_LEN,
    EXT_FIELD_MAX_LEN,
    EXT_FIELD_MIN_LEN,
    MAC_DIGEST_MAX_LEN_V3,
    MAC_DIGEST_MIN_LEN,
    MAC_KEY_ID_LEN,
    MAC_LENS_V4,
    NTP_HEADER_LEN,
)
from ptpbridge.wire.ntp.errors import NtpParseError
from ptpbridge.wire.ntp.timestamps import utc_ns_to_ntp64

# LI/VN/mode, stratum, poll, precision, root delay, root dispersion,
# reference id, reference/origin/receive/transmit timestamps.
HEADER: Final = struct.Struct("!BBbbII4sQQQQ")
EXT_HEADER: Final = struct.Struct("!HH")
KEY_ID: Final = struct.Struct("!I")
_TS: Final = struct.Struct("!Q")

# Byte offset of the transmit timestamp, patched in place just before sending.
OFFSET_TRANSMIT_TS: Final = 40


@dataclass(frozen=True, slots=True)
class ExtensionField:
    """One RFC 7822 extension field; `value` is everything after the 4-octet header, padding included."""

    field_type: int
    value: bytes

    @property
    def wire_length(self) -> int:
        return EXT_FIELD_HEADER_LEN + len(self.value)


@dataclass(frozen=True, slots=True)
class Mac:
    """Key identifier and digest; an empty digest is a crypto-NAK."""

    key_id: int
    digest: bytes = b""

    @property
    def is_crypto_nak(self) -> bool:
        return not self.digest

    @property
    def wire_length(self) -> int:
        return MAC_KEY_ID_LEN + len(self.digest)


@dataclass(slots=True)
class NtpPacket:
    """A decoded NTP packet with raw wire values (see module docstring)."""

    leap: int = 0
    version: int = 4
    mode: int = 3
    stratum: int = 0
    poll: int = 0
    precision: int = 0
    root_delay: int = 0  # NTP short format, raw
    root_dispersion: int = 0  # NTP short format, raw
    reference_id: bytes = b"\x00\x00\x00\x00"
    reference_ts: int = 0  # NTP 64-bit format, raw
    origin_ts: int = 0
    receive_ts: int = 0
    transmit_ts: int = 0
    extensions: tuple[ExtensionField, ...] = field(default_factory=tuple)
    mac: Mac | None = None
    # Octets covered by a MAC: the header plus extension fields.
    mac_offset: int = NTP_HEADER_LEN

    def encode(self) -> bytes:
        """The wire bytes; raises ValueError on values that do not fit the format."""
        return encode(self)


def first_octet(leap: int, version: int, mode: int) -> int:
    """LI (2 bits), VN (3 bits), mode (3 bits) packed into one octet."""
    return (leap << 6) | (version << 3) | mode


def _mac_fits(remaining: int, version: int) -> bool:
    if remaining == CRYPTO_NAK_LEN:
        return True
    if version >= 4:
        return remaining in MAC_LENS_V4
    digest = remaining - MAC_KEY_ID_LEN
    return MAC_DIGEST_MIN_LEN <= digest <= MAC_DIGEST_MAX_LEN_V3 and digest % 4 == 0


def decode(data: bytes | bytearray | memoryview) -> NtpPacket:
    """Parse one NTP packet; malformed input raises NtpParseError and nothing else."""
    n = len(data)
    if n < NTP_HEADER_LEN:
        raise NtpParseError(f"packet of {n} octets is shorter than the {NTP_HEADER_LEN}-octet header")
    (b0, stratum, poll, precision, delay, disp, refid, ref, org, rec, xmt) = HEADER.unpack_from(data)
    version = (b0 >> 3) & 7
    offset = NTP_HEADER_LEN
    extensions: list[ExtensionField] = []
    mac: Mac | None = None
    while offset < n:
        remaining = n - offset
        if _mac_fits(remaining, version):
            (key_id,) = KEY_ID.unpack_from(data, offset)
            mac = Mac(key_id, bytes(data[offset + MAC_KEY_ID_LEN :]))
            break
        if version < 4:
            raise NtpParseError(f"NTPv{version} packet has {remaining} trailing octets that are not a MAC")
        if remaining < EXT_FIELD_MIN_LEN:
            raise NtpParseError(f"{remaining} trailing octets at {offset}: neither a MAC nor an extension field")
        ftype, flen = EXT_HEADER.unpack_from(data, offset)
        if flen < EXT_FIELD_MIN_LEN or flen % 4:
            raise NtpParseError(f"extension field at {offset} has invalid length {flen}")
        if flen > remaining:
            raise NtpParseError(f"extension field at {offset} of length {flen} overruns the packet ({remaining} left)")
        extensions.append(ExtensionField(ftype, bytes(data[offset + EXT_FIELD_HEADER_LEN : offset + flen])))
        offset += flen
    return NtpPacket(
        b0 >> 6, version, b0 & 7, stratum, poll, precision, delay, disp, refid,
        ref, org, rec, xmt, tuple(extensions), mac, offset,
    )


def encode(pkt: NtpPacket) -> bytes:
    """Serialise a packet, checking every field fits and the trailer parses back the same."""
    if not (0 <= pkt.leap <= 3 and 0 <= pkt.version <= 7 and 0 <= pkt.mode <= 7):
        raise ValueError("leap, version or mode out of range")
    if len(pkt.reference_id) != 4:
        raise ValueError("reference id must be 4 octets")
    try:
        head = HEADER.pack(
            first_octet(pkt.leap, pkt.version, pkt.mode), pkt.stratum, pkt.poll, pkt.precision,
            pkt.root_delay, pkt.root_dispersion, pkt.reference_id,
            pkt.reference_ts, pkt.origin_ts, pkt.receive_ts, pkt.transmit_ts,
        )
    except struct.error as exc:
        raise ValueError(f"NTP header field out of range: {exc}") from exc
    parts = [head]
    if pkt.extensions and pkt.version < 4:
        raise ValueError("extension fields need NTPv4")
    remaining = sum(e.wire_length for e in pkt.extensions)
    remaining += 0 if pkt.mac is None else pkt.mac.wire_length
    for i, ext in enumerate(pkt.extensions):
        if _mac_fits(remaining, pkt.version):
            raise ValueError("extension fields and MAC would parse back as a MAC alone (RFC 7822 ambiguity)")
        remaining -= ext.wire_length
        length = ext.wire_length
        if length < EXT_FIELD_MIN_LEN or length % 4 or length > EXT_FIELD_MAX_LEN:
            raise ValueError(f"extension field length {length} invalid (RFC 7822)")
        if not 0 <= ext.field_type <= 0xFFFF:
            raise ValueError("extension field type out of range")
        last = i == len(pkt.extensions) - 1
        if last and pkt.mac is None and length < EXT_FIELD_LAST_NO_MAC_MIN_LEN:
            raise ValueError("the last extension field of a packet without MAC must be >= 28 octets")
        parts.append(EXT_HEADER.pack(ext.field_type, length))
        parts.append(ext.value)
    if pkt.mac is not None:
        if not 0 <= pkt.mac.key_id <= 0xFFFF_FFFF:
            raise ValueError("MAC key id out of range")
        if not _mac_fits(pkt.mac.wire_length, pkt.version):
            raise ValueError(f"MAC of {pkt.mac.wire_length} octets is not valid for NTPv{pkt.version}")
        parts.append(KEY_ID.pack(pkt.mac.key_id))
        parts.append(pkt.mac.digest)
    return b"".join(parts)


def patch_transmit(buf: bytearray, utc_ns: int) -> None:
    """Write the transmit timestamp for UTC time `utc_ns` into a built packet, in place.

    The I/O layer reads the clock as late as possible before sending a
    basic-mode reply and calls this; any MAC must be computed afterwards.
    """
    _TS.pack_into(buf, OFFSET_TRANSMIT_TS, utc_ns_to_ntp64(utc_ns))
