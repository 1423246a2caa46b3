# SPDX-License-Identifier: GPL-2.0-or-later
"""The servo interface: measured offsets in, clock adjustments out, time injected.

A servo never touches a clock.  It is told the measured offset (this clock
minus the reference, integer ns) and the local timestamp at which that offset
was measured, and it answers what the caller should do: set this absolute
frequency adjustment and, rarely, step the clock by this many ns.  The caller
applies both before the next sample; the servos account for their own
corrections on that assumption (call reset() if an output was not applied).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


class ServoState(enum.Enum):
    """What the servo believes about the clock, as linuxptp's servo reports it."""

    UNLOCKED = "unlocked"  # collecting samples; frequency held where it was
    JUMP = "jump"  # step the clock by step_ns now, then steer
    LOCKED = "locked"  # steering by frequency only
    LOCKED_STABLE = "locked_stable"  # locked and the offset stayed small long enough


@dataclass(frozen=True, slots=True)
class ServoOutput:
    """One answer to one sample.

    ``frequency_ppb`` is the absolute adjustment to hand to
    ``Clock.adjust_frequency`` (positive makes the clock run faster), always
    within the servo's max_frequency_ppb.  ``step_ns`` is None, or the amount
    to ADD to the clock with ``Clock.step`` (a clock 1 ms ahead gets -1_000_000);
    apply the step before the frequency.
    """

    frequency_ppb: float
    step_ns: int | None
    state: ServoState


@dataclass(frozen=True, slots=True)
class ServoStatus:
    """The servo's state as plain data, for status pages, metrics and logs.

    ``rms_ns`` is the root mean square of the last ``rms_samples`` measured
    offsets taken while locked (None before the first locked sample); a step
    or an unlock starts a new window, so it never mixes pre-step offsets in.
    ``rejected`` counts samples the servo left out as spikes (0 for a servo
    that takes every sample, like the PI).
    """

    state: ServoState
    last_offset_ns: int | None
    frequency_ppb: float
    samples: int
    rms_ns: float | None
    rms_samples: int
    rejected: int = 0


@dataclass(frozen=True, slots=True)
class ServoConfig:
    """State-machine rules shared by every servo; 0 disables a threshold, as in linuxptp.

    ``first_step_threshold_ns``: on the first lock after creation, step when
    the offset is larger than this (linuxptp's first_step_threshold, 20 us).
    ``step_threshold_ns``: once locked, an offset larger than this drops the
    servo to UNLOCKED; its fresh estimate then steps (linuxptp's
    step_threshold; 0 = never step after the first lock, so clients never see
    time jump).  ``stable_threshold_ns``/``stable_samples``: LOCKED_STABLE
    after this many consecutive locked offsets below the threshold
    (servo_offset_threshold / servo_num_offset_values); it is left only when
    an offset exceeds ``stable_exit_threshold_ns`` (0 means twice the entry
    threshold), so noise near the threshold does not make the state flap.
    """

    first_step_threshold_ns: int = 20_000
    step_threshold_ns: int = 0
    stable_threshold_ns: int = 0
    stable_exit_threshold_ns: int = 0
    stable_samples: int = 10
    rms_samples: int = 16

    def __post_init__(self) -> None:
        for name in ("first_step_threshold_ns", "step_threshold_ns",
                     "stable_threshold_ns", "stable_exit_threshold_ns"):
            if getattr(self, name) < 0:
                raise ValueError(f"servo {name} must be >= 0, got {getattr(self, name)}")
        if self.stable_samples < 1:
            raise ValueError(f"servo stable_samples must be >= 1, got {self.stable_samples}")
        if self.rms_samples < 1:
            raise ValueError(f"servo rms_samples must be >= 1, got {self.rms_samples}")
        if 0 < self.stable_exit_threshold_ns < self.stable_threshold_ns:
            raise ValueError(
                f"servo stable_exit_threshold_ns ({self.stable_exit_threshold_ns}) must not be "
                f"below stable_threshold_ns ({self.stable_threshold_ns})")

    @property
    def stable_exit_ns(self) -> int:
        """The offset that ends LOCKED_STABLE (the configured one, or twice the entry)."""
        return self.stable_exit_threshold_ns or 2 * self.stable_threshold_ns


@runtime_checkable
class Servo(Protocol):
    """A clock servo: feed it offsets with their local timestamps, apply what it says."""

    def sample(self, offset_ns: int, local_ts_ns: int, weight: float = 1.0) -> ServoOutput:
        """One measurement: offset (slave - master) measured at local time local_ts_ns."""
        ...

    def reset(self, *, first_step: bool = False) -> None:
        """Forget the samples (not the frequency); ``first_step`` re-arms the first step."""
        ...

    @property
    def sync_interval(self) -> float:
        """Expected seconds between samples; gains and corrections are scaled by it."""
        ...

    @sync_interval.setter
    def sync_interval(self, seconds: float) -> None: ...

    def set_log_sync_interval(self, log_interval: int) -> None:
        """Set the sync interval as PTP states it, 2^log_interval seconds."""
        ...

    @property
    def max_frequency_ppb(self) -> float:
        """Largest |adjustment| the servo will ask for (the PHC's max_adj)."""
        ...

    @max_frequency_ppb.setter
    def max_frequency_ppb(self, ppb: float) -> None: ...

    def seed_frequency(self, ppb: float) -> None:
        """Start from this adjustment (a drift file's value) instead of zero."""
        ...

    def hold(self, local_ts_ns: int) -> float:
        """Samples stopped at local time ``local_ts_ns``: the adjustment to run on until they return."""
        ...

    def status(self) -> ServoStatus:
        """The current state as plain data."""
        ...
