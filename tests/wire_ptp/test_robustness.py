# SPDX-License-Identifier: GPL-2.0-or-later
"""Malformed input: the fast codec raises PtpParseError and nothing else; scapy never raises."""

from __future__ import annotations

import struct

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from ptpbridge.wire.ptp import fast
from ptpbridge.wire.ptp.constants import (
    ETHERTYPE_PTP,
    EVENT_PORT,
    GENERAL_PORT,
    ActionField,
    ManagementId,
    MessageType,
    TlvType,
)
from ptpbridge.wire.ptp.errors import PtpParseError
from ptpbridge.wire.ptp.layers import PTP, PTPAnnounce, PTPManagement, PTPSync
from ptpbridge.wire.ptp.tlvs import TLVManagement, TLVOpaque, TLVPad
from ptpbridge.wire.ptp.values import Timestamp

SYNC = bytes(PTP(sequenceId=1) / PTPSync(originTimestamp=Timestamp(1, 2)))
ANNOUNCE_TLVS = bytes(PTP(sequenceId=2) / PTPAnnounce(tlvs=[TLVPad(pad=bytes(4)), TLVOpaque(tlvType=0x7777, value=b"xy")]))
MGMT_GET = bytes(
    PTP(sequenceId=3)
    / PTPManagement(actionField=ActionField.GET, tlvs=[TLVManagement(managementId=ManagementId.DEFAULT_DATA_SET)])
)


def _scapy_keeps_octets(data: bytes) -> None:
    """Dissection never raises, directly or behind UDP and Ethernet, and no octet is lost."""
    pkt = PTP(data)
    assert bytes(pkt) == data
    for frame in (
        Ether(bytes(Ether(type=ETHERTYPE_PTP) / Raw(data))),
        Ether(bytes(Ether() / IP() / UDP(sport=EVENT_PORT, dport=EVENT_PORT) / Raw(data))),
    ):
        assert bytes(frame).endswith(data)


def _with_length(data: bytes, length: int) -> bytes:
    return data[:2] + struct.pack(">H", length) + data[4:]


def _rejects(data: bytes, match: str) -> None:
    with pytest.raises(PtpParseError, match=match):
        fast.decode(data)
    _scapy_keeps_octets(data)


@pytest.mark.parametrize("size", [0, 1, 2, 10, 33])
def test_shorter_than_header(size: int) -> None:
    _rejects(SYNC[:size], "shorter than the 34-octet PTP header")
    with pytest.raises(PtpParseError):
        fast.decode_header(SYNC[:size])


@pytest.mark.parametrize("size", [34, 40, 43])
def test_truncated_body(size: int) -> None:
    _rejects(SYNC[:size], "SYNC truncated")


def test_message_length_shorter_than_header_and_body() -> None:
    _rejects(_with_length(SYNC, 40), "messageLength 40 is shorter than header and body")
    _rejects(_with_length(SYNC, 0), "messageLength 0 is shorter")


def test_message_length_beyond_datagram() -> None:
    _rejects(_with_length(SYNC, 46), "messageLength 46 exceeds the 44 octets received")
    _rejects(ANNOUNCE_TLVS[:-2], "exceeds")


def test_trailing_octets_after_message_length_are_ignored() -> None:
    """An Ethernet frame pads a 44-octet Sync; the padding is not part of the message."""
    padded = SYNC + bytes(2)
    msg = fast.decode(padded)
    assert msg.tlvs == b""
    assert fast.encode(msg) == SYNC
    pkt = PTP(padded)
    assert pkt.haslayer("Padding") and bytes(pkt) == padded
    msg = fast.decode(ANNOUNCE_TLVS + b"\xde\xad\xbe\xef\x00\x02")
    assert fast.iter_tlvs(msg.tlvs) == [(TlvType.PAD, bytes(4)), (0x7777, b"xy")]


def test_tlv_overrunning_the_message() -> None:
    data = bytearray(ANNOUNCE_TLVS)
    struct.pack_into(">H", data, 64 + 2, 200)  # first TLV claims 200 octets
    _rejects(bytes(data), "overruns the message")


def test_odd_tlv_length() -> None:
    data = ANNOUNCE_TLVS + struct.pack(">HH", 0x7778, 3) + b"abc"
    data = _with_length(data, len(data))
    _rejects(data, "odd lengthField 3")


@pytest.mark.parametrize("extra", [1, 2, 3])
def test_partial_tlv_header(extra: int) -> None:
    data = SYNC + b"\x00" * extra
    _rejects(_with_length(data, len(data)), "too short for a TLV header")


@pytest.mark.parametrize("mtype", [4, 5, 6, 7, 0xE, 0xF])
def test_unknown_message_types(mtype: int) -> None:
    data = bytes([mtype]) + SYNC[1:]
    _rejects(data, f"unknown messageType {mtype:#x}")


@pytest.mark.parametrize("version", [0, 1, 3, 15])
def test_version_other_than_2(version: int) -> None:
    data = SYNC[:1] + bytes([(SYNC[1] & 0xF0) | version]) + SYNC[2:]
    _rejects(data, f"versionPTP {version} is not 2")
    with pytest.raises(PtpParseError):
        fast.decode_header(data)
    # scapy keeps the header and leaves the body undissected.
    assert isinstance(PTP(data).payload, Raw)


@pytest.mark.parametrize("minor", [0, 1, 2])
def test_minor_versions_accepted(minor: int) -> None:
    data = SYNC[:1] + bytes([(minor << 4) | 2]) + SYNC[2:]
    msg = fast.decode(data)
    assert msg.minor_version == minor and msg.version == 2
    assert fast.encode(msg) == data
    assert PTP(data).minorVersionPTP == minor


def test_management_get_has_an_empty_data_field() -> None:
    msg = fast.decode(MGMT_GET)
    assert isinstance(msg, fast.ManagementMsg)
    assert msg.message_length == 48 + 6
    assert fast.iter_tlvs(msg.tlvs) == [(TlvType.MANAGEMENT, struct.pack(">H", ManagementId.DEFAULT_DATA_SET))]
    tlv = PTP(MGMT_GET).payload.tlvs[0]
    assert isinstance(tlv, TLVManagement) and tlv.lengthField == 2
    assert tlv.managementId == ManagementId.DEFAULT_DATA_SET
    assert tlv.payload.name == "NoPayload"


def test_iter_tlvs_rejects_what_decode_rejects() -> None:
    with pytest.raises(PtpParseError):
        fast.iter_tlvs(b"\x00\x01\x00")
    with pytest.raises(PtpParseError):
        fast.iter_tlvs(b"\x00\x01\x00\x04ab")


def test_a_malformed_tlv_value_keeps_the_following_tlvs() -> None:
    """A MANAGEMENT TLV too short for its managementId turns opaque; the PAD after it still dissects."""
    suffix = struct.pack(">HH", TlvType.MANAGEMENT, 0) + struct.pack(">HH", TlvType.PAD, 2) + b"\x00\x00"
    data = _with_length(SYNC + suffix, len(SYNC) + len(suffix))
    msg = fast.decode(data)
    assert fast.iter_tlvs(msg.tlvs) == [(TlvType.MANAGEMENT, b""), (TlvType.PAD, b"\x00\x00")]
    tlvs = PTP(data).payload.tlvs
    assert [type(t).__name__ for t in tlvs] == ["TLVOpaque", "TLVPad"]
    assert bytes(PTP(data)) == data


def test_general_port_binding_and_both_ports_dissect() -> None:
    for sport, dport in ((EVENT_PORT, 40000), (40000, GENERAL_PORT)):
        frame = Ether(bytes(Ether() / IP() / UDP(sport=sport, dport=dport) / Raw(SYNC)))
        assert frame.haslayer(PTP) and frame[PTP].sequenceId == 1
    assert not Ether(bytes(Ether() / IP() / UDP(sport=1000, dport=2000) / Raw(SYNC))).haslayer(PTP)


def test_message_type_nibble_comes_from_the_class() -> None:
    msg = fast.decode(SYNC)
    forged = msg._replace(octet0=(msg.octet0 & 0xF0) | MessageType.ANNOUNCE)
    assert fast.encode(forged)[0] & 15 == MessageType.SYNC
