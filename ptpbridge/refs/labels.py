# SPDX-License-Identifier: GPL-2.0-or-later
"""Time labels: the UTC second a receiver says a pulse marks, whatever message said it.

RMC, ZDA and gpsd's TPV/TOFF all end up as one TimeLabel, so the GNSS
combiner pairs pulses with labels without knowing where they came from.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ptpbridge.refs.civil import utc_seconds
from ptpbridge.refs.nmea import CivilDate, Rmc, TimeOfDay, Zda


@dataclass(frozen=True, slots=True)
class TimeLabel:
    """A whole UTC second named by the receiver.

    ``utc_s`` is its POSIX second; the inserted 23:59:60 has no POSIX number
    of its own, so it carries that of 23:59:59 with ``leap_second`` set.
    ``valid`` is the receiver's own verdict; None when the message has none.
    """

    utc_s: int
    leap_second: bool
    valid: bool | None
    source: str


class Unlabelled(enum.Enum):
    """Why a time message could not name a second (counted by the combiner)."""

    NO_TIME = "no_time"  # time or date field empty: the receiver does not know yet
    OFF_SECOND = "off_second"  # a fractional time: not the top of a second


def label_at(date: CivilDate | None, time: TimeOfDay | None, valid: bool | None,
             source: str) -> TimeLabel | Unlabelled:
    """The label for a calendar date and time of day, or why there is none."""
    if date is None or time is None:
        return Unlabelled.NO_TIME
    if time.nanosecond:
        return Unlabelled.OFF_SECOND
    leap = time.second == 60
    utc_s = utc_seconds(date.year, date.month, date.day, time.hour, time.minute,
                        59 if leap else time.second)
    return TimeLabel(utc_s, leap, valid, source)


def label_from_rmc(rmc: Rmc) -> TimeLabel | Unlabelled:
    return label_at(rmc.date, rmc.time, rmc.fix_valid, f"{rmc.talker}RMC")


def label_from_zda(zda: Zda) -> TimeLabel | Unlabelled:
    return label_at(zda.date, zda.time, None, f"{zda.talker}ZDA")
