# SPDX-License-Identifier: GPL-2.0-or-later
"""A proportional-integral servo that behaves like linuxptp's default one.

Why the same behaviour: operators tune and judge ptp4l/phc2sys with these
gains and thresholds, so our PI must converge, step and clamp as theirs does.

Start-up takes two samples.  The first is stored; a later one, at least
0.016/ki seconds on, gives the clock's frequency error from the change of
offset, and the servo then steps (first_step_threshold) or locks.  Locked,
the output is integral - kp*offset - ki*offset and the integral absorbs the
ki term unless the output hits the frequency limit (no wind-up).

Sign convention: outputs are what Clock.adjust_frequency takes (linuxptp's
servo returns the opposite sign and ptp4l negates it).  Frequency estimates
use the Clock protocol's additive model, rate = 1 + (error + adjustment)*1e-9,
where linuxptp assumes a multiplicative one; the two differ by
error*adjustment*1e-9 (2.5 ppb at 50 ppm), which the integral removes anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from ptpbridge.core.servo.api import ServoConfig, ServoOutput, ServoState
from ptpbridge.core.servo.base import ServoBase
from ptpbridge.core.servo.limits import checked_interval, checked_weight, clamp_ppb
from ptpbridge.timebase import NS_PER_S
# The frequency estimate waits until 0.016/ki seconds separate its two
# samples (never more than 1000 s); the margin keeps rounding of nominally
# equal intervals from making it wait one sample longer.
_FREQ_EST_GAIN_S = 0.016
_FREQ_EST_MAX_S = 1000.0
_FREQ_EST_MARGIN = 0.001


@dataclass(frozen=True, slots=True)
class PiConstants:
    """linuxptp's gain rule: k = min(scale * interval^exponent, norm_max / interval).

    The interval power makes the loop's time constant grow with the sync
    interval; the norm_max cap keeps kp*interval and ki*interval (the share of
    an offset corrected per sample) in the stable range.
    """

    kp_scale: float
    ki_scale: float
    kp_exponent: float = -0.3
    kp_norm_max: float = 0.7
    ki_exponent: float = 0.4
    ki_norm_max: float = 0.3

    @classmethod
    def fixed(cls, kp: float, ki: float) -> PiConstants:
        """User-chosen kp and ki, kept whatever the interval unless that would be unstable
        (linuxptp's pi_proportional_const/pi_integral_const, capped at 1.0 and 2.0)."""
        return cls(kp_scale=kp, ki_scale=ki, kp_exponent=0.0, kp_norm_max=1.0,
                   ki_exponent=0.0, ki_norm_max=2.0)


# linuxptp's defaults for hardware and for software time stamps.
HARDWARE_PI = PiConstants(kp_scale=0.7, ki_scale=0.3)
SOFTWARE_PI = PiConstants(kp_scale=0.1, ki_scale=0.001)


def pi_gains(interval_s: float, constants: PiConstants) -> tuple[float, float]:
    """(kp, ki) in ppb per ns of offset for samples ``interval_s`` seconds apart."""
    interval = checked_interval(interval_s)
    c = constants
    kp = min(c.kp_scale * interval ** c.kp_exponent, c.kp_norm_max / interval)
    ki = min(c.ki_scale * interval ** c.ki_exponent, c.ki_norm_max / interval)
    return kp, ki


class PiServo(ServoBase):
    """linuxptp's PI servo behind our Servo interface (see the module notes)."""

    def __init__(
        self,
        max_frequency_ppb: float,
        *,
        constants: PiConstants = HARDWARE_PI,
        config: ServoConfig | None = None,
        sync_interval_s: float = 1.0,
        initial_frequency_ppb: float = 0.0,
    ) -> None:
        super().__init__(max_frequency_ppb, config, sync_interval_s, initial_frequency_ppb)
        self._constants = constants
        self._kp, self._ki = pi_gains(self._interval, constants)
        # The integral term: the adjustment that cancels the clock's own error.
        self._integral = self._frequency
        # (offset, local) of the sample that opens the frequency estimate.
        self._first: tuple[int, int] | None = None
        self._locked_in = False

    # -- configuration ----------------------------------------------------

    @property
    def kp(self) -> float:
        return self._kp

    @property
    def ki(self) -> float:
        return self._ki

    def _interval_changed(self) -> None:
        self._kp, self._ki = pi_gains(self._interval, self._constants)

    def _limit_changed(self) -> None:
        self._integral = clamp_ppb(self._integral, self._max)

    def _seeded(self) -> None:
        self._integral = self._frequency

    # -- samples ----------------------------------------------------------

    def sample(self, offset_ns: int, local_ts_ns: int, weight: float = 1.0) -> ServoOutput:
        offset_ns, local_ts_ns = int(offset_ns), int(local_ts_ns)
        weight = checked_weight(weight)
        self._tracker.note_sample(offset_ns)
        step: int | None = None
        if self._locked_in:
            raw = self._steer(offset_ns, weight)
        elif self._first is None:
            self._first = (offset_ns, local_ts_ns)
            raw = ServoState.UNLOCKED
        else:
            raw = self._estimate(offset_ns, local_ts_ns)
            if raw is ServoState.JUMP:
                step = -offset_ns
        state = self._tracker.update(raw, offset_ns)
        return ServoOutput(frequency_ppb=self._frequency, step_ns=step, state=state)

    def _estimate(self, offset_ns: int, local_ts_ns: int) -> ServoState:
        """Second start-up sample: frequency from two offsets, then step or lock."""
        assert self._first is not None
        first_offset, first_local = self._first
        elapsed = local_ts_ns - first_local
        # The clock ran elapsed - d_offset ns of reference time in elapsed ns of its own.
        reference_elapsed = elapsed - (offset_ns - first_offset)
        if elapsed <= 0 or reference_elapsed <= 0:
            self._first = (offset_ns, local_ts_ns)  # out of order: start over from here
            return ServoState.UNLOCKED
        wait_s = min(_FREQ_EST_GAIN_S / self._ki, _FREQ_EST_MAX_S)
        if elapsed / NS_PER_S * (1.0 + _FREQ_EST_MARGIN) < wait_s:
            return ServoState.UNLOCKED
        rate_error_ppb = (offset_ns - first_offset) * NS_PER_S / reference_elapsed
        self._integral = clamp_ppb(self._frequency - rate_error_ppb, self._max)
        self._frequency = self._integral
        self._first = None
        self._locked_in = True
        return ServoState.JUMP if self._tracker.wants_step(offset_ns) else ServoState.LOCKED

    def _steer(self, offset_ns: int, weight: float) -> ServoState:
        """Locked: PI on the offset; a step_threshold breach restarts the estimate."""
        if self._tracker.beyond_step_threshold(offset_ns):
            self._locked_in = False
            self._first = None
            return ServoState.UNLOCKED
        i_term = self._ki * offset_ns * weight
        wanted = self._integral - self._kp * offset_ns * weight - i_term
        if abs(wanted) > self._max:
            self._frequency = clamp_ppb(wanted, self._max)
        else:
            self._frequency = wanted
            self._integral -= i_term
        return ServoState.LOCKED

    def hold(self, local_ts_ns: int) -> float:
        """The integral term alone: the clock's own error cancelled, no proportional kick."""
        del local_ts_ns
        if self._locked_in:
            self._frequency = self._integral
        return self._frequency

    def reset(self, *, first_step: bool = False) -> None:
        """Start over from two samples, keeping the frequency (as linuxptp's pi_reset)."""
        self._first = None
        self._locked_in = False
        self._tracker.reset(first_step=first_step)
