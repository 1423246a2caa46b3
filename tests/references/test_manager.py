# SPDX-License-Identifier: GPL-2.0-or-later
"""The reference manager in simulated time: lock, holdover, degraded, recovery without a step.

A PTP reference fed as a slave port would feed it (through the discipline's
gate), a SimulatedClock on an injected truth, the manager ticked every
0.25 s: the whole of acceptance 3's logic, deterministic and without sleeping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from phc import SimulatedClock
from ptpbridge.config.loader import validate_config
from ptpbridge.core.ntp import ServerTimeState
from ptpbridge.core.refsel import ClockState
from ptpbridge.daemon.app import Daemon
from ptpbridge.daemon.clock_source import ServedClock
from ptpbridge.daemon.discipline import ClockDiscipline
from ptpbridge.daemon.quality import ntp_server_state
from ptpbridge.daemon.references import ReferenceManager
from ptpbridge.timebase import NS_PER_S, Timescale
from ptpbridge.wire.ntp import Leap

S = NS_PER_S
EPOCH = 1_700_000_000 * S
SYNC = S // 8
TICK = S // 4


class SimRig:
    def __init__(self, **tables: Any) -> None:
        self.now = EPOCH
        config = validate_config({"ptp": {}, "reference": [{"type": "ptp"}], **tables}, Path("test.toml"))
        self.daemon = Daemon(config)
        tb = self.daemon.timebase
        self.clock = SimulatedClock(offset_ns=tb.utc_offset_ns + 2_000_000, frequency_error_ppb=30_000.0,
                                    time_source=lambda: self.now)
        self.daemon.served = ServedClock(self.clock, Timescale.TAI)
        disc_cfg = config.discipline.model_copy(update={"source": "ptp"})
        self.discipline = ClockDiscipline(disc_cfg, self.daemon.served, tb, realtime_ns=lambda: self.now,
                                          monotonic_ns=lambda: self.now)
        self.discipline.prepare()
        self.discipline.set_log_sync_interval(-3)
        self.manager = ReferenceManager(self.daemon, self.discipline, monotonic_ns=lambda: self.now,
                                        realtime_ns=lambda: self.now)
        self.errors: list[int] = []

    def te(self) -> int:
        error = self.daemon.served.true_time_error_ns(self.daemon.timebase)  # type: ignore[union-attr]
        assert error is not None
        return error

    def run(self, seconds: float, *, feed: bool) -> None:
        end = self.now + round(seconds * S)
        next_tick = self.now
        while self.now < end:
            if feed:
                local = self.clock.from_system_ns(self.now)
                master = self.daemon.timebase.utc_to_tai_ns(self.now)
                self.discipline.submit_sample(local - master, local, "port 1")
            if self.now >= next_tick:
                self.manager.tick()
                self.errors.append(self.te())
                next_tick += TICK
            self.now += SYNC

    def state(self) -> ClockState:
        return self.manager.board.current.state


def test_lock_holdover_degrade_and_recover_without_a_step() -> None:
    rig = SimRig(holdover={"budget_s": 30, "degraded_class": 52})
    board = rig.manager.board
    assert board.current.clock_class == 248 and rig.state() is ClockState.FREERUN
    rig.run(30, feed=True)
    # A PTP reference keeps the class slave-capable (>= 128: [ptp] clock_class 248); the states
    # still show in accuracy, NTP and tracking (NTP references announce 6/7/52: test_quality).
    assert rig.state() is ClockState.LOCKED and board.current.clock_class == 248
    assert board.current.clock_accuracy < 0xFE
    assert abs(rig.te()) < 1_000 and rig.discipline.steps == 1  # the first step only
    locked_frequency = rig.clock.frequency_ppb()

    rig.run(3, feed=False)  # PTP samples stop: lost after max(2 s, 4 Sync intervals)
    q = board.current
    assert q.state is ClockState.HOLDOVER and q.clock_class == 248 and q.stratum == 1 and q.ntp_synchronised
    assert rig.manager.held_frequency_ppb is not None
    assert abs(rig.manager.held_frequency_ppb - locked_frequency) < 50  # ppb: the average, not the last
    before = ntp_server_state(ServerTimeState(), q, rig.daemon.timebase)
    rig.run(20, feed=False)
    q = board.current
    assert q.state is ClockState.HOLDOVER and q.holdover_ns is not None and q.holdover_ns > 20 * S
    after = ntp_server_state(ServerTimeState(), q, rig.daemon.timebase)
    now_utc = rig.daemon.timebase.to_utc_ns(rig.clock.now_ns(), Timescale.TAI)
    assert after.stratum == before.stratum == 1 and after.leap is Leap.NONE
    assert after.root_dispersion_at(now_utc) > before.root_dispersion_at(now_utc - 20 * S) + 250_000
    assert abs(rig.te()) < 5_000  # held frequency: microseconds, not the 30 ppm it would run off

    rig.run(10, feed=False)  # past the 30 s budget
    q = board.current
    assert q.state is ClockState.DEGRADED and q.clock_class == 248 and q.clock_accuracy == 0xFE
    assert ntp_server_state(ServerTimeState(), q, rig.daemon.timebase).leap is Leap.UNSYNCHRONISED

    start = len(rig.errors)
    rig.run(20, feed=True)
    assert rig.state() is ClockState.LOCKED and board.current.clock_class == 248
    assert rig.discipline.steps == 1  # slewed back, never stepped
    recovery = rig.errors[start - 1:]
    jumps = [abs(b - a) for a, b in zip(recovery, recovery[1:])]
    # 0.25 s at the servo's 500 ppm limit is 125 us; nothing may move faster than a slew.
    assert max(jumps) <= TICK * 500_000 // S
    assert abs(rig.te()) < 1_000
    kinds = [t["what"] for t in rig.manager.tracking()["transitions"]]
    assert "locked -> holdover" in kinds and "holdover -> degraded" in kinds and "degraded -> locked" in kinds


def test_local_reference_serves_its_stratum_after_the_budget() -> None:
    rig = SimRig(holdover={"budget_s": 5})
    rig.daemon.config.reference.append(  # a second rig would re-validate; the manager reads it at build
        validate_config({"reference": [{"type": "local", "stratum": 10, "clock_class": 187}]},
                        Path("t")).reference[0])
    rig.manager = ReferenceManager(rig.daemon, rig.discipline, monotonic_ns=lambda: rig.now,
                                   realtime_ns=lambda: rig.now)
    assert rig.state() is ClockState.LOCAL and rig.manager.board.current.stratum == 10
    rig.run(20, feed=True)
    assert rig.state() is ClockState.LOCKED
    rig.run(3, feed=False)
    assert rig.state() is ClockState.HOLDOVER
    rig.run(6, feed=False)
    q = rig.manager.board.current
    assert q.state is ClockState.LOCAL and q.clock_class == 187 and q.stratum == 10 and q.ntp_synchronised
    rows = rig.manager.sources()
    assert [r["symbol"] for r in rows] == ["?", "*"]
