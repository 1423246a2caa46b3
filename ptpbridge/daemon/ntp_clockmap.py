# SPDX-License-Identifier: GPL-2.0-or-later
"""The daemon's clock as NTP worker processes see it: a line through CLOCK_REALTIME.

A worker cannot read the daemon's clock object (a SimulatedClock lives in
the daemon's memory; a PHC is steered by the daemon), so the daemon sends
each worker, once a tick, two recent points of (CLOCK_REALTIME, clock)
taken from the clock itself. The worker maps kernel software timestamps
and its late basic-mode transmit reads through that line, all in integer
nanoseconds. For a PHC this is what PhcClock.from_system_ns does anyway (an
offset measured at most a second ago); for a simulated clock the line is
exact between ticks unless the clock is stepped or slewed mid-tick.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import phc

# How far back the second point is taken: long enough for a precise rate,
# short enough to follow a servo's frequency changes.
SPAN_NS = 100_000_000


@dataclass(frozen=True, slots=True)
class ClockMap:
    """clock(sys) = clock_ns + (sys - sys_ns) * clock_span / sys_span (integer ns)."""

    sys_ns: int
    clock_ns: int
    sys_span: int = 1
    clock_span: int = 1

    def from_system_ns(self, realtime_ns: int) -> int:
        """The clock's reading at CLOCK_REALTIME instant `realtime_ns`."""
        return self.clock_ns + (realtime_ns - self.sys_ns) * self.clock_span // self.sys_span

    def now_ns(self) -> int:
        """The clock now, read through CLOCK_REALTIME (the worker's only clock read)."""
        return self.from_system_ns(time.time_ns())

    def to_json(self) -> dict[str, int]:
        return {"sys_ns": self.sys_ns, "clock_ns": self.clock_ns,
                "sys_span": self.sys_span, "clock_span": self.clock_span}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClockMap:
        span = int(data["sys_span"])
        if span <= 0:
            raise ValueError("clock map span must be positive")
        return cls(int(data["sys_ns"]), int(data["clock_ns"]), span, int(data["clock_span"]))


def sample(clock: phc.Clock) -> ClockMap:
    """A line through two points of the clock, the later one now."""
    now = time.time_ns()
    before = now - SPAN_NS
    at_now = clock.from_system_ns(now)
    return ClockMap(now, at_now, SPAN_NS, at_now - clock.from_system_ns(before))
