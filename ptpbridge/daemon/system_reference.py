# SPDX-License-Identifier: GPL-2.0-or-later
"""One servo sample from comparing the served clock with CLOCK_REALTIME (phc2sys in reverse).

A PHC runs on TAI, so a perfect one reads utc_offset ahead of the system
clock; the sample is the served clock's error once both are on UTC, with the
conversion done by the Timebase, the one owner of that relation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ptpbridge.daemon.clock_source import ServedClock
from ptpbridge.timebase import Timebase


@dataclass(frozen=True, slots=True)
class SystemSample:
    """``offset_ns``: served clock minus CLOCK_REALTIME, on one timescale (slave - master).
    ``local_ts_ns``: the served clock's own reading at the comparison."""

    offset_ns: int
    local_ts_ns: int
    delay_ns: int
    method: str


def measure_against_system(served: ServedClock, timebase: Timebase, samples: int,
                           realtime_ns: Callable[[], int]) -> SystemSample:
    """Compare once; ``realtime_ns`` reads CLOCK_REALTIME (injected for simulated time).

    The system reading taken just before the comparison dates it; the few
    microseconds between the two only blur the sample's timestamp, which
    moves a linear fit by (frequency error) x (that blur): 1 ns for 10 us at
    100 ppm.
    """
    system_now = realtime_ns()
    measurement = served.clock.offset_to_system(samples)
    local = system_now + measurement.offset_ns
    offset = timebase.to_system_ns(local, served.timescale) - system_now
    return SystemSample(offset, local, measurement.delay_ns, measurement.method)
