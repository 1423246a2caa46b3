# SPDX-License-Identifier: GPL-2.0-or-later
"""The one Clock protocol every layer above phc/ codes against.

PhcClock (a /dev/ptpN), SystemClock (CLOCK_REALTIME) and SimulatedClock all
satisfy it, so the daemon and the lab swap clocks without knowing which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol, runtime_checkable

NS_PER_S: Final = 1_000_000_000


@dataclass(frozen=True)
class OffsetMeasurement:
    """One clock-to-system comparison.

    ``offset_ns`` is this clock minus CLOCK_REALTIME; ``delay_ns`` is the width
    of the system reads that bracket the clock read (0 for a hardware
    cross-timestamp), i.e. the uncertainty of the offset.
    """

    offset_ns: int
    delay_ns: int
    method: str  # "precise" | "extended" | "basic" | "simulated" | "identity"
    samples: int


@runtime_checkable
class Clock(Protocol):
    """A clock that can be read, stepped, slewed and compared with the system clock."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...  # "phc" | "system" | "sim"

    def now_ns(self) -> int: ...

    def set_time_ns(self, ns: int) -> None: ...

    def adjust_frequency(self, ppb: float) -> None: ...

    def frequency_ppb(self) -> float: ...

    def step(self, delta_ns: int) -> None: ...

    def max_frequency_ppb(self) -> float: ...

    def offset_to_system(self, samples: int = 5) -> OffsetMeasurement: ...

    def from_system_ns(self, realtime_ns: int) -> int: ...

    def close(self) -> None: ...
