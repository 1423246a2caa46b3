# SPDX-License-Identifier: GPL-2.0-or-later
"""ClockDiscipline in simulated time: steps, convergence, the PTP hook, the system-clock refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

import phc
from ptpbridge.config.discipline import DisciplineConfig
from ptpbridge.core.servo import SERVO_KINDS, ServoState
from ptpbridge.daemon.clock_source import ServedClock
from ptpbridge.daemon.discipline import ClockDiscipline, DisciplineError
from ptpbridge.timebase import Timebase, Timescale

from .rig import NS_PER_S, Rig

LOCKED = (ServoState.LOCKED, ServoState.LOCKED_STABLE)


@pytest.mark.parametrize("kind", SERVO_KINDS)
def test_steps_once_at_start_then_converges_to_the_negated_error(kind: str) -> None:
    rig = Rig(time_error_ns=1_000_000, error_ppb=100_000.0, source="system", servo=kind)
    rig.discipline.prepare()
    outputs = rig.poll(120)
    steps = [i for i, out in enumerate(outputs) if out.step_ns is not None]
    assert len(steps) == 1 and steps[0] < 20, steps  # once, within the start-up estimate
    assert rig.discipline.steps == 1
    assert outputs[-1].state in LOCKED
    # +100 ppm is cancelled by -100 ppm; the exact simulation leaves sub-ppb residue.
    assert rig.clock.frequency_ppb() == pytest.approx(-100_000.0, abs=1.0)
    assert abs(rig.true_error()) < 10
    status = rig.discipline.status()
    assert status["state"] in ("locked", "locked_stable")
    assert status["last_source"] == "CLOCK_REALTIME"
    assert status["true_time_error_ns"] == rig.true_error()
    assert status["samples"] == 120 and status["steps"] == 1


@pytest.mark.parametrize(("time_error_ns", "steps"), [(15_000, 0), (25_000, 1)])
def test_the_first_step_threshold_decides_step_or_slew(time_error_ns: int, steps: int) -> None:
    # Default threshold 20 us; 5 ppb adds well under 1 us before the servo decides.
    rig = Rig(time_error_ns=time_error_ns, error_ppb=5.0, source="system")
    rig.discipline.prepare()
    outputs = rig.poll(60)
    assert sum(1 for out in outputs if out.step_ns is not None) == steps
    assert abs(rig.true_error()) < 10  # below the threshold it is slewed all the way


def test_after_lock_a_jump_is_slewed_unless_a_step_threshold_is_set() -> None:
    never = Rig(time_error_ns=1_000_000, error_ppb=50_000.0, source="system")
    again = Rig(time_error_ns=1_000_000, error_ppb=50_000.0, source="system",
                step_threshold_ns=100_000)
    for rig in (never, again):
        rig.discipline.prepare()
        rig.poll(30)
        rig.clock.step(500_000)  # someone else moved the clock by +500 us
        rig.poll(120)
    assert never.discipline.steps == 1  # step_threshold 0: never step after the first lock
    assert again.discipline.steps == 2
    assert again.discipline.last_step_ns == pytest.approx(-500_000, abs=1_000)
    assert abs(again.true_error()) < 10


@pytest.mark.parametrize("utc_offset_s", [37, 36])
def test_a_perfect_tai_clock_measures_zero_against_the_system_clock(utc_offset_s: int) -> None:
    rig = Rig(source="system", utc_offset_s=utc_offset_s)
    rig.discipline.prepare()
    outputs = rig.poll(10)
    assert rig.discipline.status()["last_offset_ns"] == 0
    assert all(out.step_ns is None for out in outputs)
    assert rig.clock.frequency_ppb() == 0.0


def test_fast_polls_set_the_servo_interval() -> None:
    rig = Rig(time_error_ns=1_000_000, error_ppb=100_000.0, source="system", log_poll_interval=-4)
    assert rig.interval_ns == NS_PER_S // 16
    assert rig.discipline.servo.sync_interval == 1 / 16
    rig.discipline.prepare()
    rig.poll(16 * 30)
    assert abs(rig.true_error()) < 10


def test_ptp_samples_drive_the_same_servo_and_reset_keeps_the_frequency() -> None:
    rig = Rig(time_error_ns=1_000_000, error_ppb=-50_000.0, source="ptp")
    rig.discipline.prepare()
    rig.discipline.set_log_sync_interval(-3)
    assert rig.discipline.servo.sync_interval == 1 / 8
    outputs = []
    for _ in range(8 * 20):
        outputs.append(rig.ptp_sample())
        rig.now += NS_PER_S // 8
    assert sum(1 for out in outputs if out is not None and out.step_ns is not None) == 1
    assert abs(rig.true_error()) < 10
    locked_frequency = rig.clock.frequency_ppb()
    assert locked_frequency == pytest.approx(50_000.0, abs=1.0)
    # A new master that agrees with the old one: no step, the frequency carries on.
    rig.discipline.reset()
    for _ in range(8 * 10):
        out = rig.ptp_sample()
        assert out is not None and out.step_ns is None
        assert abs(rig.true_error()) < 100
        rig.now += NS_PER_S // 8
    status = rig.discipline.status()
    assert status["resets"] == 1 and status["steps"] == 1
    assert status["last_source"] == "eth0 port 1"
    assert status["poll_interval_s"] is None


@pytest.mark.parametrize("source", ["system", "none"])
def test_ptp_samples_are_ignored_unless_ptp_is_the_source(source: str) -> None:
    rig = Rig(time_error_ns=1_000_000, error_ppb=100_000.0, source=source)
    rig.discipline.prepare()
    for _ in range(10):
        assert rig.ptp_sample() is None
        rig.now += NS_PER_S
    assert rig.discipline.ignored_samples == 10
    assert rig.discipline.steps == 0
    assert rig.clock.frequency_ppb() == 0.0
    assert rig.true_error() == pytest.approx(1_000_000 + 1_000_000, abs=10)  # 10 s at 100 ppm


def test_free_run_reports_so_and_never_steers() -> None:
    rig = Rig(time_error_ns=1_000, error_ppb=20.0)
    status = rig.discipline.status()
    assert status["source"] == "none" and status["state"] == "free-run"
    assert status["drift_file"] is None


def test_steering_the_served_system_clock_is_refused_before_any_steering() -> None:
    # A SystemClock without allow_steering raises PhcPermissionError on any
    # step or frequency call; getting DisciplineError instead shows the
    # refusal came first.
    served = ServedClock(phc.SystemClock(), Timescale.UTC)
    for config in (DisciplineConfig(source="system"), DisciplineConfig(source="ptp"),
                   DisciplineConfig(drift_file=Path("/nonexistent/drift"))):
        with pytest.raises(DisciplineError, match="system clock"):
            ClockDiscipline(config, served, Timebase())


def test_serving_the_system_clock_free_running_is_allowed() -> None:
    served = ServedClock(phc.SystemClock(), Timescale.UTC)
    discipline = ClockDiscipline(DisciplineConfig(), served, Timebase())
    discipline.prepare()  # reads the kernel's frequency, never sets it
    assert discipline.status()["state"] == "free-run"
    assert discipline.status()["true_time_error_ns"] is None


@pytest.mark.parametrize("kind", SERVO_KINDS)
def test_a_silent_master_leaves_the_clock_on_its_estimated_frequency(kind: str) -> None:
    """The last output's phase correction is not held for seconds: after 4 silent sync intervals
    the clock runs on the servo's estimate of its own error, and samples take over again."""
    rig = Rig(time_error_ns=30_000, error_ppb=-50_000.0, source="ptp", servo=kind)
    rig.discipline.prepare()
    rig.discipline.set_log_sync_interval(-3)
    for _ in range(8 * 60):
        rig.ptp_sample()
        rig.now += NS_PER_S // 8
    rig.ptp_sample(bias_ns=2_000)  # the master's last word: 2 us off, the output corrects it
    kicked = rig.clock.frequency_ppb()
    assert not rig.discipline.hold_if_quiet(rig.now + NS_PER_S // 4)  # 2 intervals: not yet
    assert rig.discipline.hold_if_quiet(rig.now + NS_PER_S)
    assert rig.discipline.status()["holding"] and rig.discipline.holdovers == 1
    held = rig.clock.frequency_ppb()
    # Closer to cancelling the clock's own -50 ppm than the kicked output (PI keeps its integral
    # term, which took its share of the kick; linreg keeps the fitted frequency alone).
    assert abs(held - 50_000.0) <= abs(kicked - 50_000.0)
    if kind == "linreg":
        assert held == pytest.approx(50_000.0, abs=5.0)
    before = rig.true_error()
    rig.now += 6 * NS_PER_S  # announceReceiptTimeout x 2 s
    kicked_walk_ns = abs(kicked - 50_000.0) * 6  # what holding the last output would have done
    assert abs(rig.true_error() - before) < max(kicked_walk_ns / 2, 500)
    assert not rig.discipline.hold_if_quiet(rig.now)  # once per silence
    out = rig.ptp_sample()
    assert out is not None and out.step_ns is None and not rig.discipline.holding
