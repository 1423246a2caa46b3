"""Turn the configured clock spec into a `phc.Clock` and its timescale."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phc
from ptpbridge.config.models import ClockConfig
from ptpbridge.timebase import Timebase, Timescale


@dataclass
class ServedClock:
    """The clock the daemon serves, with what its readings count."""

    clock: phc.Clock
    timescale: Timescale

    def true_time_error_ns(self, timebase: Timebase) -> int | None:
        """Error against the truth, known only for simulated clocks (labs)."""
        if not isinstance(self.clock, phc.SimulatedClock):
            return None
        offset = self.clock.true_offset_ns()  # noise-free: the truth, not a reading
        # TAI - CLOCK_REALTIME: a lab leap the kernel never sees leaves it where it was.
        return offset - (timebase.system_offset_ns if self.timescale is Timescale.TAI else 0)


def open_clock(config: ClockConfig, timebase: Timebase) -> ServedClock:
    """Open `config.device`: "sim", "system", "/dev/ptpN", "ptpN" or an interface name.

    A simulated clock runs on TAI like a PHC, so a perfect one sits exactly
    utc_offset ahead of CLOCK_REALTIME and its time error is measurable.
    """
    spec = config.device
    if spec == "sim":
        sim = config.sim
        clock: phc.Clock = phc.SimulatedClock(
            offset_ns=timebase.utc_offset_ns + sim.time_error_ns,
            frequency_error_ppb=sim.frequency_error_ppb,
            wander_ppb_per_sqrt_s=sim.wander_ppb_per_sqrt_s,
            read_noise_ns=sim.read_noise_ns,
            seed=sim.seed,
            name="sim",
        )
        return ServedClock(clock, Timescale.TAI)
    if spec == "system":
        # Read-only: the daemon never steers the machine's clock unless a
        # user explicitly allows it, which no config key offers yet.
        return ServedClock(phc.SystemClock(), Timescale.UTC)
    if re.fullmatch(r"ptp\d+", spec):
        spec = f"/dev/{spec}"
    return ServedClock(phc.PhcClock(spec), Timescale.TAI)
