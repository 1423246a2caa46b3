# SPDX-License-Identifier: GPL-2.0-or-later
"""Integer UTC nanoseconds <-> NTP timestamp and short formats (RFC 5905 section 6).

The NTP 64-bit timestamp is 32 bits of seconds since 1900-01-01 00:00 UTC
and 32 bits of binary fraction (one unit is 2**-32 s, about 0.233 ns). The
seconds field wraps every 2**32 s (an era; era 1 starts 2036-02-07
06:28:16 UTC), so the wire value alone does not say which era it is in:
decoding takes the era explicitly, or a pivot time and picks the era that
puts the result nearest to it (within 68 years either side).

Rounding, both ways, is to the nearest unit with halves rounded up:

* ns -> NTP: fraction = round(ns_in_second * 2**32 / 10**9). A unit is less
  than a nanosecond, so the result is within 0.5 unit (0.117 ns) of exact
  and never reaches 2**32 for an integer ns below 10**9 (999 999 999 ns
  gives 4 294 967 292).
* NTP -> ns: ns = round(fraction * 10**9 / 2**32). This is within 0.5 ns.
* Hence NTP(ns) -> ns is the identity for every integer ns (0.117 < 0.5),
  while ns(NTP) -> NTP may differ from the original by up to 2 units
  because many fractions share one nanosecond.

The short format (root delay, root dispersion) is unsigned 16.16 seconds.
Error bounds must never be understated, so ns -> short rounds up (ceiling)
and saturates at 0xFFFFFFFF; negative inputs clamp to 0. short -> ns rounds
to nearest.
"""

from __future__ import annotations

from typing import Final

# NS_PER_S is re-exported for core/ntp/state.py and core/ntp_client/tuning.py.
from ptpbridge.timebase import NS_PER_S
from ptpbridge.wire.ntp.constants import NTP_ERA_SECONDS, NTP_UNIX_EPOCH_OFFSET_S

_EPOCH_OFFSET_NS: Final = NTP_UNIX_EPOCH_OFFSET_S * NS_PER_S
_ERA_NS: Final = NTP_ERA_SECONDS * NS_PER_S
_HALF_FRAC: Final = 1 << 31
_SHORT_MAX: Final = 0xFFFF_FFFF
_U64_MAX: Final = (1 << 64) - 1


def utc_ns_to_ntp_era(utc_ns: int) -> tuple[int, int]:
    """Split a UTC time into (era, 64-bit wire timestamp); eras below 0 precede 1900."""
    sec, ns = divmod(utc_ns + _EPOCH_OFFSET_NS, NS_PER_S)
    frac = ((ns << 32) + NS_PER_S // 2) // NS_PER_S
    era, sec_in_era = divmod(sec, NTP_ERA_SECONDS)
    return era, (sec_in_era << 32) | frac


def utc_ns_to_ntp64(utc_ns: int) -> int:
    """The 64-bit wire timestamp for a UTC time (era dropped, as on the wire)."""
    sec, ns = divmod(utc_ns + _EPOCH_OFFSET_NS, NS_PER_S)
    frac = ((ns << 32) + NS_PER_S // 2) // NS_PER_S
    return ((sec % NTP_ERA_SECONDS) << 32) | frac


def ntp64_to_utc_ns_in_era(ntp64: int, era: int) -> int:
    """UTC ns of a wire timestamp known to lie in `era`."""
    if not 0 <= ntp64 <= _U64_MAX:
        raise ValueError(f"NTP timestamp out of 64-bit range: {ntp64}")
    sec = ntp64 >> 32
    frac_ns = ((ntp64 & 0xFFFF_FFFF) * NS_PER_S + _HALF_FRAC) >> 32
    return (era * NTP_ERA_SECONDS + sec) * NS_PER_S + frac_ns - _EPOCH_OFFSET_NS


def ntp64_to_utc_ns(ntp64: int, pivot_utc_ns: int) -> int:
    """UTC ns of a wire timestamp, in the era that puts it nearest to `pivot_utc_ns`.

    Use the receive time of the packet as the pivot: any sane timestamp in
    it is within 68 years of that.
    """
    in_era0 = ntp64_to_utc_ns_in_era(ntp64, 0)
    era = (pivot_utc_ns - in_era0 + _ERA_NS // 2) // _ERA_NS
    return in_era0 + era * _ERA_NS


def ns_to_ntp_short(ns: int) -> int:
    """A non-negative interval in ns as NTP short format, rounded up and saturated."""
    if ns <= 0:
        return 0
    units = -((-ns << 16) // NS_PER_S)
    return units if units < _SHORT_MAX else _SHORT_MAX


def ntp_short_to_ns(short: int) -> int:
    """NTP short format to ns, rounded to nearest."""
    if not 0 <= short <= _SHORT_MAX:
        raise ValueError(f"NTP short value out of 32-bit range: {short}")
    return (short * NS_PER_S + (1 << 15)) >> 16
