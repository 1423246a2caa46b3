# SPDX-License-Identifier: GPL-2.0-or-later
"""Templates patched in place give the same octets as encoding the changed message, and as scapy."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptpbridge.wire.ptp import fast
from ptpbridge.wire.ptp.constants import MessageType
from ptpbridge.wire.ptp.errors import PtpEncodeError
from ptpbridge.wire.ptp.layers import PTP
from ptpbridge.wire.ptp.values import PortIdentity, Timestamp

from .agreement import compare_fast_scapy
from .strategies import i64, messages, port_identities, timestamps, u16

TEMPLATED = [
    MessageType.SYNC,
    MessageType.DELAY_REQ,
    MessageType.FOLLOW_UP,
    MessageType.DELAY_RESP,
    MessageType.PDELAY_REQ,
    MessageType.PDELAY_RESP,
    MessageType.PDELAY_RESP_FOLLOW_UP,
    MessageType.ANNOUNCE,
]


def _expected(msg: Any, seq: int, flags: int, corr: int, ts: Timestamp, pid: PortIdentity | None) -> Any:
    header = msg.header._replace(sequence_id=seq, flags=flags, correction=corr)
    rebuilt = fast.decode(fast.encode(msg))
    fields = rebuilt._asdict()
    fields.update(
        sequence_id=seq, flags=flags, correction=corr,
        seconds_hi=ts.seconds >> 32, seconds_lo=ts.seconds & 0xFFFFFFFF, nanoseconds=ts.nanoseconds,
    )  # fmt: skip
    if pid is not None:
        fields["requesting_port_octets"] = fast.port_octets(pid)
    out = type(msg)(**fields)
    assert out.header._replace(message_length=0) == header._replace(message_length=0)
    return out


@pytest.mark.parametrize("mtype", TEMPLATED, ids=lambda t: t.name)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seq=u16, flags=u16, corr=i64, ts=timestamps, pid=port_identities)
def test_patch_equals_encode(
    mtype: MessageType, data: st.DataObject, seq: int, flags: int, corr: int, ts: Timestamp, pid: PortIdentity
) -> None:
    msg = data.draw(messages(mtype))
    t = fast.MessageTemplate(msg)
    t.set_sequence_id(seq)
    t.set_flags(flags)
    t.set_correction(corr)
    t.set_timestamp(ts)
    requesting = pid if t.has_requesting_port_identity else None
    if requesting is not None:
        t.set_requesting_port_identity(requesting)
    else:
        with pytest.raises(TypeError):
            t.set_requesting_port_identity(pid)
    want = _expected(msg, seq, flags, corr, ts, requesting)
    assert bytes(t.buf) == fast.encode(want)
    assert compare_fast_scapy(want, PTP(bytes(t.buf))) == []


@given(ns=st.integers(0, (1 << 48) * 10**9 - 1))
def test_set_timestamp_ns(ns: int) -> None:
    t = fast.MessageTemplate(fast.SyncMsg.make(fast.header_for(MessageType.SYNC)))
    t.set_timestamp_ns(ns)
    assert t.decode().timestamp_ns == ns
    assert PTP(bytes(t.buf)).payload.originTimestamp.to_ns() == ns


def test_out_of_range_patches_raise_encode_errors() -> None:
    t = fast.MessageTemplate(fast.DelayRespMsg.make(fast.header_for(MessageType.DELAY_RESP)))
    before = bytes(t.buf)
    for call in (
        lambda: t.set_sequence_id(1 << 16),
        lambda: t.set_flags(-1),
        lambda: t.set_correction(1 << 63),
        lambda: t.set_timestamp(Timestamp(1 << 48, 0)),
        lambda: t.set_timestamp_ns(-1),
        lambda: t.set_requesting_port_identity(PortIdentity(b"short", 1)),  # type: ignore[arg-type]
        lambda: t.set_requesting_port_identity(PortIdentity(bytes(8), 1 << 16)),  # type: ignore[arg-type]
    ):
        with pytest.raises(PtpEncodeError):
            call()
    assert bytes(t.buf) == before


def test_signaling_template_has_no_timestamp() -> None:
    t = fast.MessageTemplate(fast.SignalingMsg.make(fast.header_for(MessageType.SIGNALING)))
    with pytest.raises(TypeError):
        t.set_timestamp_ns(0)


@pytest.mark.parametrize(
    "bad",
    [
        {"major_sdo_id": 16},
        {"version": -1},
        {"sequence_id": 1 << 16},
        {"domain": 256},
        {"correction": 1 << 63},
        {"log_message_interval": 128},
    ],
)
def test_encode_rejects_values_that_do_not_fit(bad: dict[str, int]) -> None:
    with pytest.raises(PtpEncodeError):
        fast.encode(fast.SyncMsg.make(fast.header_for(MessageType.SYNC, **bad)))


def test_encode_rejects_wrong_octet_lengths() -> None:
    msg = fast.SyncMsg.make(fast.header_for(MessageType.SYNC))
    with pytest.raises(PtpEncodeError):
        fast.encode(msg._replace(source_port_octets=b"123"))
    with pytest.raises(PtpEncodeError):
        fast.encode(fast.PdelayReqMsg.make(fast.header_for(MessageType.PDELAY_REQ), reserved=b"x"))
    with pytest.raises(TypeError):
        fast.encode(("not", "a", "message"))  # type: ignore[arg-type]
