# SPDX-License-Identifier: GPL-2.0-or-later
"""The fast codec and the scapy layers agree byte for byte, in both directions, over whole field ranges."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptpbridge.wire.ptp import fast
from ptpbridge.wire.ptp.constants import MessageType
from ptpbridge.wire.ptp.layers import PTP
from ptpbridge.wire.ptp.tlvs import dissect_tlv

from .agreement import BODY_MAP, compare_fast_scapy
from .strategies import MESSAGE_TYPES, any_message, messages, raw_datagrams

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def scapy_from_fast(msg: fast.Message) -> Any:
    """The same message built with the scapy layers from its field values (not from octets)."""
    h = msg.header
    hdr = PTP(
        majorSdoId=h.major_sdo_id,
        minorVersionPTP=h.minor_version,
        versionPTP=h.version,
        domainNumber=h.domain,
        minorSdoId=h.minor_sdo_id,
        flagField=h.flags,
        correctionField=h.correction,
        messageTypeSpecific=h.message_type_specific,
        sourcePortIdentity=h.source_port_identity,
        sequenceId=h.sequence_id,
        controlField=h.control,
        logMessageInterval=h.log_message_interval,
    )
    body_cls, pairs = BODY_MAP[type(msg)]
    values = {sa: getattr(msg, fa) for fa, sa in pairs}
    if isinstance(msg, fast.ManagementMsg):
        values["reserved"] = msg.action_octet >> 4
    tlvs = [dissect_tlv(raw) for raw in _split_tlvs(msg.tlvs)]
    return hdr / body_cls(tlvs=tlvs, **values)


def _split_tlvs(octets: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(octets):
        end = pos + 4 + int.from_bytes(octets[pos + 2 : pos + 4], "big")
        out.append(octets[pos:end])
        pos = end
    return out


@pytest.mark.parametrize("mtype", MESSAGE_TYPES, ids=lambda t: t.name)
@SETTINGS
@given(data=st.data())
def test_build_agrees(mtype: MessageType, data: st.DataObject) -> None:
    """Building from the same values gives the same octets with both codecs."""
    msg = data.draw(messages(mtype))
    wire = fast.encode(msg)
    assert bytes(scapy_from_fast(msg)) == wire
    assert wire[0] & 15 == mtype
    assert int.from_bytes(wire[2:4], "big") == len(wire)


@SETTINGS
@given(msg=any_message)
def test_fast_octets_dissect_alike(msg: fast.Message) -> None:
    """Octets from the fast encoder: both decoders read the same values, both rebuild the octets."""
    wire = fast.encode(msg)
    decoded = fast.decode(wire)
    assert decoded == msg
    ptp = PTP(wire)
    assert compare_fast_scapy(decoded, ptp) == []
    assert bytes(ptp) == wire


@settings(max_examples=600, deadline=None)
@given(raw=raw_datagrams())
def test_random_octets_round_trip(raw: bytes) -> None:
    """Any well-formed datagram, reserved octets and trailing padding included."""
    msg = fast.decode(raw)
    length = int.from_bytes(raw[2:4], "big")
    assert fast.encode(msg) == raw[:length]
    ptp = PTP(raw)
    assert compare_fast_scapy(msg, ptp) == []
    assert bytes(ptp) == raw  # the trailing octets come back as Padding
    assert bytes(scapy_from_fast(msg)) == raw[:length]


@SETTINGS
@given(msg=any_message)
def test_header_view_is_consistent(msg: fast.Message) -> None:
    h = fast.decode_header(fast.encode(msg))
    assert h == msg.header
    assert h.message_length == len(fast.encode(msg))
