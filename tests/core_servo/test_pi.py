# SPDX-License-Identifier: GPL-2.0-or-later
"""The PI servo: linuxptp's gains, two-sample start, steps, clamp and anti-windup."""

from __future__ import annotations

import math

import pytest

from ptpbridge.core.servo import (
    HARDWARE_PI,
    SOFTWARE_PI,
    PiConstants,
    PiServo,
    ServoConfig,
    ServoState,
    pi_gains,
)

from .helpers import EPOCH, NS_PER_S, Rig

# linuxptp's constants (pi.c and the config defaults), written out here so
# the test checks the module against the source, not against itself.
LINUXPTP_HW = (0.7, 0.3)
LINUXPTP_SW = (0.1, 0.001)
KP_EXPONENT, KP_NORM_MAX = -0.3, 0.7
KI_EXPONENT, KI_NORM_MAX = 0.4, 0.3


def linuxptp_gains(interval: float, kp_scale: float, ki_scale: float) -> tuple[float, float]:
    kp = kp_scale * math.pow(interval, KP_EXPONENT)
    if kp > KP_NORM_MAX / interval:
        kp = KP_NORM_MAX / interval
    ki = ki_scale * math.pow(interval, KI_EXPONENT)
    if ki > KI_NORM_MAX / interval:
        ki = KI_NORM_MAX / interval
    return kp, ki


@pytest.mark.parametrize("log_interval", [-7, -4, -1, 0, 1, 3, 6])
@pytest.mark.parametrize("constants, scales", [(HARDWARE_PI, LINUXPTP_HW), (SOFTWARE_PI, LINUXPTP_SW)])
def test_gains_follow_linuxptp_formula(log_interval: int, constants: PiConstants,
                                       scales: tuple[float, float]) -> None:
    interval = 2.0 ** log_interval
    kp, ki = linuxptp_gains(interval, *scales)
    assert pi_gains(interval, constants) == pytest.approx((kp, ki), rel=1e-12)
    servo = PiServo(100_000, constants=constants)
    servo.set_log_sync_interval(log_interval)
    assert (servo.kp, servo.ki) == pytest.approx((kp, ki), rel=1e-12)
    assert servo.sync_interval == interval
    servo.sync_interval = 1.0
    assert (servo.kp, servo.ki) == pytest.approx(linuxptp_gains(1.0, *scales), rel=1e-12)


def test_gain_cap_binds_for_long_intervals() -> None:
    # Above 1 s the norm_max / interval term is the smaller one.
    assert pi_gains(8.0, HARDWARE_PI) == pytest.approx((KP_NORM_MAX / 8.0, KI_NORM_MAX / 8.0))


def test_fixed_constants_are_kept_unless_unstable() -> None:
    fixed = PiConstants.fixed(kp=0.5, ki=0.2)
    assert pi_gains(0.25, fixed) == pytest.approx((0.5, 0.2))
    # linuxptp caps user constants at 1.0/interval and 2.0/interval.
    assert pi_gains(4.0, fixed) == pytest.approx((0.25, 0.2))
    assert pi_gains(16.0, fixed) == pytest.approx((1.0 / 16, 2.0 / 16))


@pytest.mark.parametrize("error_ppb, offset_ns, seed_ppb", [
    (12_345, 5_000, 0.0),
    (-50_000, 40_000, 0.0),
    (50_000, -15_000, -20_000.0),
    (-3_000, -7_000, 2_500.0),
])
def test_two_sample_start_measures_frequency_error_exactly(
        error_ppb: float, offset_ns: int, seed_ppb: float) -> None:
    servo = PiServo(500_000, initial_frequency_ppb=seed_ppb)
    rig = Rig(servo, offset_ns=offset_ns, error_ppb=error_ppb)
    rig.clock.adjust_frequency(seed_ppb)  # the daemon applies the drift file at start
    first = rig.tick()
    assert first.state is ServoState.UNLOCKED
    assert first.frequency_ppb == seed_ppb and first.step_ns is None
    second = rig.tick()
    assert second.state is ServoState.LOCKED
    assert second.frequency_ppb == pytest.approx(-error_ppb, abs=1e-6)
    # With the frequency right, the PI only has the constant offset left to remove.
    rig.run(30)
    assert abs(rig.true_error()) <= 2


def test_estimate_waits_until_0_016_over_ki() -> None:
    interval = 1 / 16
    servo = PiServo(500_000, sync_interval_s=interval)
    _, ki = linuxptp_gains(interval, *LINUXPTP_HW)
    wait_s = 0.016 / ki
    error_ppb = 10_000.0
    rig = Rig(servo, error_ppb=error_ppb, interval_ns=NS_PER_S // 16)
    outs = rig.run(8)
    # Local time runs fast by error_ppb; linuxptp adds a 0.1% margin.
    expected = next(k for k in range(1, 8)
                    if k * interval * (1 + error_ppb * 1e-9) * 1.001 >= wait_s)
    states = [o.state for o in outs]
    assert states[:expected] == [ServoState.UNLOCKED] * expected
    assert states[expected] is ServoState.LOCKED
    assert outs[expected].frequency_ppb == pytest.approx(-error_ppb, abs=1e-6)


def test_estimate_wait_has_a_margin_for_rounding() -> None:
    # ki = 0.128 makes the wait exactly two intervals; a clock 100 ppb slow
    # sees 0.1% less than that, which linuxptp's margin still accepts.
    servo = PiServo(500_000, constants=PiConstants.fixed(kp=0.1, ki=0.128),
                    sync_interval_s=1 / 16)
    assert 0.016 / servo.ki == 2 / 16
    rig = Rig(servo, error_ppb=-100, interval_ns=NS_PER_S // 16)
    assert [o.state for o in rig.run(3)] == [ServoState.UNLOCKED, ServoState.UNLOCKED,
                                             ServoState.LOCKED]


@pytest.mark.parametrize("offset_ns, jumps", [
    (25_000, True), (-25_000, True), (20_001, True), (20_000, False), (-15_000, False), (0, False),
])
def test_first_step_only_above_threshold(offset_ns: int, jumps: bool) -> None:
    servo = PiServo(500_000)
    servo.sample(offset_ns, EPOCH)
    out = servo.sample(offset_ns, EPOCH + NS_PER_S)
    if jumps:
        assert out.state is ServoState.JUMP and out.step_ns == -offset_ns
    else:
        assert out.state is ServoState.LOCKED and out.step_ns is None


@pytest.mark.parametrize("threshold_ns, jumps", [(0, False), (100_000, True), (2_000_000, False)])
def test_first_step_threshold_is_configurable(threshold_ns: int, jumps: bool) -> None:
    servo = PiServo(500_000, config=ServoConfig(first_step_threshold_ns=threshold_ns))
    servo.sample(1_000_000, EPOCH)
    out = servo.sample(1_000_000, EPOCH + NS_PER_S)
    assert (out.state is ServoState.JUMP) == jumps
    assert (out.step_ns == -1_000_000) if jumps else (out.step_ns is None)


def test_first_step_is_only_for_the_first_lock() -> None:
    servo = PiServo(500_000)
    servo.sample(0, EPOCH)
    assert servo.sample(0, EPOCH + NS_PER_S).state is ServoState.LOCKED
    servo.reset()
    servo.sample(1_000_000, EPOCH + 2 * NS_PER_S)
    out = servo.sample(1_000_000, EPOCH + 3 * NS_PER_S)
    assert out.state is ServoState.LOCKED and out.step_ns is None


def test_no_step_after_lock_when_step_threshold_is_zero() -> None:
    rig = Rig(PiServo(500_000), offset_ns=1_000_000, error_ppb=50_000)
    rig.run(10)
    assert [o.state for o in rig.outputs[:2]] == [ServoState.UNLOCKED, ServoState.JUMP]
    rig.clock.step(5_000_000)  # the clock jumps 5 ms (a glitch, or the reference moved)
    outs = rig.run(100)
    assert all(o.step_ns is None and o.state is ServoState.LOCKED for o in outs)
    assert abs(rig.true_error()) < 5_000_000 // 10  # slewing back instead


def test_step_threshold_unlocks_then_steps() -> None:
    config = ServoConfig(step_threshold_ns=1_000_000)
    rig = Rig(PiServo(500_000, config=config), offset_ns=1_000_000, error_ppb=50_000)
    rig.run(10)
    rig.clock.step(5_000_000)
    outs = rig.run(4)
    assert [o.state for o in outs[:3]] == [ServoState.UNLOCKED, ServoState.UNLOCKED,
                                           ServoState.JUMP]
    step = outs[2].step_ns
    assert step is not None and abs(step + 5_000_000) < 100
    assert outs[3].state is ServoState.LOCKED
    assert abs(rig.true_error()) < 100


def test_frequency_estimate_is_clamped() -> None:
    rig = Rig(PiServo(10_000), offset_ns=0, error_ppb=50_000)
    outs = rig.run(50)
    assert outs[1].frequency_ppb == -10_000
    assert all(abs(o.frequency_ppb) <= 10_000 for o in outs)


def test_integral_does_not_wind_up_while_clamped() -> None:
    servo = PiServo(1_000)
    t = EPOCH
    for _ in range(2):
        servo.sample(0, t)
        t += NS_PER_S
    for _ in range(5):
        assert servo.sample(1_000_000, t).frequency_ppb == -1_000
        t += NS_PER_S
    # Unclamped, the integral would now hold -5 * ki * 1e6 ppb.
    assert servo.sample(0, t).frequency_ppb == 0.0


def test_locked_output_is_proportional_plus_integral() -> None:
    servo = PiServo(500_000, sync_interval_s=0.125)
    servo.sample(0, EPOCH)
    servo.sample(0, EPOCH + NS_PER_S)
    kp, ki = servo.kp, servo.ki
    out = servo.sample(1_000, EPOCH + 2 * NS_PER_S, weight=0.5)
    assert out.frequency_ppb == pytest.approx(-(kp + ki) * 1_000 * 0.5)
    out = servo.sample(0, EPOCH + 3 * NS_PER_S)
    assert out.frequency_ppb == pytest.approx(-ki * 1_000 * 0.5)  # only the integral remains


def test_seed_frequency_is_the_starting_point_and_is_clamped() -> None:
    servo = PiServo(500_000, initial_frequency_ppb=-1_234.5)
    assert servo.sample(0, EPOCH).frequency_ppb == -1_234.5
    servo.seed_frequency(-2_000_000)
    assert servo.status().frequency_ppb == -500_000
    servo.max_frequency_ppb = 1_000
    assert servo.status().frequency_ppb == -1_000


@pytest.mark.parametrize("bad", [
    lambda: PiServo(0),
    lambda: PiServo(math.inf),
    lambda: PiServo(1_000, sync_interval_s=0),
    lambda: PiServo(1_000, initial_frequency_ppb=math.nan),
    lambda: PiServo(1_000).set_log_sync_interval(40),
    lambda: PiServo(1_000).sample(0, EPOCH, weight=-1.0),
    lambda: setattr(PiServo(1_000), "sync_interval", -1.0),
])
def test_bad_settings_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        bad()  # type: ignore[operator]


def test_out_of_order_second_sample_restarts_the_estimate() -> None:
    servo = PiServo(500_000)
    servo.sample(0, EPOCH + NS_PER_S)
    assert servo.sample(0, EPOCH).state is ServoState.UNLOCKED  # older: becomes the first
    out = servo.sample(1_000, EPOCH + NS_PER_S)
    assert out.state is ServoState.LOCKED
    # 1000 ns gained in 1 s of local time: ~ -1000 ppb from the restarted pair.
    assert out.frequency_ppb == pytest.approx(-1_000 * 1e9 / (1e9 - 1_000))
