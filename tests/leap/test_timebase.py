# SPDX-License-Identifier: GPL-2.0-or-later
"""The Timebase around a leap: PTP switches at the new day, NTP repeats 23:59:59 (insert) or skips it.

Instants are built from a real leap (2016-12-31, TAI - UTC 36 -> 37) so
the arithmetic is the one IERS published, not one we made up.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ptpbridge.core.ptp import TimePropertiesDS
from ptpbridge.refs.civil import utc_seconds
from ptpbridge.refs.leapfile import LeapEntry, LeapTable
from ptpbridge.refs.leapwindow import announcement_at_tai
from ptpbridge.timebase import NS_PER_S, LeapState, PendingLeap, Timebase, Timescale

S = NS_PER_S
MIDNIGHT = utc_seconds(2017, 1, 1) * S  # the first instant with TAI - UTC = 37


def inserting() -> Timebase:
    """36 s in force, an insert announced: TAI 37 s past midnight opens the new day."""
    return Timebase(36, leap=LeapState.INSERT, pending=PendingLeap(MIDNIGHT + 37 * S, 37, LeapState.INSERT))


def deleting() -> Timebase:
    return Timebase(37, leap=LeapState.DELETE, pending=PendingLeap(MIDNIGHT + 36 * S, 36, LeapState.DELETE))


def test_insert_ntp_repeats_23_59_59_and_ptp_switches_at_midnight() -> None:
    tb = inserting()
    # 23:59:59.5 first time (TAI = UTC + 36).
    first = MIDNIGHT - S // 2 + 36 * S
    assert tb.tai_to_utc_ns(first) == MIDNIGHT - S // 2
    assert tb.ptp_state_at(first) == (36, LeapState.INSERT)
    # 23:59:60.5: NTP serves 23:59:59.5 again; PTP still 36 with leap61 up.
    inserted = first + S
    assert tb.tai_to_utc_ns(inserted) == MIDNIGHT - S // 2
    assert tb.ptp_state_at(inserted) == (36, LeapState.INSERT)
    # 00:00:00 exactly: PTP 37, flag down; NTP continues from midnight.
    new_day = MIDNIGHT + 37 * S
    assert tb.tai_to_utc_ns(new_day) == MIDNIGHT
    assert tb.ptp_state_at(new_day) == (37, LeapState.NONE)
    assert tb.ptp_state_at(new_day - 1) == (36, LeapState.INSERT)
    # The NTP step is at the start of 23:59:60, one nanosecond apart.
    step = MIDNIGHT + 36 * S
    assert tb.utc_step_tai_ns() == step
    assert tb.tai_to_utc_ns(step - 1) - tb.tai_to_utc_ns(step) == S - 1


def test_delete_skips_23_59_59_at_the_ptp_instant() -> None:
    tb = deleting()
    switch = MIDNIGHT + 36 * S
    assert tb.utc_step_tai_ns() == switch
    assert tb.tai_to_utc_ns(switch - 1) == MIDNIGHT - S - 1  # 23:59:58.999999999
    assert tb.tai_to_utc_ns(switch) == MIDNIGHT
    assert tb.ptp_state_at(switch - 1) == (37, LeapState.DELETE)
    assert tb.ptp_state_at(switch) == (36, LeapState.NONE)


@pytest.mark.parametrize("make", [inserting, deleting])
def test_utc_to_tai_inverts_outside_the_ambiguous_second(make: Callable[[], Timebase]) -> None:
    tb = make()
    for utc in (MIDNIGHT - 10 * S, MIDNIGHT - 2 * S, MIDNIGHT, MIDNIGHT + 5 * S + 123):
        assert tb.tai_to_utc_ns(tb.utc_to_tai_ns(utc)) == utc
        assert tb.to_utc_ns(tb.to_tai_ns(utc, Timescale.UTC), Timescale.TAI) == utc


def test_the_tai_clock_never_steps_while_ntp_repeats_a_second() -> None:
    """Sweep the leap in 100 ms steps: TAI readings are untouched; UTC goes back once, by 1 s."""
    tb = inserting()
    tai = [MIDNIGHT + 30 * S + k * S // 10 for k in range(120)]
    utc = [tb.tai_to_utc_ns(t) for t in tai]
    jumps = [b - a for a, b in zip(utc, utc[1:], strict=False) if b - a != S // 10]
    assert jumps == [S // 10 - S]


def test_no_pending_leap_is_the_plain_offset() -> None:
    tb = Timebase(37)
    assert tb.utc_step_tai_ns() is None
    assert tb.tai_to_utc_ns(100 * S) == 63 * S and tb.utc_to_tai_ns(63 * S) == 100 * S
    assert tb.ptp_state_at(0) == (37, LeapState.NONE)


def test_a_pinned_kernel_offset_keeps_the_system_relation() -> None:
    tb = Timebase(38, kernel_offset_s=37)
    assert tb.system_offset_ns == 37 * S
    assert tb.to_system_ns(100 * S, Timescale.TAI) == 63 * S
    assert tb.to_utc_ns(100 * S, Timescale.TAI) == 62 * S
    assert Timebase(38).to_system_ns(100 * S, Timescale.TAI) == 62 * S


def test_json_round_trip_for_the_ntp_workers() -> None:
    for tb in (inserting(), deleting(), Timebase(37, kernel_offset_s=37), Timebase(40, utc_offset_valid=False)):
        copy = Timebase(0)
        copy.update_from_json(tb.to_json())
        assert copy == tb


def test_time_properties_follow_the_timebase_exactly() -> None:
    tb = inserting()
    ds = TimePropertiesDS.from_timebase(tb, time_source=0xA0)
    assert ds.leap61 and ds.current_utc_offset == 36 and ds.current_utc_offset_valid
    assert ds.at_instant(tb, MIDNIGHT + 37 * S - 1) is ds  # unchanged: the same object
    after = ds.at_instant(tb, MIDNIGHT + 37 * S)
    assert (after.current_utc_offset, after.leap61, after.leap59) == (37, False, False)
    assert after.time_source == 0xA0  # everything else kept


def test_announcement_hands_the_leap_to_the_timebase() -> None:
    """From the table: window, pending leap, then the new offset once the day has turned."""
    table = LeapTable("<t>", (LeapEntry(0, 36, None), LeapEntry(MIDNIGHT, 37, None)), MIDNIGHT + 86400 * S)
    tb = Timebase(0)
    window = 60 * S
    announcement_at_tai(table, MIDNIGHT + 36 * S - window - 1, window).apply(tb)
    assert (tb.utc_offset_s, tb.leap, tb.pending) == (36, LeapState.NONE, None)
    announcement_at_tai(table, MIDNIGHT + 36 * S - window, window).apply(tb)
    assert tb.leap is LeapState.INSERT
    assert tb.pending == PendingLeap(MIDNIGHT + 37 * S, 37, LeapState.INSERT)
    # Inside 23:59:60 the table still says 36 and the leap is in progress.
    announcement_at_tai(table, MIDNIGHT + 36 * S + S // 2, window).apply(tb)
    assert (tb.utc_offset_s, tb.leap) == (36, LeapState.INSERT)
    announcement_at_tai(table, MIDNIGHT + 37 * S, window).apply(tb)
    assert (tb.utc_offset_s, tb.leap, tb.pending) == (37, LeapState.NONE, None)
