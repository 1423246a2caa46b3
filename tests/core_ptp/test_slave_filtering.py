# SPDX-License-Identifier: GPL-2.0-or-later
"""The slave core's filtering and asymmetry, driven with known timestamps (no sockets, no sleep).

Each Sync/Delay_Req round here is built from a chosen offset and one-way
delays, so the expected offset and path delay are known exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ptpbridge.core.ptp import PathDelaySample, PortConfig, SyncSample
from ptpbridge.core.ptp.sample_filter import DelayFilterMode, GateSettings
from ptpbridge.wire.ptp.constants import DelayMechanism, MessageType, PortState
from ptpbridge.wire.ptp.fast import decode

from .helpers import (
    NS,
    OTHER,
    TAI_BASE,
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
OFFSET = 1_000  # our clock ahead of the master


@dataclass
class Rig:
    d: Driver
    seq: int = 0
    announces: int = 2

    def keep_parent(self) -> None:
        self.d.receive(announce(MASTER, self.announces, priority1=1, log_interval=0))
        self.announces += 1

    def sync(self, ms_delay: int) -> list[SyncSample]:
        """One two-step Sync that took ``ms_delay`` to arrive; the samples it produced."""
        before = len(self.d.events)
        t1 = TAI_BASE + (100 + self.seq) * NS
        self.d.receive(sync(MASTER, self.seq), rx_ns=t1 + ms_delay + OFFSET)
        self.d.receive(follow_up(MASTER, self.seq, t1))
        self.seq += 1
        return [a for _, a in self.d.events[before:] if isinstance(a, SyncSample)]

    def delay(self, sm_delay: int) -> list[PathDelaySample]:
        """Fire the next Delay_Req and answer it as if it took ``sm_delay`` to reach the master."""
        d = self.d
        before = len(d.events)
        pending = len(d.pending_tx)
        while len(d.pending_tx) == pending:
            d.advance(NS // 8)
        _, req = d.pending_tx[-1]
        assert req.message_type is MessageType.DELAY_REQ and req.tx_timestamp_handle is not None
        t3 = TAI_BASE + (500 + self.seq) * NS
        d.clock.tx_timestamp(1, req.tx_timestamp_handle, t3, d.now)
        d.drain()
        d.receive(delay_resp(MASTER, decode(req.data).sequence_id, t3 - OFFSET + sm_delay, pid(US)))
        self.keep_parent()
        return [a for _, a in d.events[before:] if isinstance(a, PathDelaySample)]


def rig(**port: object) -> Rig:
    config = PortConfig(log_announce_interval=0, log_min_delay_req_interval=-2, **port)  # type: ignore[arg-type]
    d = make_driver(ports=[config])
    d.auto_tx = False
    d.receive(announce(MASTER, 0, priority1=1, log_interval=0))
    d.advance(NS // 2)
    d.receive(announce(MASTER, 1, priority1=1, log_interval=0))
    assert d.state() is PortState.UNCALIBRATED
    return Rig(d)


def test_delay_asymmetry_moves_the_offset_not_the_path_delay() -> None:
    # Master-to-slave really 4300 ns, slave-to-master 3700: mean 4000, asymmetry +300.
    for asymmetry, expected in ((0, OFFSET + 300), (300, OFFSET)):
        r = rig(delay_asymmetry_ns=asymmetry, delay_filter=DelayFilterMode.NONE)
        r.sync(4_300)
        (p,) = r.delay(3_700)
        assert p.mean_path_delay_ns == 4_000
        (s,) = r.sync(4_300)
        assert s.offset_ns == expected
        assert r.d.clock.current_ds.offset_from_master_ns == expected


def test_path_delay_is_the_windowed_median() -> None:
    r = rig(delay_filter_length=5, outlier_gate=GateSettings(threshold=0))
    r.sync(4_000)
    delays = [p.mean_path_delay_ns for raw in (4_000, 4_200, 30_000, 3_800, 4_100) for p in r.delay(raw)]
    # (4000 + sm) / 2 each; the 30 us one moves the median by one rank only
    assert delays == [4_000, 4_000, 4_100, 4_000, 4_050]
    assert r.d.clock.port(1).slave.delay_filter.last_raw_ns == 4_050
    (s,) = r.sync(4_000)
    assert s.path_delay_ns == 4_050 and s.offset_ns == OFFSET - 50


def test_path_delay_minimum_mode() -> None:
    r = rig(delay_filter=DelayFilterMode.MINIMUM, delay_filter_length=4, outlier_gate=GateSettings(threshold=0))
    r.sync(4_000)
    delays = [p.mean_path_delay_ns for raw in (4_400, 4_000, 9_000, 5_000) for p in r.delay(raw)]
    assert delays == [4_200, 4_000, 4_000, 4_000]


def test_offset_outliers_are_rejected_counted_and_never_reach_the_servo() -> None:
    r = rig()
    rng = random.Random(3)
    r.sync(4_000)
    r.delay(4_000)
    port = r.d.clock.port(1)
    emitted = 0
    for _ in range(30):
        emitted += len(r.sync(4_000 + rng.randrange(-200, 201)))
        r.keep_parent()
    assert emitted == 30 and port.slave.rejected_offsets == 0
    assert r.sync(4_000 + 60_000) == []  # a Sync held up 60 us in a busy softirq
    assert port.slave.rejected_offsets == 1
    assert r.d.clock.current_ds.offset_from_master_ns is not None
    assert abs(r.d.clock.current_ds.offset_from_master_ns - OFFSET) < 1_000  # not the outlier
    (s,) = r.sync(4_000)
    assert s.offset_ns == OFFSET
    # A lasting change of level (new path) gets through after a few rejections.
    got = [len(r.sync(4_000 + 40_000)) for _ in range(6)]
    assert got == [0, 0, 0, 0, 1, 1]
    assert port.slave.rejected_offsets == 5
    # A new parent forgets the window (the counters stay).
    port.slave.reset()
    assert port.slave.offset_gate.limit_ns() is None and port.slave.rejected_offsets == 5


def test_delay_outliers_are_rejected_and_counted() -> None:
    r = rig()
    r.sync(4_000)
    for _ in range(14):
        r.delay(4_000)
    port = r.d.clock.port(1)
    assert r.delay(4_000 + 100_000) == []  # a Delay_Req held up 100 us
    assert port.slave.rejected_delays == 1
    assert port.slave.mean_path_delay_ns == 4_000


def test_peer_delay_requester_filters_the_link_delay() -> None:
    d = make_driver(ports=[PortConfig(delay_mechanism=DelayMechanism.P2P, log_min_pdelay_req_interval=0,
                                      delay_filter_length=3, outlier_gate=GateSettings(threshold=0))])
    d.auto_tx = False
    peer = d.clock.port(1).peer
    got = []
    for n, one_way in enumerate((3_000, 3_400, 20_000, 3_200)):
        d.advance(NS if n else 1)
        (_, req) = [x for x in d.pending_tx if x[1].message_type is MessageType.PDELAY_REQ][-1]
        seq = decode(req.data).sequence_id
        t1 = TAI_BASE + (10 + n) * NS
        assert req.tx_timestamp_handle is not None
        d.clock.tx_timestamp(1, req.tx_timestamp_handle, t1, d.now)
        t2 = TAI_BASE + (20 + n) * NS  # the peer's clock, 10 s ahead
        t3 = t2 + 10_000
        d.receive(pdelay_resp(pid(OTHER), seq, t2, pid(US)), rx_ns=t1 + 2 * one_way + 10_000)
        d.receive(pdelay_resp_fup(pid(OTHER), seq, t3, pid(US)))
        got.append(peer.mean_link_delay_ns)
    assert got == [3_000, 3_000, 3_400, 3_400]
    assert peer.delay_filter.last_raw_ns == 3_200

