# SPDX-License-Identifier: GPL-2.0-or-later
"""Packet timestamps as the layers above see them: kernel value plus daemon time base.

Hardware timestamps are already PHC time and pass through unchanged; kernel
software timestamps are CLOCK_REALTIME and are mapped through the daemon
clock's ``from_system_ns`` (that is how a SimulatedClock lab gives every host
its own time base while all namespaces share one kernel clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

TimestampSource = Literal["hardware", "software"]


class SystemTimeBase(Protocol):
    """The one Clock capability this layer needs (every ``phc.Clock`` has it)."""

    def from_system_ns(self, realtime_ns: int) -> int: ...


@dataclass(frozen=True, slots=True)
class PacketTimestamp:
    """One RX or TX timestamp, integer nanoseconds.

    ``ns`` is in the daemon clock's time base; ``raw_ns`` is what the kernel
    reported (CLOCK_REALTIME for software, PHC time for hardware).
    """

    ns: int
    raw_ns: int
    source: TimestampSource


def to_clock(raw_ns: int, source: TimestampSource, clock: SystemTimeBase) -> PacketTimestamp:
    """Convert a kernel timestamp into the clock's time base (hardware: as-is)."""
    if source == "hardware":
        return PacketTimestamp(raw_ns, raw_ns, source)
    return PacketTimestamp(clock.from_system_ns(raw_ns), raw_ns, source)
