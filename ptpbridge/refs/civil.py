# SPDX-License-Identifier: GPL-2.0-or-later
"""UTC calendar arithmetic in integer seconds and nanoseconds.

Receivers and leap files name instants by calendar fields or by NTP era-0
seconds; everything else in the project counts POSIX nanoseconds (UTC, no
leap seconds counted).  This is the one place that converts between them,
with the standard library's proleptic Gregorian ordinals so no calendar
formula of ours can be wrong.
"""

from __future__ import annotations

import datetime

from ptpbridge.timebase import NS_PER_S

SECONDS_PER_DAY = 86_400
# 1900-01-01 to 1970-01-01: 70 years of 365 days plus 17 leap days (RFC 5905, section 6).
NTP_UNIX_OFFSET_S = 2_208_988_800

_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()


def days_since_epoch(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to the date; ValueError for a date that does not exist."""
    return datetime.date(year, month, day).toordinal() - _EPOCH_ORDINAL


def utc_seconds(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
                second: int = 0) -> int:
    """POSIX seconds of a UTC calendar time (second 0..59; a leap second 60 is the caller's)."""
    if not (0 <= hour < 24 and 0 <= minute < 60 and 0 <= second < 60):
        raise ValueError(f"time of day {hour:02d}:{minute:02d}:{second:02d} out of range")
    return (days_since_epoch(year, month, day) * SECONDS_PER_DAY
            + hour * 3600 + minute * 60 + second)


def civil_date(utc_s: int) -> tuple[int, int, int]:
    """(year, month, day) of the UTC day holding POSIX second ``utc_s``."""
    date = datetime.date.fromordinal(_EPOCH_ORDINAL + utc_s // SECONDS_PER_DAY)
    return date.year, date.month, date.day


def ntp_to_utc_ns(ntp_seconds: int) -> int:
    """POSIX ns of an NTP era-0 second count (seconds since 1900-01-01 00:00 UTC)."""
    return (ntp_seconds - NTP_UNIX_OFFSET_S) * NS_PER_S


def utc_ns_to_ntp(utc_ns: int) -> int:
    """NTP era-0 seconds of a POSIX instant (whole seconds, rounded down)."""
    return utc_ns // NS_PER_S + NTP_UNIX_OFFSET_S


def format_utc(utc_ns: int) -> str:
    """ISO 8601 text for messages ("2017-01-01T00:00:00Z"), whole seconds.

    Instants outside the years 1..9999 come back as plain POSIX seconds, so
    an error message about an absurd date never fails itself.
    """
    seconds = utc_ns // NS_PER_S
    try:
        year, month, day = civil_date(seconds)
    except (ValueError, OverflowError):
        return f"{seconds} s after 1970-01-01"
    rest = seconds % SECONDS_PER_DAY
    return (f"{year:04d}-{month:02d}-{day:02d}T"
            f"{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}Z")
