# SPDX-License-Identifier: GPL-2.0-or-later
"""The slave side and the peer delay requester: samples computed from known timestamps."""

from __future__ import annotations

from ptpbridge.core.ptp import PathDelaySample, PortConfig, SyncSample
from ptpbridge.wire.ptp.constants import DelayMechanism, MessageType, PortState
from ptpbridge.wire.ptp.fast import decode

from .helpers import (
    NS,
    OTHER,
    TAI_BASE,
    THIRD,
    US,
    Driver,
    announce,
    delay_resp,
    follow_up,
    make_driver,
    pdelay_resp,
    pdelay_resp_fup,
    pid,
    sync,
)

MASTER = pid(OTHER)


def slave(**port: object) -> Driver:
    d = make_driver(ports=[PortConfig(log_announce_interval=0, log_min_delay_req_interval=-2, **port)])  # type: ignore[arg-type]
    d.receive(announce(MASTER, 0, priority1=1, log_interval=0))
    d.advance(NS // 2)
    d.receive(announce(MASTER, 1, priority1=1, log_interval=0))
    assert d.state() is PortState.UNCALIBRATED
    return d


def samples(d: Driver, kind: type) -> list:  # type: ignore[type-arg]
    return [a for _, a in d.events if isinstance(a, kind)]


def test_two_step_sync_pairs_with_follow_up_in_either_order() -> None:
    d = slave()
    t1, t2 = TAI_BASE + 10 * NS, TAI_BASE + 10 * NS + 2_500
    d.receive(sync(MASTER, 7, correction=3 << 16), rx_ns=t2)
    assert samples(d, SyncSample) == []
    d.receive(follow_up(MASTER, 7, t1, correction=(4 << 16) | 0x8000))
    (s,) = samples(d, SyncSample)
    assert (s.port, s.sequence_id, s.t1_ns, s.t2_ns) == (1, 7, t1, t2)
    assert s.correction_ns == 7  # 3 + 4.5 ns, floored
    assert s.path_delay_ns is None and s.offset_ns is None
    assert d.state() is PortState.SLAVE  # calibrate_on_first_sync
    # Follow_Up first, then its Sync
    d.receive(follow_up(MASTER, 8, t1 + NS))
    d.receive(sync(MASTER, 8), rx_ns=t2 + NS)
    assert samples(d, SyncSample)[-1].sequence_id == 8
    # a Follow_Up for another Sync does not pair
    d.receive(sync(MASTER, 9), rx_ns=t2 + 2 * NS)
    d.receive(follow_up(MASTER, 10, t1 + 2 * NS))
    assert samples(d, SyncSample)[-1].sequence_id == 8


def test_one_step_sync_and_foreign_syncs() -> None:
    d = slave()
    d.receive(sync(MASTER, 1, TAI_BASE + NS, two_step=False), rx_ns=TAI_BASE + NS + 900)
    (s,) = samples(d, SyncSample)
    assert s.t1_ns == TAI_BASE + NS and s.t2_ns == TAI_BASE + NS + 900
    ignored = d.clock.port(1).counters.ignored
    d.receive(sync(pid(THIRD), 2, TAI_BASE, two_step=False))  # not our parent
    assert len(samples(d, SyncSample)) == 1
    assert d.clock.port(1).counters.ignored == ignored + 1


def test_delay_request_exchange_gives_mean_path_delay() -> None:
    d = slave()
    t1, t2 = TAI_BASE + 10 * NS, TAI_BASE + 10 * NS + 5_000  # offset 1000 + delay 4000
    d.receive(sync(MASTER, 1), rx_ns=t2)
    d.receive(follow_up(MASTER, 1, t1))
    d.auto_tx = False
    d.advance(NS // 2)  # Delay_Req spacing is within 2 x 250 ms
    reqs = [a for _, a in d.pending_tx if a.message_type is MessageType.DELAY_REQ]
    assert reqs, "no Delay_Req sent"
    req = reqs[-1]
    msg = decode(req.data)
    assert msg.source_port_identity == pid(US) and msg.log_message_interval == 0x7F and msg.control == 1
    t3 = TAI_BASE + 11 * NS
    t4 = t3 + 4_000 - 1_000 + 200  # reverse delay 4000 minus our 1000 ns lead, plus 200 ns of correction
    assert req.tx_timestamp_handle is not None
    d.clock.tx_timestamp(1, req.tx_timestamp_handle, t3, d.now)
    d.drain()
    # a Delay_Resp for someone else's request is ignored
    d.receive(delay_resp(MASTER, msg.sequence_id, t4, pid(THIRD)))
    assert samples(d, PathDelaySample) == []
    d.receive(delay_resp(MASTER, msg.sequence_id, t4, pid(US), correction=200 << 16))
    (p,) = samples(d, PathDelaySample)
    assert p.mechanism is DelayMechanism.E2E and p.mean_path_delay_ns == 4_000
    assert d.clock.current_ds.mean_delay_ns == 4_000
    # the next Sync reports the offset
    d.receive(sync(MASTER, 2), rx_ns=t2 + NS)
    d.receive(follow_up(MASTER, 2, t1 + NS))
    assert samples(d, SyncSample)[-1].offset_ns == 1_000
    assert d.clock.current_ds.offset_from_master_ns == 1_000


def test_peer_delay_requester() -> None:
    d = make_driver(ports=[PortConfig(delay_mechanism=DelayMechanism.P2P, log_min_pdelay_req_interval=0)])
    d.auto_tx = False
    d.advance(1)
    (_, req) = [x for x in d.pending_tx if x[1].message_type is MessageType.PDELAY_REQ][0]
    msg = decode(req.data)
    assert msg.log_message_interval == 0x7F
    t1 = TAI_BASE + 5 * NS
    assert req.tx_timestamp_handle is not None
    d.clock.tx_timestamp(1, req.tx_timestamp_handle, t1, d.now)
    t2, t3 = TAI_BASE + 7 * NS, TAI_BASE + 7 * NS + 30_000  # the peer's clock is 2 s ahead
    t4 = t1 + 3_000 + 30_000 + 3_000 + 100  # 3 us each way, 100 ns of corrections
    d.receive(pdelay_resp(pid(OTHER), msg.sequence_id, t2, pid(US), correction=60 << 16), rx_ns=t4)
    assert samples(d, PathDelaySample) == []
    d.receive(pdelay_resp_fup(pid(OTHER), msg.sequence_id, t3, pid(US), correction=40 << 16))
    (p,) = samples(d, PathDelaySample)
    assert p.mechanism is DelayMechanism.P2P and p.mean_path_delay_ns == 3_000
    assert d.clock.port(1).ds.peer_mean_path_delay_ns == 3_000
    # a second responder to the same request is ignored
    d.receive(pdelay_resp(pid(THIRD), msg.sequence_id, t2, pid(US)), rx_ns=t4)
    assert len(samples(d, PathDelaySample)) == 1
