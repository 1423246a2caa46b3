# SPDX-License-Identifier: GPL-2.0-or-later
"""What PTP and NTP announce about leap seconds at a given instant.

Rule: the leap flags (PTP leap61/leap59, NTP leap indicator 1/2) are set
during the last 12 hours before the leap, i.e. from 12:00:00 UTC of the
day whose last minute has 61 (or 59) seconds, and cleared when the new
offset takes effect; currentUtcOffset changes at that same instant.

Why 12 hours:
- IEEE 1588 defines leap61/leap59 as "the last minute of the current UTC
  day" has 61/59 s, so the flags may only be up on that day.
- linuxptp (util.c, leap_second_status) expects the bits "at most 12
  hours before midnight" and treats bits seen before 06:00 UTC as a late
  leftover of the previous leap, so a grandmaster raising them at 00:00 of
  the leap day would be ignored for the first six hours.
- RFC 5905 (section 7.3) lets LI warn of a leap "in the last minute of the
  current month", but the kernel's STA_INS/STA_DEL, which ntpd and chrony
  drive, act at the end of the current day, and chrony heeds LI only on
  the last day of June or December; 12 hours lies inside every reading.
One window for both protocols means a PTP slave and an NTP client of the
same grandmaster never disagree.  The window is configurable (up to one
day: beyond that the flags would name the wrong midnight).
"""

from __future__ import annotations

from dataclasses import dataclass

from ptpbridge.refs.civil import SECONDS_PER_DAY
from ptpbridge.refs.leapfile import LeapEvent, LeapTable
from ptpbridge.timebase import NS_PER_S, LeapState, PendingLeap, Timebase

DEFAULT_WINDOW_NS = 12 * 3600 * NS_PER_S
MAX_WINDOW_NS = SECONDS_PER_DAY * NS_PER_S


@dataclass(frozen=True, slots=True)
class LeapAnnouncement:
    """The leap state at one instant: offset in force, flag to announce, next event.

    ``next_event`` is the next leap the file knows, announced or not yet;
    ``expired`` says the file can no longer vouch that no leap is coming.
    """

    utc_offset_s: int
    leap: LeapState
    next_event: LeapEvent | None
    expired: bool

    @property
    def leap61(self) -> bool:
        return self.leap is LeapState.INSERT

    @property
    def leap59(self) -> bool:
        return self.leap is LeapState.DELETE

    def apply(self, timebase: Timebase) -> None:
        """Hand offset, flag and the announced leap to the Timebase, the one owner of the TAI/UTC relation.

        The leap goes along while it is announced, so the Timebase switches
        offsets at the exact instant, however late the next apply comes.
        """
        event = self.next_event
        timebase.utc_offset_s = self.utc_offset_s
        timebase.utc_offset_valid = True
        timebase.leap = self.leap
        timebase.pending = None if event is None or self.leap is LeapState.NONE else PendingLeap(
            event.utc_ns + event.new_offset_s * NS_PER_S, event.new_offset_s, event.kind)


def _check_window(window_ns: int) -> None:
    if not 0 < window_ns <= MAX_WINDOW_NS:
        raise ValueError(f"leap announcement window {window_ns} ns must be within (0, 1 day]")


def announcement_at_tai(table: LeapTable, tai_ns: int,
                        window_ns: int = DEFAULT_WINDOW_NS) -> LeapAnnouncement:
    """The state at a TAI instant (a PHC's own time): exact through 23:59:60.

    The flag stays up during an inserted second and drops when the new offset
    starts, as a PTP grandmaster must show it.
    """
    _check_window(window_ns)
    offset = table.utc_offset_at_tai(tai_ns)
    event = table.next_leap_after_tai(tai_ns)
    leap = LeapState.NONE
    # The window opens at (leap midnight - window) UTC, while the old offset holds.
    if event is not None and event.utc_ns - window_ns + offset * NS_PER_S <= tai_ns:
        leap = event.kind
    return LeapAnnouncement(offset, leap, event, table.expired(tai_ns - offset * NS_PER_S))


def announcement_at(table: LeapTable, utc_ns: int,
                    window_ns: int = DEFAULT_WINDOW_NS) -> LeapAnnouncement:
    """The state at a POSIX (UTC) instant: flags from ``window_ns`` before the leap's midnight.

    POSIX time has no 23:59:60, so from the leap's midnight on this reports
    the new offset with the flag down; use announcement_at_tai on a TAI clock.
    """
    _check_window(window_ns)
    offset = table.utc_offset_at(utc_ns)
    event = table.next_leap_after(utc_ns)
    leap = LeapState.NONE
    if event is not None and event.utc_ns - window_ns <= utc_ns:
        leap = event.kind
    return LeapAnnouncement(offset, leap, event, table.expired(utc_ns))
