"""The one owner of the TAI/UTC relation.

PTP runs on TAI, NTP and CLOCK_REALTIME on UTC. Every conversion between the
two goes through a `Timebase`, so the UTC offset and the leap-second state
have exactly one home (the leap service, ptpbridge.daemon.leap, updates it
from a leap second file).

Around a leap second the two protocols count differently, and both rules
live here so that no caller has to know them:

* PTP (IEEE 1588): the timescale is TAI and never steps; currentUtcOffset
  changes, and leap61/leap59 drop, at the first instant of the new UTC day
  (00:00:00 after 23:59:60 for an insert, after 23:59:58 for a delete).
* NTP and POSIX have no number for 23:59:60. Like the Linux kernel (and so
  ntpd and chronyd in their default leap mode), UTC = TAI - offset steps back
  one second at the *start* of an inserted 23:59:60, so 23:59:59 is served
  twice, the leap indicator still up; a deleted second is skipped, 23:59:58
  being followed by 00:00:00. UTC therefore changes one second before
  currentUtcOffset does for an insert, at the same instant for a delete.

A smear (spreading the second over hours, as some public NTP services do) is
out of scope: the project serves true UTC and TAI, and a smeared NTP server
must never feed a PTP domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

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


@dataclass(frozen=True, slots=True)
class PendingLeap:
    """An announced leap: TAI - UTC becomes ``new_offset_s`` at TAI instant ``tai_ns``.

    ``tai_ns`` is the PTP instant (the new UTC day's first second); the NTP
    step comes ``max(0, new - old)`` seconds earlier (see the module docstring).
    """

    tai_ns: int
    new_offset_s: int
    kind: LeapState


@dataclass
class Timebase:
    """Current UTC offset and pending leap second, shared by PTP and NTP.

    ``pending`` makes every conversion exact at the leap instant, whenever the
    leap service next runs. ``kernel_offset_s`` pins TAI - CLOCK_REALTIME for
    a lab that simulates a leap the kernel never sees (None: the kernel
    follows UTC, so it is the UTC offset).
    """

    utc_offset_s: int = DEFAULT_UTC_OFFSET_S
    utc_offset_valid: bool = True
    leap: LeapState = LeapState.NONE
    pending: PendingLeap | None = None
    kernel_offset_s: int | None = None

    @property
    def utc_offset_ns(self) -> int:
        return self.utc_offset_s * NS_PER_S

    @property
    def system_offset_ns(self) -> int:
        """TAI - CLOCK_REALTIME: the UTC offset, unless a lab leap pinned it."""
        offset = self.utc_offset_s if self.kernel_offset_s is None else self.kernel_offset_s
        return offset * NS_PER_S

    # -- the NTP/POSIX rule -------------------------------------------------

    def utc_step_tai_ns(self) -> int | None:
        """TAI instant at which UTC = TAI - offset steps for the pending leap (None: no leap)."""
        pending = self.pending
        if pending is None:
            return None
        return pending.tai_ns - max(0, pending.new_offset_s - self.utc_offset_s) * NS_PER_S

    def tai_to_utc_ns(self, tai_ns: int) -> int:
        step = self.utc_step_tai_ns()
        if step is not None and tai_ns >= step:
            assert self.pending is not None
            return tai_ns - self.pending.new_offset_s * NS_PER_S
        return tai_ns - self.utc_offset_ns

    def utc_to_tai_ns(self, utc_ns: int) -> int:
        """The inverse; a repeated 23:59:59 maps to its first occurrence."""
        pending = self.pending
        if pending is not None and utc_ns >= pending.tai_ns - pending.new_offset_s * NS_PER_S:
            return utc_ns + pending.new_offset_s * NS_PER_S
        return utc_ns + self.utc_offset_ns

    def to_tai_ns(self, reading_ns: int, scale: Timescale) -> int:
        return reading_ns if scale is Timescale.TAI else self.utc_to_tai_ns(reading_ns)

    def to_utc_ns(self, reading_ns: int, scale: Timescale) -> int:
        return reading_ns if scale is Timescale.UTC else self.tai_to_utc_ns(reading_ns)

    def to_system_ns(self, reading_ns: int, scale: Timescale) -> int:
        """A reading on CLOCK_REALTIME's scale (the UTC rule, or the lab's pinned offset)."""
        if self.kernel_offset_s is None or scale is Timescale.UTC:
            return self.to_utc_ns(reading_ns, scale)
        return reading_ns - self.kernel_offset_s * NS_PER_S

    # -- the PTP rule -------------------------------------------------------

    def ptp_state_at(self, tai_ns: int) -> tuple[int, LeapState]:
        """currentUtcOffset and the leap flag a grandmaster announces at a TAI instant."""
        pending = self.pending
        if pending is not None and tai_ns >= pending.tai_ns:
            return pending.new_offset_s, LeapState.NONE
        return self.utc_offset_s, self.leap

    # -- the NTP workers' copy ------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        pending = self.pending
        return {
            "utc_offset_s": self.utc_offset_s, "utc_offset_valid": self.utc_offset_valid,
            "leap": self.leap.value, "kernel_offset_s": self.kernel_offset_s,
            "pending": None if pending is None else
            {"tai_ns": pending.tai_ns, "new_offset_s": pending.new_offset_s, "kind": pending.kind.value},
        }

    def update_from_json(self, data: dict[str, Any]) -> None:
        """Take over another process's state (the inverse of to_json); KeyError/ValueError if malformed."""
        pending = data["pending"]
        self.utc_offset_s = int(data["utc_offset_s"])
        self.utc_offset_valid = bool(data["utc_offset_valid"])
        self.leap = LeapState(data["leap"])
        kernel = data["kernel_offset_s"]
        self.kernel_offset_s = None if kernel is None else int(kernel)
        self.pending = None if pending is None else PendingLeap(
            int(pending["tai_ns"]), int(pending["new_offset_s"]), LeapState(pending["kind"]))
