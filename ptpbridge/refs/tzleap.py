# SPDX-License-Identifier: GPL-2.0-or-later
"""Reader for tzdata's ``leapseconds`` file, the fallback when no leap-seconds.list exists.

The tz build derives ``leapseconds`` from the IERS list, so it carries no hash
of its own; its lines say "Leap YEAR MON DAY 23:59:60 + S" for an inserted
second (23:59:59 and "-" for a deleted one), and its expiry is an ``Expires``
line or a ``#expires <POSIX seconds>`` comment.  TAI - UTC was 10 s when UTC
took its present form on 1972-01-01 (the first line of the IERS list), and
every line moves it by one second at the following midnight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ptpbridge.refs.civil import SECONDS_PER_DAY, utc_seconds
from ptpbridge.refs.errors import LeapFileError
from ptpbridge.timebase import NS_PER_S

# TAI - UTC from 1972-01-01 00:00:00 UTC (IERS leap-seconds.list, first entry).
UTC_1972_OFFSET_S = 10
UTC_1972_S = 63_072_000  # 1972-01-01T00:00:00Z in POSIX seconds

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2}):([0-9]{2})")
_NUMBER = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True, slots=True)
class TzLeapData:
    """What the file says: (POSIX ns from which the offset holds, TAI - UTC, line)."""

    entries: tuple[tuple[int, int, int | None], ...]
    expires_utc_ns: int
    expires_line: int
    updated_utc_ns: int | None


def _month(token: str, path: str, line: int) -> int:
    word = token.lower()
    for number, name in enumerate(_MONTHS, start=1):
        if len(word) >= 3 and word.startswith(name):
            return number
    raise LeapFileError(path, line, "malformed line", f"{token!r} is not a month name")


def _date_seconds(fields: list[str], path: str, line: int) -> tuple[int, int, int, int]:
    """POSIX second of midnight starting the named day, and the H, M, S of the time field."""
    year, month, day, clock = fields
    if not (_NUMBER.fullmatch(year) and _NUMBER.fullmatch(day)):
        raise LeapFileError(path, line, "malformed line", "year and day must be numbers")
    match = _TIME.fullmatch(clock)
    if match is None:
        raise LeapFileError(path, line, "malformed line", f"{clock!r} is not HH:MM:SS")
    try:
        midnight = utc_seconds(int(year), _month(month, path, line), int(day))
    except (ValueError, OverflowError) as exc:
        raise LeapFileError(path, line, "malformed line", str(exc)) from None
    hour, minute, second = (int(g) for g in match.groups())
    return midnight, hour, minute, second


def parse_tz_leapseconds(text: str, path: str) -> TzLeapData:
    """Parse the whole file; LeapFileError names the line and what is wrong with it."""
    entries: list[tuple[int, int, int | None]] = [(UTC_1972_S * NS_PER_S, UTC_1972_OFFSET_S, None)]
    expires: tuple[int, int] | None = None
    comment_expires: tuple[int, int] | None = None
    updated: int | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        lowered = stripped.lower()
        if lowered.startswith(("#expires", "#updated")):
            words = stripped.split()
            if len(words) < 2 or not _NUMBER.fullmatch(words[1]):
                raise LeapFileError(path, number, "malformed line", "expected POSIX seconds")
            if lowered.startswith("#expires"):
                comment_expires = (int(words[1]) * NS_PER_S, number)
            else:
                updated = int(words[1]) * NS_PER_S
            continue
        body = raw.split("#", 1)[0].split()
        if not body:
            continue
        keyword = body[0].lower()
        if keyword == "expires":
            if len(body) != 5:
                raise LeapFileError(path, number, "malformed line", "Expires YEAR MON DAY HH:MM:SS")
            midnight, hour, minute, second = _date_seconds(body[1:5], path, number)
            if hour > 23 or minute > 59 or second > 59:
                raise LeapFileError(path, number, "malformed line", "expiry time out of range")
            expires = ((midnight + hour * 3600 + minute * 60 + second) * NS_PER_S, number)
            continue
        if keyword != "leap" or len(body) != 7:
            raise LeapFileError(path, number, "malformed line",
                                "expected 'Leap YEAR MON DAY HH:MM:SS +|- S'")
        midnight, hour, minute, second = _date_seconds(body[1:5], path, number)
        correction, rolling = body[5], body[6].upper()
        if rolling != "S":
            raise LeapFileError(path, number, "malformed line",
                                "only stationary (S) leap seconds are meaningful in UTC")
        expected = {"+": (23, 59, 60), "-": (23, 59, 59)}.get(correction)
        if expected is None or (hour, minute, second) != expected:
            raise LeapFileError(path, number, "malformed line",
                                "a leap is '23:59:60 +' or '23:59:59 -' at the end of a UTC day")
        event_ns = (midnight + SECONDS_PER_DAY) * NS_PER_S
        previous_ns, previous_offset, _ = entries[-1]
        if event_ns <= previous_ns:
            raise LeapFileError(path, number, "malformed line", "leap seconds out of order")
        entries.append((event_ns, previous_offset + (1 if correction == "+" else -1), number))
    chosen = expires or comment_expires
    if chosen is None:
        raise LeapFileError(path, None, "malformed file", "no Expires line or #expires comment")
    return TzLeapData(tuple(entries), chosen[0], chosen[1], updated)
