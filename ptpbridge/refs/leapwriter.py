# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes a valid, hashed leap-seconds.list, for labs and tests that need a leap on a chosen day.

Real files come from IERS; a lab that wants a leap second next midnight
writes its own, and the daemon must accept it exactly as it would the real
one (same parser, same hash check), so the writer shares the hash rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from ptpbridge.refs.civil import SECONDS_PER_DAY, format_utc, utc_ns_to_ntp
from ptpbridge.refs.leapfile import hash_words
from ptpbridge.timebase import NS_PER_S


def _ntp(utc_ns: int, what: str) -> int:
    if utc_ns % NS_PER_S:
        raise ValueError(f"{what} {utc_ns} ns is not a whole second")
    return utc_ns_to_ntp(utc_ns)


def format_leap_seconds_list(entries: Sequence[tuple[int, int]], updated_utc_ns: int,
                             expires_utc_ns: int) -> str:
    """File text for ``entries`` of (POSIX ns the offset starts, TAI - UTC s), each at midnight."""
    update, expiry = _ntp(updated_utc_ns, "update"), _ntp(expires_utc_ns, "expiry")
    lines = ["#\tleap-seconds.list written by ptpbridge (not an IERS file)",
             f"#$\t{update}", f"#@\t{expiry}", "#"]
    parts = [str(update), str(expiry)]
    for utc_ns, offset in entries:
        seconds = _ntp(utc_ns, "entry")
        if seconds % SECONDS_PER_DAY:
            raise ValueError(f"entry {format_utc(utc_ns)} is not a UTC midnight")
        lines.append(f"{seconds}\t{offset}\t# {format_utc(utc_ns)[:10]}")
        parts += (str(seconds), str(offset))
    lines += ["#", "#h\t" + " ".join(f"{word:08x}" for word in hash_words(parts))]
    return "\n".join(lines) + "\n"
