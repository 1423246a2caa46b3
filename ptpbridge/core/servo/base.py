# SPDX-License-Identifier: GPL-2.0-or-later
"""What every servo keeps the same way: frequency limit, sync interval, seed and status.

Why one base: the Servo interface promises the same checks, clamps and
status for every servo, so they live once; a servo adds only its own
algorithm (sample, reset) and the hooks below for state it derives.
"""

from __future__ import annotations

from ptpbridge.core.servo.api import ServoConfig, ServoStatus
from ptpbridge.core.servo.limits import (
    checked_frequency,
    checked_interval,
    checked_max_frequency,
    clamp_ppb,
    log_interval_seconds,
)
from ptpbridge.core.servo.lock import LockTracker


class ServoBase:
    """The configuration and status half of the Servo interface."""

    def __init__(self, max_frequency_ppb: float, config: ServoConfig | None, sync_interval_s: float,
                 initial_frequency_ppb: float) -> None:
        self._max = checked_max_frequency(max_frequency_ppb)
        self._tracker = LockTracker(config or ServoConfig())
        self._interval = checked_interval(sync_interval_s)
        # The adjustment the servo last asked for.
        self._frequency = checked_frequency(initial_frequency_ppb, self._max)

    def _interval_changed(self) -> None:
        """The sync interval changed (for a servo whose gains depend on it)."""

    def _limit_changed(self) -> None:
        """The frequency limit changed; _frequency is already clamped to it."""

    def _seeded(self) -> None:
        """seed_frequency set _frequency (for a servo that keeps more frequency state)."""

    def _rejected(self) -> int:
        """Samples left out as spikes so far (for a servo that judges its samples)."""
        return 0

    @property
    def sync_interval(self) -> float:
        return self._interval

    @sync_interval.setter
    def sync_interval(self, seconds: float) -> None:
        self._interval = checked_interval(seconds)
        self._interval_changed()

    def set_log_sync_interval(self, log_interval: int) -> None:
        self.sync_interval = log_interval_seconds(log_interval)

    @property
    def max_frequency_ppb(self) -> float:
        return self._max

    @max_frequency_ppb.setter
    def max_frequency_ppb(self, ppb: float) -> None:
        self._max = checked_max_frequency(ppb)
        self._frequency = clamp_ppb(self._frequency, self._max)
        self._limit_changed()

    def seed_frequency(self, ppb: float) -> None:
        self._frequency = checked_frequency(ppb, self._max)
        self._seeded()

    def hold(self, local_ts_ns: int) -> float:
        """Samples stopped (the master went quiet): the frequency to run on until they return.

        The last output may carry a phase correction meant for one or a few
        intervals; held for seconds it walks the clock off. This base keeps the
        output; servos that know the clock's own frequency return that.
        """
        del local_ts_ns
        return self._frequency

    def status(self) -> ServoStatus:
        t = self._tracker
        return ServoStatus(state=t.state, last_offset_ns=t.last_offset_ns,
                           frequency_ppb=self._frequency, samples=t.samples,
                           rms_ns=t.rms_ns(), rms_samples=t.rms_samples,
                           rejected=self._rejected())
