# SPDX-License-Identifier: GPL-2.0-or-later
"""State rules every servo shares: start-up, LOCKED_STABLE hysteresis, status, reset."""

from __future__ import annotations

import math

import pytest

from ptpbridge.core.servo import (
    SERVO_KINDS,
    Servo,
    ServoConfig,
    ServoState,
    create_servo,
)

from .helpers import EPOCH, NS_PER_S

UNLOCKED, JUMP = ServoState.UNLOCKED, ServoState.JUMP
LOCKED, STABLE = ServoState.LOCKED, ServoState.LOCKED_STABLE

STABLE_CONFIG = ServoConfig(stable_threshold_ns=100, stable_exit_threshold_ns=300,
                            stable_samples=3, rms_samples=4)


class Feeder:
    """Hands a servo chosen offsets one second apart (the servo never sees a clock)."""

    def __init__(self, servo: Servo) -> None:
        self.servo = servo
        self.t = EPOCH

    def __call__(self, offset_ns: int) -> ServoState:
        out = self.servo.sample(offset_ns, self.t)
        self.t += NS_PER_S
        return out.state

    def start(self, offset_ns: int) -> list[ServoState]:
        """Feed ``offset_ns`` until the servo leaves UNLOCKED; the states seen."""
        states = [self(offset_ns)]
        while states[-1] is UNLOCKED:
            assert len(states) < 20, "servo never left UNLOCKED"
            states.append(self(offset_ns))
        return states


def make(kind: str, config: ServoConfig = STABLE_CONFIG) -> Servo:
    return create_servo(kind, max_frequency_ppb=500_000, config=config)


@pytest.mark.parametrize("kind", SERVO_KINDS)
def test_unlocked_jump_locked_stable_with_hysteresis(kind: str) -> None:
    feed = Feeder(make(kind))
    startup = feed.start(1_000_000)
    assert startup[-1] is JUMP and set(startup[:-1]) == {UNLOCKED}
    # Three offsets under 100 ns make it stable; 100 ns in between restarts the count.
    assert [feed(o) for o in (50, -50, 100, 50, -99, 50)] == [
        LOCKED, LOCKED, LOCKED, LOCKED, LOCKED, STABLE]
    # Between the entry (100) and exit (300) thresholds it stays stable ...
    assert [feed(o) for o in (250, -300, 120)] == [STABLE, STABLE, STABLE]
    # ... above the exit threshold it drops back and must earn it again.
    assert [feed(o) for o in (-301, 50, 50, 50)] == [LOCKED, LOCKED, LOCKED, STABLE]


@pytest.mark.parametrize("kind", SERVO_KINDS)
def test_stable_needs_its_threshold_configured(kind: str) -> None:
    feed = Feeder(make(kind, ServoConfig()))
    feed.start(0)
    assert {feed(0) for _ in range(30)} == {LOCKED}


@pytest.mark.parametrize("kind", SERVO_KINDS)
def test_status_reports_plain_data(kind: str) -> None:
    servo = make(kind)
    feed = Feeder(servo)
    startup = feed.start(1_000_000)
    offsets = [10, -20, 30, -40, 50]
    last = None
    for o in offsets:
        last = servo.sample(o, feed.t)
        feed.t += NS_PER_S
    status = servo.status()
    assert last is not None
    assert status.state is last.state
    assert status.frequency_ppb == last.frequency_ppb
    assert status.last_offset_ns == 50
    assert status.samples == len(startup) + len(offsets)
    assert status.rms_samples == 4
    assert status.rms_ns == pytest.approx(math.sqrt((20**2 + 30**2 + 40**2 + 50**2) / 4))


@pytest.mark.parametrize("kind", SERVO_KINDS)
def test_rms_window_starts_after_a_step(kind: str) -> None:
    servo = make(kind)
    feed = Feeder(servo)
    feed.start(1_000_000)
    assert servo.status().rms_ns is None  # the pre-step offsets are not in it
    feed(30)
    assert servo.status().rms_ns == pytest.approx(30.0)


@pytest.mark.parametrize("kind", SERVO_KINDS)
def test_reset_restarts_and_keeps_the_frequency(kind: str) -> None:
    servo = make(kind)
    servo.seed_frequency(-12_000)
    feed = Feeder(servo)
    first = feed.start(1_000_000)
    for _ in range(5):
        feed(50)
    frequency = servo.status().frequency_ppb
    servo.reset()
    status = servo.status()
    assert (status.state, status.samples, status.rms_ns, status.last_offset_ns) == (
        UNLOCKED, 0, None, None)
    assert status.frequency_ppb == frequency
    # The start-up runs again, but the first step is spent: it locks and slews.
    again = feed.start(1_000_000)
    assert len(again) == len(first) and again[-1] is LOCKED
    # Re-armed, it steps again.
    servo.reset(first_step=True)
    assert feed.start(1_000_000)[-1] is JUMP


@pytest.mark.parametrize("kind", SERVO_KINDS)
def test_the_first_step_is_spent_by_the_jump(kind: str) -> None:
    servo = make(kind)
    feed = Feeder(servo)
    assert feed.start(1_000_000)[-1] is JUMP
    servo.reset()
    assert feed.start(1_000_000)[-1] is LOCKED


@pytest.mark.parametrize("kind", SERVO_KINDS)
def test_every_kind_is_a_servo(kind: str) -> None:
    assert isinstance(make(kind), Servo)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown servo 'kalman'"):
        create_servo("kalman", max_frequency_ppb=1_000)


@pytest.mark.parametrize("kwargs", [
    {"first_step_threshold_ns": -1},
    {"step_threshold_ns": -5},
    {"stable_samples": 0},
    {"rms_samples": 0},
    {"stable_threshold_ns": 500, "stable_exit_threshold_ns": 400},
])
def test_bad_config_is_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        ServoConfig(**kwargs)


def test_default_exit_threshold_is_twice_the_entry() -> None:
    assert ServoConfig(stable_threshold_ns=700).stable_exit_ns == 1_400
    assert ServoConfig(stable_threshold_ns=700, stable_exit_threshold_ns=900).stable_exit_ns == 900
