# SPDX-License-Identifier: GPL-2.0-or-later
"""Where the leap service gets its table: files written with the same hash rule as IERS's.

Every problem (missing, damaged, expired) becomes a message for the status
section and the log; none stops the daemon.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from ptpbridge.config.time import LabLeapConfig, TimeConfig
from ptpbridge.daemon.leap import LAB_SOURCE, lab_table, load_source
from ptpbridge.refs.civil import NTP_UNIX_OFFSET_S, utc_seconds
from ptpbridge.refs.leapfile import SYSTEM_LEAP_FILES
from ptpbridge.refs.leapwindow import announcement_at
from ptpbridge.refs.leapwriter import format_leap_seconds_list
from ptpbridge.timebase import NS_PER_S, LeapState

S = NS_PER_S
JAN_2017 = utc_seconds(2017, 1, 1) * S
JAN_2030 = utc_seconds(2030, 1, 1) * S


def write(tmp_path: Path, expires_ns: int = JAN_2030, damage: bool = False) -> Path:
    updated = utc_seconds(2016, 7, 1) * S
    text = format_leap_seconds_list([(utc_seconds(2015, 7, 1) * S, 36), (JAN_2017, 37)], updated, expires_ns)
    if damage:  # a different "last update" than the one hashed
        stamp = updated // S + NTP_UNIX_OFFSET_S
        text = text.replace(f"#$\t{stamp}", f"#$\t{stamp + 86400}")
    path = tmp_path / "leap-seconds.list"
    path.write_text(text)
    return path


def test_a_good_file_is_used(tmp_path: Path) -> None:
    source = load_source(TimeConfig(leapfile=str(write(tmp_path))))
    assert source.problems == [] and source.table is not None
    assert source.table.utc_offset_at(JAN_2017) == 37


def test_a_damaged_file_is_reported_not_used(tmp_path: Path) -> None:
    path = write(tmp_path, damage=True)
    source = load_source(TimeConfig(leapfile=str(path)))
    assert source.table is None
    (problem,) = source.problems
    assert str(path) in problem and "bad hash" in problem


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    source = load_source(TimeConfig(leapfile=str(tmp_path / "nope")))
    assert source.table is None and "unreadable" in source.problems[0]


def test_an_expired_file_is_still_used_and_says_so(tmp_path: Path) -> None:
    expiry = utc_seconds(2020, 1, 1) * S
    source = load_source(TimeConfig(leapfile=str(write(tmp_path, expires_ns=expiry))))
    assert source.table is not None and source.problems == []
    assert announcement_at(source.table, JAN_2030).expired
    assert announcement_at(source.table, JAN_2030).utc_offset_s == 37


def test_none_means_the_configured_offset() -> None:
    assert load_source(TimeConfig(leapfile="none", utc_offset_s=37)).table is None


def test_auto_finds_the_system_copy() -> None:
    """tzdata ships the IERS list and `leapseconds` (a test dependency, see the Makefile)."""
    source = load_source(TimeConfig())
    present = [p for p in SYSTEM_LEAP_FILES if os.path.exists(p)]
    assert present, "tzdata is not installed"
    assert source.table is not None and source.table.path in present
    assert source.table.utc_offset_at(JAN_2030) == 37


def test_the_lab_leap_table_has_its_leap_at_the_chosen_second() -> None:
    at = dt.datetime(2026, 11, 26, 14, 31, 11, tzinfo=dt.UTC)
    table = lab_table(LabLeapConfig(at_utc=at), 37)
    assert table.path == LAB_SOURCE
    at_ns = int(at.timestamp()) * S
    event = table.next_leap_after(at_ns - 1)
    assert event is not None and (event.utc_ns, event.new_offset_s, event.kind) == (at_ns, 38, LeapState.INSERT)
    assert announcement_at(table, at_ns - 30 * S, 30 * S).leap is LeapState.INSERT
    assert announcement_at(table, at_ns - 30 * S - 1, 30 * S).leap is LeapState.NONE
    deleted = lab_table(LabLeapConfig(at_utc=at, kind="delete"), 37)
    assert deleted.utc_offset_at(at_ns) == 36
