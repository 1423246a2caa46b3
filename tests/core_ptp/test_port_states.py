# SPDX-License-Identifier: GPL-2.0-or-later
"""Port state machine driven through the clock: timers, qualification, foreign masters, data set updates."""

from __future__ import annotations

import pytest

from ptpbridge.core.ptp import ParentChanged, PortConfig, TimePropertiesChanged
from ptpbridge.core.ptp.counters import DropReason
from ptpbridge.core.ptp.datasets import TimePropertiesDS
from ptpbridge.wire.ptp.constants import Flag, MessageType, PortState
from ptpbridge.wire.ptp.fast import AnnounceMsg
from ptpbridge.wire.ptp.values import ClockQuality, PortIdentity

from .helpers import GOOD_QUALITY, NS, OTHER, TAI_BASE, THIRD, US, Driver, announce, follow_up, make_driver, pid, sync

S = PortState
PC = PortConfig(log_announce_interval=0, announce_receipt_timeout=3, log_sync_interval=0)
TIMEOUT = 3 * NS  # announceReceiptTimeout x 2^logAnnounceInterval


def lone_master() -> Driver:
    d = make_driver(ports=[PC])
    d.advance_to(TIMEOUT)
    assert d.state() is S.MASTER
    return d


def test_lone_clock_becomes_master_after_the_announce_receipt_timeout() -> None:
    d = make_driver(ports=[PC])
    assert d.state_changes() == [(0, S.INITIALIZING, S.LISTENING)]
    d.advance_to(TIMEOUT - 1)
    assert d.state() is S.LISTENING
    assert d.sent == []  # a listening port sends nothing
    d.advance_to(TIMEOUT)
    assert d.state_changes()[-1] == (TIMEOUT, S.LISTENING, S.MASTER)
    assert d.clock.is_grandmaster
    assert d.clock.port(1).counters.announce_receipt_timeouts == 1
    # it starts announcing and syncing at once
    assert [a.message_type for a in d.sent_of(MessageType.ANNOUNCE)] == [MessageType.ANNOUNCE]
    assert len(d.sent_of(MessageType.SYNC)) == 1
    # due together, the Announce leaves first and the Sync right behind it (port._tie_rank)
    assert [a.message_type for _, a in d.sent][:2] == [MessageType.ANNOUNCE, MessageType.SYNC]
    d.advance_to(TIMEOUT + 4 * d.clock.port(1).announce_interval_ns)
    announces_then_syncs = [a.message_type for _, a in d.sent if a.message_type in (MessageType.SYNC,
                                                                                 MessageType.ANNOUNCE)]
    assert announces_then_syncs[:4] == [MessageType.ANNOUNCE, MessageType.SYNC] * 2


def _foreign(d: Driver, seq: int, **kw: object) -> None:
    d.receive(announce(pid(OTHER), seq, log_interval=0, **kw))  # type: ignore[arg-type]


def test_better_foreign_master_qualifies_after_two_announces_then_we_follow_it() -> None:
    d = lone_master()
    flags = int(Flag.PTP_TIMESCALE | Flag.CURRENT_UTC_OFFSET_VALID | Flag.TIME_TRACEABLE | Flag.LEAP61)
    _foreign(d, 10, priority1=100, quality=GOOD_QUALITY, steps=2, flags=flags, utc_offset=37, time_source=0x20)
    assert d.state() is S.MASTER  # one Announce is not enough
    d.advance(NS)
    _foreign(d, 11, priority1=100, quality=GOOD_QUALITY, steps=2, flags=flags, utc_offset=37, time_source=0x20)
    assert d.state() is S.UNCALIBRATED
    clock = d.clock
    assert not clock.is_grandmaster
    assert clock.parent_ds.parent_port_identity == pid(OTHER)
    assert clock.parent_ds.grandmaster_identity == OTHER
    assert clock.parent_ds.grandmaster_clock_quality == GOOD_QUALITY
    assert clock.parent_ds.grandmaster_priority1 == 100
    assert clock.current_ds.steps_removed == 3
    assert clock.time_properties_ds == TimePropertiesDS(
        current_utc_offset=37, current_utc_offset_valid=True, leap61=True, time_traceable=True,
        ptp_timescale=True, time_source=0x20,
    )  # fmt: skip
    parents = [a for _, a in d.events if isinstance(a, ParentChanged)]
    assert parents[-1].grandmaster_identity == OTHER and parents[-1].steps_removed == 3
    assert not parents[-1].is_grandmaster
    assert any(isinstance(a, TimePropertiesChanged) for _, a in d.events)
    # a slave port stops mastering: no more Sync or Announce
    since = d.now + 1
    d.receive(sync(pid(OTHER), 1))
    d.receive(follow_up(pid(OTHER), 1, TAI_BASE + d.now - 500))
    assert d.state() is S.SLAVE
    d.advance(2 * NS)
    assert d.sent_of(MessageType.SYNC, since) == [] and d.sent_of(MessageType.ANNOUNCE, since) == []
    # E2E slaves measure the delay: Delay_Req spacing is at most 2 x 2^logMinDelayReqInterval
    assert len(d.sent_of(MessageType.DELAY_REQ, since)) >= 1


def test_master_again_when_the_foreign_master_goes_silent() -> None:
    d = lone_master()
    for seq in range(4):
        _foreign(d, seq, priority1=100)
        d.advance(NS)
    assert d.state() in (S.UNCALIBRATED, S.SLAVE)
    last_announce = d.now - NS
    d.advance(TIMEOUT + NS)
    changes = d.state_changes()
    t, old, new = changes[-1]
    assert new is S.MASTER
    assert t <= last_announce + TIMEOUT + NS  # announceReceiptTimeout x interval + one interval
    assert d.clock.is_grandmaster
    assert d.clock.parent_ds.grandmaster_identity == US
    assert d.clock.current_ds.steps_removed == 0
    assert d.clock.time_properties_ds == d.clock.local_time_properties


def test_master_only_class_goes_passive_not_slave_and_returns() -> None:
    d = make_driver(ports=[PC], clock_quality=ClockQuality(6, 0x21, 0x4E5D), priority1=128)
    d.advance_to(TIMEOUT)
    for seq in range(3):
        _foreign(d, seq, priority1=50, quality=GOOD_QUALITY)
        d.advance(NS)
    assert d.state() is S.PASSIVE
    assert d.clock.is_grandmaster  # P1 changes no data set
    last_announce = d.now - NS
    since = d.now + 1
    d.advance(NS // 2)
    assert d.sent_of(MessageType.SYNC, since) == []
    d.advance(TIMEOUT + NS)
    t, _, new = d.state_changes()[-1]
    assert new is S.MASTER and t <= last_announce + TIMEOUT + NS


def test_worse_foreign_master_does_not_move_us() -> None:
    d = lone_master()
    for seq in range(4):
        _foreign(d, seq, priority1=200)
        d.advance(NS)
    assert d.state() is S.MASTER and d.clock.is_grandmaster
    assert d.clock.port(1).counters.received[MessageType.ANNOUNCE] == 4


def test_pre_master_waits_the_qualification_timeout() -> None:
    # Port 1 hears a better grandmaster (we become its slave, stepsRemoved 1);
    # port 2 hears only a worse one, so M3: PRE_MASTER for (1 + 1) announce intervals.
    d = make_driver(ports=[PC, PC])
    d.receive(announce(pid(OTHER), 0, priority1=100, log_interval=0), port=1)
    d.advance(NS // 4)
    d.receive(announce(pid(OTHER), 1, priority1=100, log_interval=0), port=1)
    assert d.state(1) is S.UNCALIBRATED and d.state(2) is S.LISTENING
    d.receive(announce(pid(THIRD), 0, priority1=200, log_interval=0), port=2)
    d.advance(NS // 4)
    d.receive(announce(pid(THIRD), 1, priority1=200, log_interval=0), port=2)
    entered = d.now
    assert d.state(2) is S.PRE_MASTER
    assert d.clock.current_ds.steps_removed == 1
    d.advance_to(entered + 2 * NS - 1)
    assert d.state(2) is S.PRE_MASTER
    assert [a for a in d.sent_of(MessageType.ANNOUNCE) if a.port == 2] == []
    d.advance_to(entered + 2 * NS)
    assert d.state(2) is S.MASTER
    # the boundary clock announces the grandmaster it follows, one step further away
    ann = [a for a in d.sent_of(MessageType.ANNOUNCE, entered) if a.port == 2]
    assert ann
    msg = d.decoded(MessageType.ANNOUNCE, entered)[-1]
    assert isinstance(msg, AnnounceMsg)
    assert msg.grandmaster_identity == OTHER and msg.grandmaster_priority1 == 100 and msg.steps_removed == 1
    assert msg.source_port_identity == PortIdentity(US, 2)


def test_slave_only_clock_listens_until_a_master_appears() -> None:
    d = make_driver(ports=[PC], slave_only=True, clock_quality=ClockQuality(255, 0xFE, 0xFFFF))
    d.advance_to(3 * TIMEOUT)
    assert d.state() is S.LISTENING
    assert d.clock.port(1).counters.announce_receipt_timeouts == 3
    assert d.sent == []
    for seq in range(2):
        _foreign(d, seq, priority1=255)  # even a "worse" master is followed
        d.advance(NS // 2)
    assert d.state() is S.UNCALIBRATED


def test_qualification_rules() -> None:
    d = lone_master()
    counters = d.clock.port(1).counters
    # the same Announce twice counts once
    _foreign(d, 5, priority1=1)
    _foreign(d, 5, priority1=1)
    assert d.state() is S.MASTER
    # Announces further apart than the 4-interval window never qualify
    d.advance(5 * NS)
    _foreign(d, 6, priority1=1)
    assert d.state() is S.MASTER
    # stepsRemoved 255 is dropped outright
    d.receive(announce(pid(THIRD), 0, priority1=1, steps=255, log_interval=0))
    d.receive(announce(pid(THIRD), 1, priority1=1, steps=255, log_interval=0))
    assert counters.dropped[DropReason.STEPS_REMOVED] == 2
    # our own Announce looped back is dropped
    d.receive(announce(pid(US), 0, priority1=1, log_interval=0))
    assert counters.dropped[DropReason.OWN_MESSAGE] == 1
    assert d.state() is S.MASTER
    # the window follows the sender's interval: a sender announcing every 8 s still qualifies
    d.receive(announce(pid(THIRD, 7), 0, priority1=1, log_interval=3))
    d.advance(8 * NS)
    d.receive(announce(pid(THIRD, 7), 1, priority1=1, log_interval=3))
    assert d.state() is S.UNCALIBRATED


def test_random_announce_timeout_extension_is_bounded_and_seeded() -> None:
    deadlines = []
    for seed in (1, 1, 2):
        d = make_driver(ports=[PC], announce_receipt_random=True, seed=seed)
        d.advance_to(TIMEOUT + NS)
        t, _, new = d.state_changes()[-1]
        assert new is S.MASTER and TIMEOUT <= t < TIMEOUT + NS
        deadlines.append(t)
    assert deadlines[0] == deadlines[1]


def test_fault_disable_and_recovery() -> None:
    d = lone_master()
    d.clock.fault(1, d.now, "socket error")
    d.drain()
    assert d.state() is S.FAULTY
    since = d.now
    d.receive(announce(pid(OTHER), 0, log_interval=0))
    assert d.clock.port(1).counters.dropped[DropReason.PORT_NOT_READY] == 1
    d.advance(16 * NS)
    assert d.state() is S.LISTENING  # fault reset: INITIALIZING -> LISTENING
    assert d.sent_of(MessageType.SYNC, since + 1) == []
    d.clock.disable_port(1, d.now)
    d.drain()
    assert d.state() is S.DISABLED
    d.advance(60 * NS)
    assert d.state() is S.DISABLED
    d.clock.enable_port(1, d.now)
    d.drain()
    assert d.state() is S.LISTENING


def test_a_better_master_appearing_restarts_calibration() -> None:
    d = make_driver(ports=[PC])
    for seq in range(2):
        _foreign(d, seq, priority1=100)
        d.advance(NS // 4)
    d.receive(sync(pid(OTHER), 1))
    d.receive(follow_up(pid(OTHER), 1, TAI_BASE + d.now))
    assert d.state() is S.SLAVE
    for seq in range(2):
        d.receive(announce(pid(THIRD), seq, priority1=50, log_interval=0))
        d.advance(NS // 4)
    assert d.state_changes()[-1][1:] == (S.SLAVE, S.UNCALIBRATED)
    assert d.clock.parent_ds.parent_port_identity == pid(THIRD)
    assert d.clock.parent_ds.grandmaster_priority1 == 50
    # the old master's Sync no longer counts; the new one's does
    d.receive(sync(pid(OTHER), 2))
    d.receive(follow_up(pid(OTHER), 2, TAI_BASE + d.now))
    assert d.state() is S.UNCALIBRATED
    d.receive(sync(pid(THIRD), 1))
    d.receive(follow_up(pid(THIRD), 1, TAI_BASE + d.now))
    assert d.state() is S.SLAVE


def test_master_only_clock_keeps_mastering_when_it_hears_a_better_master() -> None:
    """ptp4l's masterOnly: a standby grandmaster keeps announcing, so it needs no timeout of its own
    when the better one stops; without it the port follows the better master (test above)."""
    d = make_driver(ports=[PC], master_only=True)
    d.advance_to(TIMEOUT)
    assert d.state() is S.MASTER
    for seq in range(4):
        _foreign(d, 20 + seq, priority1=1, quality=GOOD_QUALITY, steps=0)
        d.advance(NS)
    assert d.state() is S.MASTER and d.clock.is_grandmaster
    since = d.now - 2 * NS
    assert d.sent_of(MessageType.ANNOUNCE, since) and d.sent_of(MessageType.SYNC, since)
    with pytest.raises(ValueError, match="exclude"):
        make_driver(ports=[PC], master_only=True, slave_only=True,
                    clock_quality=ClockQuality(255, 0xFE, 0xFFFF))
