# SPDX-License-Identifier: GPL-2.0-or-later
"""UTC ns <-> NTP timestamp/short conversions: exactness, rounding and eras."""

from __future__ import annotations

import calendar

from hypothesis import given
from hypothesis import strategies as st

from ptpbridge.wire.ntp.timestamps import (
    ns_to_ntp_short,
    ntp64_to_utc_ns,
    ntp64_to_utc_ns_in_era,
    ntp_short_to_ns,
    utc_ns_to_ntp64,
    utc_ns_to_ntp_era,
)

NS = 1_000_000_000
# Era 1 starts at NTP second 2**32: 2036-02-07 06:28:16 UTC (RFC 5905 figure 4).
ERA1_START_UNIX = calendar.timegm((2036, 2, 7, 6, 28, 16, 0, 0, 0))
UNIX_EPOCH_NTP = calendar.timegm((1970, 1, 1, 0, 0, 0, 0, 0, 0)) - calendar.timegm((1900, 1, 1, 0, 0, 0, 0, 0, 0))

# A span of UTC ns from before 1900 to past 2200 (eras -1 .. 2).
utc_ns = st.integers(min_value=-100 * 365 * 86400 * NS, max_value=250 * 365 * 86400 * NS)


def test_epoch_offset_is_calendar_difference() -> None:
    assert UNIX_EPOCH_NTP == 2_208_988_800
    assert utc_ns_to_ntp64(0) == 2_208_988_800 << 32


def test_era_boundary() -> None:
    start = ERA1_START_UNIX * NS
    assert utc_ns_to_ntp_era(start - 1) == (0, (0xFFFF_FFFF << 32) | 0xFFFF_FFFC)
    assert utc_ns_to_ntp_era(start) == (1, 0)
    assert utc_ns_to_ntp_era(start + 1) == (1, 4)  # 1 ns = 4.29 units -> 4
    # The wire value alone is ambiguous; the pivot picks the era.
    assert ntp64_to_utc_ns(0, pivot_utc_ns=start + 10 * NS) == start
    # From 1970, 2036 (66 years on) is nearer than 1900 (70 years back).
    assert ntp64_to_utc_ns(0, pivot_utc_ns=0) == start
    assert ntp64_to_utc_ns(0, pivot_utc_ns=-20 * 365 * 86400 * NS) == start - (1 << 32) * NS
    wire = utc_ns_to_ntp64(start - 1)
    assert ntp64_to_utc_ns(wire, pivot_utc_ns=start + 5 * NS) == start - 1
    assert ntp64_to_utc_ns(utc_ns_to_ntp64(start + 1), pivot_utc_ns=start - 5 * NS) == start + 1
    # Half an era from the pivot is the limit of the rule.
    assert ntp64_to_utc_ns_in_era(4, 1) == start + 1


def test_fraction_rounding_both_ways() -> None:
    # 0.5 s is exactly 2**31 units.
    assert utc_ns_to_ntp64(500_000_000) & 0xFFFF_FFFF == 1 << 31
    # Largest ns in a second stays below a carry into the seconds field.
    assert utc_ns_to_ntp64(999_999_999) & 0xFFFF_FFFF == 4_294_967_292
    # Unit 1 (0.233 ns) decodes to 0 ns, unit 3 (0.698 ns) to 1 ns.
    base = 2_208_988_800 << 32
    assert ntp64_to_utc_ns(base | 1, 0) == 0
    assert ntp64_to_utc_ns(base | 3, 0) == 1
    assert ntp64_to_utc_ns(base | 0xFFFF_FFFF, 0) == NS  # rounds up into the next second


@given(utc_ns)
def test_ns_roundtrip_is_exact(t: int) -> None:
    era, wire = utc_ns_to_ntp_era(t)
    assert wire == utc_ns_to_ntp64(t)
    assert ntp64_to_utc_ns_in_era(wire, era) == t
    assert ntp64_to_utc_ns(wire, pivot_utc_ns=t + (40 * 365 * 86400 * NS)) == t


@given(st.integers(min_value=0, max_value=(1 << 64) - 1))
def test_ntp_roundtrip_within_two_units(wire: int) -> None:
    t = ntp64_to_utc_ns_in_era(wire, 0)
    back = utc_ns_to_ntp64(t)
    diff = (back - wire) % (1 << 64)
    assert min(diff, (1 << 64) - diff) <= 2


@given(st.integers(min_value=0, max_value=70_000 * NS))
def test_short_format_never_understates(ns: int) -> None:
    short = ns_to_ntp_short(ns)
    if short < 0xFFFF_FFFF:
        assert short * NS >= ns << 16 > (short - 1) * NS
        assert abs(ntp_short_to_ns(short) - ns) <= 15_259  # one unit is 15.26 us
    else:
        assert ns << 16 >= 0xFFFF_FFFF * NS


def test_short_format_edges() -> None:
    assert ns_to_ntp_short(-5) == 0
    assert ns_to_ntp_short(0) == 0
    assert ns_to_ntp_short(1) == 1
    assert ns_to_ntp_short(NS) == 0x0001_0000
    assert ntp_short_to_ns(0x0001_8000) == 1_500_000_000
    assert ns_to_ntp_short(10**15) == 0xFFFF_FFFF
