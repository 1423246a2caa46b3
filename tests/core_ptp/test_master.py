# SPDX-License-Identifier: GPL-2.0-or-later
"""The master role: message rates, sequenceIds, header fields, Follow_Up, Delay_Resp, peer delay."""

from __future__ import annotations

import pytest

from ptpbridge.core.ptp import MULTICAST, PDELAY_MULTICAST, Channel, PortConfig
from ptpbridge.core.ptp.counters import DropReason
from ptpbridge.core.ptp.datasets import TimePropertiesDS
from ptpbridge.wire.ptp.constants import LOG_INTERVAL_UNSPECIFIED, DelayMechanism, Flag, MessageType, PortState
from ptpbridge.wire.ptp.fast import (
    AnnounceMsg,
    DelayRespMsg,
    FollowUpMsg,
    PdelayRespFollowUpMsg,
    PdelayRespMsg,
    SyncMsg,
    decode,
)
from ptpbridge.wire.ptp.values import ClockQuality, PortIdentity

from .helpers import NS, OTHER, TAI_BASE, US, Driver, delay_req, make_driver, pdelay_req, pid

QUALITY = ClockQuality(6, 0x21, 0x4E5D)
TP = TimePropertiesDS(
    current_utc_offset=37, current_utc_offset_valid=True, leap61=True, time_traceable=True,
    frequency_traceable=True, ptp_timescale=True, time_source=0x20,
)  # fmt: skip


def master(log_sync: int = 0, **config: object) -> Driver:
    pc = PortConfig(
        log_announce_interval=config.pop("log_announce", 1),  # type: ignore[arg-type]
        log_sync_interval=log_sync,
        log_min_delay_req_interval=config.pop("log_delay", 0),  # type: ignore[arg-type]
        delay_mechanism=config.pop("mechanism", DelayMechanism.E2E),  # type: ignore[arg-type]
    )
    d = make_driver(ports=[pc], **config)
    d.advance_to(6 * NS)  # 3 x 2 s announce receipt timeout
    assert d.state() is PortState.MASTER
    return d


@pytest.mark.parametrize(("log_sync", "per_second"), [(-7, 128), (-3, 8), (0, 1), (1, 0.5)])
def test_sync_rate(log_sync: int, per_second: float) -> None:
    d = master(log_sync)
    start = d.now
    d.advance(10 * NS - 1)
    syncs = d.sent_of(MessageType.SYNC, start)
    assert len(syncs) == int(10 * per_second)
    # every Sync got its Follow_Up (TX timestamps came back)
    assert len(d.sent_of(MessageType.FOLLOW_UP, start)) == len(syncs)
    # Announce keeps its own rate: 2^1 s
    assert len(d.sent_of(MessageType.ANNOUNCE, start)) == 5


def test_late_timer_calls_do_not_burst() -> None:
    d = master(-3)
    start = d.now
    # the caller wakes up 1 s late: one Sync now, then the normal cadence, no catch-up burst
    d.now += NS
    d.clock.handle_timer(d.now, TAI_BASE + d.now)
    d.drain()
    assert len(d.sent_of(MessageType.SYNC, start + 1)) == 1


def test_sequence_ids_count_per_type() -> None:
    d = master(-3)
    d.advance(2 * NS)
    syncs = [m.sequence_id for m in d.decoded(MessageType.SYNC)]
    fups = [m.sequence_id for m in d.decoded(MessageType.FOLLOW_UP)]
    announces = [m.sequence_id for m in d.decoded(MessageType.ANNOUNCE)]
    assert syncs == list(range(len(syncs))) and len(syncs) > 10
    assert fups == syncs
    assert announces == list(range(len(announces))) and len(announces) >= 2


def test_sequence_id_wraps() -> None:
    d = master(-7)
    port = d.clock.port(1)
    port._sequence[MessageType.SYNC] = 0xFFFE
    d.advance(3 * NS // 128)
    assert [m.sequence_id for m in d.decoded(MessageType.SYNC)][-3:] == [0xFFFE, 0xFFFF, 0]


def test_follow_up_carries_the_reported_tx_timestamp() -> None:
    d = master(-3, domain_number=24, major_sdo_id=2, minor_sdo_id=5)
    d.auto_tx = False
    start = d.now
    d.advance(NS // 8)
    assert len(d.pending_tx) == 1
    _, sync_action = d.pending_tx.pop()
    assert sync_action.channel is Channel.EVENT and sync_action.destination is MULTICAST
    sync = decode(sync_action.data)
    assert isinstance(sync, SyncMsg)
    assert sync.two_step and not sync.unicast
    assert sync.domain == 24 and sync.minor_sdo_id == 5 and sync.major_sdo_id == 2
    assert sync.log_message_interval == -3 and sync.control == 0 and sync.correction == 0
    assert sync.source_port_identity == PortIdentity(US, 1)
    # the estimate in the Sync is "about now"
    assert abs(sync.origin_timestamp.to_ns() - (TAI_BASE + start + NS // 8)) < NS
    tx = TAI_BASE + 123_456_789_987
    assert sync_action.tx_timestamp_handle is not None
    d.clock.tx_timestamp(1, sync_action.tx_timestamp_handle, tx, d.now)
    d.drain()
    (fup_action,) = d.sent_of(MessageType.FOLLOW_UP, start + 1)
    assert fup_action.channel is Channel.GENERAL and fup_action.tx_timestamp_handle is None
    fup = decode(fup_action.data)
    assert isinstance(fup, FollowUpMsg)
    assert fup.precise_origin_timestamp.to_ns() == tx
    assert fup.sequence_id == sync.sequence_id
    assert fup.log_message_interval == -3 and fup.control == 2 and fup.correction == 0
    assert not fup.two_step and fup.domain == 24 and (fup.major_sdo_id, fup.minor_sdo_id) == (2, 5)


def test_tx_timestamp_timeout_is_counted_and_the_port_keeps_going() -> None:
    d = master(-3)
    counters = d.clock.port(1).counters
    d.auto_tx = False
    start = d.now
    d.advance(NS // 8)  # one Sync whose timestamp never comes back
    (_, lost) = d.pending_tx.pop()
    d.auto_tx = True
    d.advance(NS)
    assert counters.tx_timestamp_timeouts == 1
    fup_seqs = {m.sequence_id for m in d.decoded(MessageType.FOLLOW_UP, start + 1)}
    sync_seqs = [m.sequence_id for m in d.decoded(MessageType.SYNC, start + 1)]
    lost_seq = decode(lost.data).sequence_id
    assert lost_seq not in fup_seqs
    assert set(sync_seqs) - {lost_seq} == fup_seqs and len(sync_seqs) == 9
    # a report after the give-up is unmatched, and sends nothing
    assert lost.tx_timestamp_handle is not None
    d.clock.tx_timestamp(1, lost.tx_timestamp_handle, TAI_BASE, d.now)
    d.drain()
    assert counters.tx_timestamp_unmatched == 1
    assert lost_seq not in {m.sequence_id for m in d.decoded(MessageType.FOLLOW_UP)}
    # the I/O layer may also report the loss itself
    d.auto_tx = False
    d.advance(NS // 8)
    _, action = d.pending_tx.pop()
    assert action.tx_timestamp_handle is not None
    d.clock.tx_timestamp(1, action.tx_timestamp_handle, None, d.now)
    assert counters.tx_timestamp_timeouts == 2


def test_announce_fields() -> None:
    d = master(0, clock_quality=QUALITY, priority1=7, priority2=9, time_properties=TP, domain_number=3)
    msg = d.decoded(MessageType.ANNOUNCE)[-1]
    assert isinstance(msg, AnnounceMsg)
    assert msg.domain == 3 and msg.log_message_interval == 1 and msg.control == 5
    assert msg.current_utc_offset == 37 and msg.time_source == 0x20
    assert msg.grandmaster_priority1 == 7 and msg.grandmaster_priority2 == 9
    assert msg.grandmaster_clock_quality == QUALITY and msg.grandmaster_identity == US
    assert msg.steps_removed == 0
    expected = Flag.PTP_TIMESCALE | Flag.CURRENT_UTC_OFFSET_VALID | Flag.LEAP61 | Flag.TIME_TRACEABLE
    expected |= Flag.FREQUENCY_TRACEABLE
    assert msg.flags == int(expected)
    # the time properties flags ride on Announce only
    assert decode(d.sent_of(MessageType.SYNC)[-1].data).flags == int(Flag.TWO_STEP)
    # a new local reference state shows in the next Announce
    d.clock.set_local_time_properties(TP.__class__(current_utc_offset=38, ptp_timescale=True, time_source=0xA0))
    d.advance(2 * NS)
    msg = d.decoded(MessageType.ANNOUNCE)[-1]
    assert isinstance(msg, AnnounceMsg)
    assert msg.current_utc_offset == 38 and msg.flags == int(Flag.PTP_TIMESCALE) and msg.time_source == 0xA0


def test_delay_resp_to_multicast_request() -> None:
    d = master(0, log_delay=-4)
    rx = TAI_BASE + 5 * NS + 17
    correction = (1234 << 16) | 0x8001  # with a sub-ns part
    d.receive(delay_req(pid(OTHER, 3), 77, correction=correction), rx_ns=rx, source="10.0.0.9")
    (action,) = d.sent_of(MessageType.DELAY_RESP)
    assert action.channel is Channel.GENERAL and action.destination is MULTICAST
    msg = decode(action.data)
    assert isinstance(msg, DelayRespMsg)
    assert msg.receive_timestamp.to_ns() == rx
    assert msg.requesting_port_identity == pid(OTHER, 3)
    assert msg.correction == correction
    assert msg.sequence_id == 77 and msg.log_message_interval == -4 and msg.control == 3
    assert not msg.unicast and msg.source_port_identity == PortIdentity(US, 1)


def test_delay_resp_to_unicast_request_goes_back_unicast() -> None:
    d = master(0)
    d.receive(delay_req(pid(OTHER), 1, unicast=True), source="10.0.0.9")
    d.receive(delay_req(pid(OTHER), 2), source="10.0.0.8", unicast=True)  # I/O says: sent to our address
    first, second = d.sent_of(MessageType.DELAY_RESP)
    assert first.destination == "10.0.0.9" and decode(first.data).unicast
    assert second.destination == "10.0.0.8" and decode(second.data).unicast


def test_delay_req_needs_master_state_and_rx_timestamp() -> None:
    d = make_driver(ports=[PortConfig()])
    counters = d.clock.port(1).counters
    d.receive(delay_req(pid(OTHER), 1))  # LISTENING: not ours to answer
    assert d.sent_of(MessageType.DELAY_RESP) == [] and counters.ignored == 1
    d.advance_to(6 * NS)
    d.clock.receive(1, delay_req(pid(OTHER), 2), "peer", None, d.now)
    d.drain()
    assert d.sent_of(MessageType.DELAY_RESP) == []
    assert counters.dropped[DropReason.NO_RX_TIMESTAMP] == 1


def test_peer_delay_responder() -> None:
    d = make_driver(ports=[PortConfig(delay_mechanism=DelayMechanism.P2P)], domain_number=0)
    d.auto_tx = False
    assert d.state() is PortState.LISTENING  # answered in any operational state
    rx = TAI_BASE + 1_000_000_123
    correction = (50 << 16) | 7
    start = d.now
    d.receive(pdelay_req(pid(OTHER, 2), 300, correction=correction), rx_ns=rx)
    resp_actions = [a for _, a in d.pending_tx if a.message_type is MessageType.PDELAY_RESP]
    (resp_action,) = resp_actions
    assert resp_action.channel is Channel.EVENT and resp_action.destination is PDELAY_MULTICAST
    resp = decode(resp_action.data)
    assert isinstance(resp, PdelayRespMsg)
    assert resp.request_receipt_timestamp.to_ns() == rx
    assert resp.requesting_port_identity == pid(OTHER, 2)
    assert resp.correction == 0 and resp.two_step and resp.sequence_id == 300
    assert resp.log_message_interval == LOG_INTERVAL_UNSPECIFIED and resp.control == 5
    assert d.sent_of(MessageType.PDELAY_RESP_FOLLOW_UP) == []
    tx = rx + 40_000
    assert resp_action.tx_timestamp_handle is not None
    d.clock.tx_timestamp(1, resp_action.tx_timestamp_handle, tx, d.now)
    d.drain()
    (fup_action,) = d.sent_of(MessageType.PDELAY_RESP_FOLLOW_UP, start)
    assert fup_action.channel is Channel.GENERAL and fup_action.destination is PDELAY_MULTICAST
    fup = decode(fup_action.data)
    assert isinstance(fup, PdelayRespFollowUpMsg)
    assert fup.response_origin_timestamp.to_ns() == tx
    assert fup.correction == correction and fup.sequence_id == 300
    assert fup.requesting_port_identity == pid(OTHER, 2)
    assert fup.log_message_interval == LOG_INTERVAL_UNSPECIFIED and not fup.two_step
    # unicast request: unicast answers with the flag
    d.auto_tx = True
    d.receive(pdelay_req(pid(OTHER, 2), 301, unicast=True), source="fe80::1")
    resp2 = d.sent_of(MessageType.PDELAY_RESP)[-1]
    fup2 = d.sent_of(MessageType.PDELAY_RESP_FOLLOW_UP)[-1]
    assert resp2.destination == "fe80::1" and fup2.destination == "fe80::1"
    assert decode(resp2.data).unicast and decode(fup2.data).unicast


def test_peer_delay_not_answered_when_disabled_or_e2e() -> None:
    d = make_driver(ports=[PortConfig(delay_mechanism=DelayMechanism.P2P)])
    d.clock.disable_port(1, d.now)
    d.drain()
    d.receive(pdelay_req(pid(OTHER), 1))
    assert d.sent_of(MessageType.PDELAY_RESP) == []
    assert d.clock.port(1).counters.dropped[DropReason.PORT_NOT_READY] == 1
    e2e = make_driver(ports=[PortConfig()])
    e2e.receive(pdelay_req(pid(OTHER), 1))
    assert e2e.sent_of(MessageType.PDELAY_RESP) == []
    assert e2e.clock.port(1).counters.dropped[DropReason.WRONG_DELAY_MECHANISM] == 1
