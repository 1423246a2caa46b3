# SPDX-License-Identifier: GPL-2.0-or-later
"""Leap announcements around synthetic future leaps, from a hashed file written for the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptpbridge.refs.leapfile import LeapTable
from ptpbridge.refs.leapwindow import announcement_at, announcement_at_tai
from ptpbridge.refs.leapwriter import format_leap_seconds_list
from ptpbridge.timebase import LeapState, Timebase

from .helpers import NS, posix

HOUR = 3600 * NS
INSERT_AT = posix(2031, 7, 1) * NS  # 2031-06-30 23:59:60 inserted: 37 -> 38
DELETE_AT = posix(2032, 1, 1) * NS  # 2031-12-31 23:59:59 deleted: 38 -> 37
EXPIRES = posix(2032, 6, 28) * NS


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> LeapTable:
    entries = [(posix(1972, 1, 1) * NS, 10)]
    entries += [(posix(1972 + i, 1, 1) * NS, 10 + i) for i in range(1, 28)]  # a dense toy history
    entries += [(INSERT_AT, 38), (DELETE_AT, 37)]
    path: Path = tmp_path_factory.mktemp("leap") / "leap-seconds.list"
    path.write_text(format_leap_seconds_list(entries, posix(2031, 1, 6) * NS, EXPIRES))
    return LeapTable.load(path)  # the real loader, hash checked


def test_events(table: LeapTable) -> None:
    assert table.next_leap_after(INSERT_AT - 1) == (INSERT_AT, 38, LeapState.INSERT)
    assert table.next_leap_after(INSERT_AT) == (DELETE_AT, 37, LeapState.DELETE)
    assert table.next_leap_after(DELETE_AT) is None


@pytest.mark.parametrize("at, leap, offset", [
    (INSERT_AT - 24 * HOUR, LeapState.NONE, 37),
    (INSERT_AT - 12 * HOUR - 1, LeapState.NONE, 37),
    (INSERT_AT - 12 * HOUR, LeapState.INSERT, 37),  # 2031-06-30 12:00:00 UTC
    (INSERT_AT - 1, LeapState.INSERT, 37),
    (INSERT_AT, LeapState.NONE, 38),
    (INSERT_AT + 12 * HOUR, LeapState.NONE, 38),
    (DELETE_AT - 12 * HOUR - 1, LeapState.NONE, 38),
    (DELETE_AT - 12 * HOUR, LeapState.DELETE, 38),
    (DELETE_AT - 1, LeapState.DELETE, 38),
    (DELETE_AT, LeapState.NONE, 37),
])
def test_utc_window(table: LeapTable, at: int, leap: LeapState, offset: int) -> None:
    state = announcement_at(table, at)
    assert (state.leap, state.utc_offset_s) == (leap, offset)
    assert state.leap61 == (leap is LeapState.INSERT)
    assert state.leap59 == (leap is LeapState.DELETE)


def test_tai_window_holds_the_flag_through_23_59_60(table: LeapTable) -> None:
    old_start = INSERT_AT + 37 * NS  # TAI when 23:59:60 begins
    cases = [
        (INSERT_AT - 12 * HOUR + 37 * NS - 1, LeapState.NONE, 37),
        (INSERT_AT - 12 * HOUR + 37 * NS, LeapState.INSERT, 37),
        (old_start - 1, LeapState.INSERT, 37),  # 23:59:59.999999999
        (old_start + NS // 2, LeapState.INSERT, 37),  # inside 23:59:60
        (old_start + NS - 1, LeapState.INSERT, 37),
        (old_start + NS, LeapState.NONE, 38),  # 00:00:00, TAI - UTC = 38
    ]
    for tai, leap, offset in cases:
        state = announcement_at_tai(table, tai)
        assert (state.leap, state.utc_offset_s) == (leap, offset), tai - old_start


def test_tai_window_for_a_deleted_second(table: LeapTable) -> None:
    # UTC 23:59:58 (TAI = UTC + 38) is followed by 00:00:00 (TAI = UTC + 37): same TAI second.
    end = DELETE_AT + 37 * NS
    assert announcement_at_tai(table, end - 1).leap is LeapState.DELETE
    state = announcement_at_tai(table, end)
    assert (state.leap, state.utc_offset_s) == (LeapState.NONE, 37)


def test_window_is_configurable_within_a_day(table: LeapTable) -> None:
    assert announcement_at(table, INSERT_AT - 23 * HOUR, window_ns=24 * HOUR).leap61
    assert not announcement_at(table, INSERT_AT - 23 * HOUR).leap61
    for bad in (0, 24 * HOUR + 1):
        with pytest.raises(ValueError):
            announcement_at(table, INSERT_AT, window_ns=bad)


def test_next_event_is_known_before_the_window(table: LeapTable) -> None:
    state = announcement_at(table, INSERT_AT - 30 * 24 * HOUR)
    assert state.leap is LeapState.NONE
    assert state.next_event == (INSERT_AT, 38, LeapState.INSERT)


def test_expired_flag(table: LeapTable) -> None:
    assert not announcement_at(table, EXPIRES - 1).expired
    assert announcement_at(table, EXPIRES).expired
    assert announcement_at_tai(table, EXPIRES + 37 * NS).expired


def test_apply_feeds_the_timebase(table: LeapTable) -> None:
    timebase = Timebase(utc_offset_s=0, utc_offset_valid=False)
    announcement_at(table, INSERT_AT - HOUR).apply(timebase)
    assert (timebase.utc_offset_s, timebase.utc_offset_valid, timebase.leap) == \
        (37, True, LeapState.INSERT)
    announcement_at(table, INSERT_AT).apply(timebase)
    assert (timebase.utc_offset_s, timebase.leap) == (38, LeapState.NONE)
    assert timebase.utc_to_tai_ns(INSERT_AT) == INSERT_AT + 38 * NS
