"""The one owner of the TAI/UTC relation.

PTP runs on TAI, NTP and CLOCK_REALTIME on UTC. Every conversion between the
two goes through a `Timebase`, so the UTC offset and the leap-second state
have exactly one home (a later reference layer updates it from a leap file).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

NS_PER_S = 1_000_000_000

# TAI - UTC since 2017-01-01 (IERS Bulletin C); the default until a leap
# second file or an upstream reference says otherwise.
DEFAULT_UTC_OFFSET_S = 37


class Timescale(Enum):
    """What a clock's readings count: PHCs run on TAI, the system clock on UTC."""

    TAI = "tai"
    UTC = "utc"


class LeapState(Enum):
    NONE = "none"
    INSERT = "insert"  # leap61: the last minute of the UTC day has 61 s
    DELETE = "delete"  # leap59: the last minute of the UTC day has 59 s


@dataclass
class Timebase:
    """Current UTC offset and pending leap second, shared by PTP and NTP."""

    utc_offset_s: int = DEFAULT_UTC_OFFSET_S
    utc_offset_valid: bool = True
    leap: LeapState = LeapState.NONE

    @property
    def utc_offset_ns(self) -> int:
        return self.utc_offset_s * NS_PER_S

    def tai_to_utc_ns(self, tai_ns: int) -> int:
        return tai_ns - self.utc_offset_ns

    def utc_to_tai_ns(self, utc_ns: int) -> int:
        return utc_ns + self.utc_offset_ns

    def to_tai_ns(self, reading_ns: int, scale: Timescale) -> int:
        return reading_ns if scale is Timescale.TAI else self.utc_to_tai_ns(reading_ns)

    def to_utc_ns(self, reading_ns: int, scale: Timescale) -> int:
        return reading_ns if scale is Timescale.UTC else self.tai_to_utc_ns(reading_ns)
