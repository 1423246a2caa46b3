# SPDX-License-Identifier: GPL-2.0-or-later
"""The daemon's ClockDiscipline on a simulated clock in simulated time: nothing sleeps."""

from __future__ import annotations

from typing import Any

from phc import SimulatedClock
from ptpbridge.config.discipline import DisciplineConfig
from ptpbridge.core.servo import ServoOutput
from ptpbridge.daemon.clock_source import ServedClock
from ptpbridge.daemon.discipline import ClockDiscipline
from ptpbridge.timebase import NS_PER_S, Timebase, Timescale

EPOCH = 1_700_000_000 * NS_PER_S


class Rig:
    """CLOCK_REALTIME is ``now`` (the truth); the served clock is a TAI SimulatedClock on it."""

    def __init__(self, *, time_error_ns: int = 0, error_ppb: float = 0.0,
                 utc_offset_s: int = 37, **config: Any) -> None:
        self.now = EPOCH
        self.timebase = Timebase(utc_offset_s=utc_offset_s)
        self.clock = SimulatedClock(offset_ns=self.timebase.utc_offset_ns + time_error_ns,
                                    frequency_error_ppb=error_ppb, time_source=lambda: self.now)
        self.served = ServedClock(self.clock, Timescale.TAI)
        self.config = DisciplineConfig(**config)
        self.discipline = ClockDiscipline(self.config, self.served, self.timebase,
                                          realtime_ns=lambda: self.now,
                                          monotonic_ns=lambda: self.now)

    def true_error(self) -> int:
        error = self.served.true_time_error_ns(self.timebase)
        assert error is not None
        return error

    @property
    def interval_ns(self) -> int:
        return round(self.discipline.poll_interval_s * NS_PER_S)

    def poll(self, count: int) -> list[ServoOutput]:
        """``count`` system polls, one interval apart; every one must be applied."""
        outputs = []
        for _ in range(count):
            out = self.discipline.poll_system()
            assert out is not None, self.discipline.last_error
            outputs.append(out)
            self.now += self.interval_ns
        return outputs

    def ptp_sample(self, bias_ns: int = 0) -> ServoOutput | None:
        """What a PTP slave port hands over: served clock (TAI) minus the master's TAI."""
        local = self.clock.from_system_ns(self.now)
        master = self.timebase.utc_to_tai_ns(self.now)
        return self.discipline.submit_sample(local - master + bias_ns, local, "eth0 port 1")
