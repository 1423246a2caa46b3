# SPDX-License-Identifier: GPL-2.0-or-later
"""Hypothesis strategies over the whole range of every PTP field."""

from __future__ import annotations

import struct
from typing import Any

from hypothesis import strategies as st

from ptpbridge.wire.ptp import fast
from ptpbridge.wire.ptp.constants import BODY_LEN, HEADER_LEN, MessageType
from ptpbridge.wire.ptp.values import ClockIdentity, ClockQuality, PortIdentity, Timestamp

u4 = st.integers(0, 15)
u8 = st.integers(0, 0xFF)
i8 = st.integers(-0x80, 0x7F)
u16 = st.integers(0, 0xFFFF)
i16 = st.integers(-0x8000, 0x7FFF)
u32 = st.integers(0, 0xFFFFFFFF)
i64 = st.integers(-(1 << 63), (1 << 63) - 1)
clock_identities = st.binary(min_size=8, max_size=8).map(ClockIdentity)
port_identities = st.builds(PortIdentity, clock_identities, u16)
# Nanoseconds over the whole UInteger32, so invalid (>= 10^9) values are covered too.
timestamps = st.builds(Timestamp, st.integers(0, (1 << 48) - 1), u32)
clock_qualities = st.builds(ClockQuality, u8, u8, u16)

MESSAGE_TYPES = [t for t in MessageType]


def tlv_octets(max_tlvs: int = 4) -> st.SearchStrategy[bytes]:
    """A well-formed TLV suffix: whole TLVs, even lengths, any type."""
    one = st.tuples(u16, st.integers(0, 24).flatmap(lambda n: st.binary(min_size=2 * n, max_size=2 * n)))
    return st.lists(one, max_size=max_tlvs).map(
        lambda tl: b"".join(struct.pack(">HH", t, len(v)) + v for t, v in tl)
    )


headers = st.builds(
    fast.Header,
    major_sdo_id=u4,
    minor_version=u4,
    version=st.just(2),
    domain=u8,
    minor_sdo_id=u8,
    flags=u16,
    correction=i64,
    message_type_specific=u32,
    source_port_identity=port_identities,
    sequence_id=u16,
    control=u8,
    log_message_interval=i8,
)


def messages(mtype: MessageType) -> st.SearchStrategy[Any]:
    """A fast message of one type, every field drawn from its whole range."""
    cls = fast.MESSAGE_CLASSES[mtype]
    tl = tlv_octets()
    if cls in (fast.SyncMsg, fast.DelayReqMsg, fast.FollowUpMsg):
        return st.builds(cls.make, headers, timestamps, tl)
    if cls in (fast.DelayRespMsg, fast.PdelayRespMsg, fast.PdelayRespFollowUpMsg):
        return st.builds(cls.make, headers, timestamps, port_identities, tl)
    if cls is fast.PdelayReqMsg:
        return st.builds(cls.make, headers, timestamps, tl, st.binary(min_size=10, max_size=10))
    if cls is fast.AnnounceMsg:
        return st.builds(
            cls.make, headers, timestamps, i16, u8, clock_qualities, u8, clock_identities, u16, u8, tl, u8
        )
    if cls is fast.SignalingMsg:
        return st.builds(cls.make, headers, port_identities, tl)
    return st.builds(cls.make, headers, port_identities, u8, u8, u4, tl, u4, u8)


any_message = st.sampled_from(MESSAGE_TYPES).flatmap(messages)


@st.composite
def raw_datagrams(draw: st.DrawFn) -> bytes:
    """Random octets shaped as a valid message: right type/version nibbles and messageLength,
    whole TLVs; everything else (reserved octets included) random; sometimes trailing padding."""
    mtype = draw(st.sampled_from(MESSAGE_TYPES))
    fixed = HEADER_LEN + BODY_LEN[mtype]
    raw = bytearray(draw(st.binary(min_size=fixed, max_size=fixed)))
    tlvs = draw(tlv_octets())
    raw[0] = (raw[0] & 0xF0) | mtype
    raw[1] = (raw[1] & 0xF0) | 2
    struct.pack_into(">H", raw, 2, fixed + len(tlvs))
    trailing = draw(st.binary(max_size=8))
    return bytes(raw) + tlvs + trailing
