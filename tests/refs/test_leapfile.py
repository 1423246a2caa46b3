# SPDX-License-Identifier: GPL-2.0-or-later
"""The leap second table from the system's tzdata files: parse, hash, expiry, offsets."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ptpbridge.refs.errors import LeapFileError
from ptpbridge.refs.leapfile import SYSTEM_LEAP_FILES, LeapTable
from ptpbridge.refs.leapwriter import format_leap_seconds_list
from ptpbridge.timebase import LeapState

from .helpers import NS, posix

LIST, TZ = SYSTEM_LEAP_FILES
needs_list = pytest.mark.skipif(not os.path.exists(LIST), reason=f"tzdata without {LIST}")
needs_tz = pytest.mark.skipif(not os.path.exists(TZ), reason=f"tzdata without {TZ}")


def _text() -> str:
    return Path(LIST).read_text(encoding="ascii")


def _line_of(text: str, prefix: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(prefix))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "leap-seconds.list"
    path.write_text(text, encoding="ascii")
    return path


@needs_list
def test_system_list_parses_and_its_hash_verifies() -> None:
    table = LeapTable.load(LIST)
    assert table.path == LIST
    assert len(table.entries) >= 28  # 1972-01-01 plus the 27 leap seconds to 2017
    assert table.updated_utc_ns is not None and table.updated_utc_ns < table.expires_utc_ns


@needs_list
def test_no_path_falls_back_to_the_system_copy() -> None:
    assert LeapTable.load().path == LIST


@needs_list
@pytest.mark.parametrize("when, offset", [
    # TAI - UTC, IERS Bulletin C: 10 s from 1972-01-01, 36 s from 2015-07-01, 37 s from 2017-01-01.
    (posix(1972, 1, 1), 10),
    (posix(1972, 6, 30, 23, 59, 59), 10),
    (posix(1972, 7, 1), 11),
    (posix(2016, 6, 1), 36),
    (posix(2017, 1, 1) - 1, 36),
    (posix(2017, 1, 1), 37),
    (posix(2024, 3, 1, 12), 37),
])
def test_published_offsets(when: int, offset: int) -> None:
    assert LeapTable.load(LIST).utc_offset_at(when * NS) == offset


@needs_list
def test_offset_changes_at_the_midnight_nanosecond() -> None:
    table = LeapTable.load(LIST)
    midnight = posix(2017, 1, 1) * NS
    assert table.utc_offset_at(midnight - 1) == 36
    assert table.utc_offset_at(midnight) == 37


@needs_list
def test_tai_scale_covers_the_inserted_second() -> None:
    table = LeapTable.load(LIST)
    midnight = posix(2017, 1, 1) * NS
    # 2016-12-31T23:59:60 runs from TAI midnight+36 s to midnight+37 s.
    assert table.utc_offset_at_tai(midnight + 36 * NS + NS // 2) == 36
    assert table.utc_offset_at_tai(midnight + 37 * NS - 1) == 36
    assert table.utc_offset_at_tai(midnight + 37 * NS) == 37


@needs_list
def test_next_leap_after() -> None:
    table = LeapTable.load(LIST)
    event = table.next_leap_after(posix(2016, 6, 1) * NS)
    assert event == (posix(2017, 1, 1) * NS, 37, LeapState.INSERT)
    assert event is not None and event.kind is LeapState.INSERT
    later = table.next_leap_after(posix(2017, 1, 1) * NS)
    assert later is None or later.utc_ns > posix(2017, 1, 1) * NS


def test_before_1972_is_refused() -> None:
    text = format_leap_seconds_list([(posix(1972, 1, 1) * NS, 10)], posix(2020, 1, 1) * NS,
                                    posix(2021, 1, 1) * NS)
    table = LeapTable.parse(text)
    with pytest.raises(ValueError, match="before the table starts"):
        table.utc_offset_at(posix(1971, 12, 31) * NS)


@needs_list
def test_one_digit_edit_fails_the_hash(tmp_path: Path) -> None:
    text = _text()
    line = _line_of(text, "#@")
    edited = re.sub(r"^(#@\s+\d+)(\d)$", lambda m: m.group(1) + str((int(m.group(2)) + 1) % 10),
                    text, count=1, flags=re.MULTILINE)
    assert edited != text
    path = _write(tmp_path, edited)
    with pytest.raises(LeapFileError) as info:
        LeapTable.load(path)
    assert info.value.reason == "bad hash"
    assert info.value.line == _line_of(text, "#h")
    assert str(path) in str(info.value) and "bad hash" in str(info.value)
    assert line != info.value.line


@needs_list
def test_data_line_edit_fails_the_hash(tmp_path: Path) -> None:
    text = _text()
    # 1 Jan 1976 -> 1 Jan 1976 + 10 days: still a midnight, still in order, still +1.
    edited = text.replace("2398291200", "2399155200", 1)
    assert edited != text
    with pytest.raises(LeapFileError, match="bad hash"):
        LeapTable.load(_write(tmp_path, edited))


@needs_list
def test_comments_and_white_space_are_not_hashed(tmp_path: Path) -> None:
    text = _text().replace("# 1 Jan 2017", "#   new year 2017   ").replace("\t", "    ")
    table = LeapTable.load(_write(tmp_path, text))
    assert table.utc_offset_at(posix(2017, 1, 2) * NS) == 37


@needs_list
def test_writer_reproduces_the_published_hash() -> None:
    """The hash rule checked against IERS's own '#h', not against our parser."""
    table = LeapTable.load(LIST)
    assert table.updated_utc_ns is not None
    written = format_leap_seconds_list([(e.utc_ns, e.offset_s) for e in table.entries],
                                       table.updated_utc_ns, table.expires_utc_ns)
    published = re.search(r"^#h\s+(.*)$", _text(), re.MULTILINE)
    ours = re.search(r"^#h\s+(.*)$", written, re.MULTILINE)
    assert published and ours
    assert [int(w, 16) for w in published.group(1).split()] == \
        [int(w, 16) for w in ours.group(1).split()]


def test_hash_words_without_leading_zeros_verify() -> None:
    """Publishers drop leading zeros in the five hash groups; the check compares numbers."""
    start = posix(1972, 1, 1) * NS
    for day in range(1, 400):
        text = format_leap_seconds_list([(start, 10)], start, start + day * 86400 * NS)
        words = re.search(r"^#h\s+(.*)$", text, re.MULTILINE)
        assert words
        if any(w.startswith("0") for w in words.group(1).split()):
            break
    else:
        pytest.fail("no hash with a leading zero found")
    stripped = words.group(1)
    short = " ".join(w.lstrip("0") or "0" for w in stripped.split())
    assert short != stripped
    LeapTable.parse(text.replace(stripped, short))


@needs_list
def test_expiry_with_an_injected_now() -> None:
    table = LeapTable.load(LIST)
    text = _text()
    expiry_ntp = int(re.search(r"^#@\s+(\d+)", text, re.MULTILINE).group(1))  # type: ignore[union-attr]
    assert table.expires_utc_ns == (expiry_ntp - 2_208_988_800) * NS
    assert not table.expired(table.expires_utc_ns - 1)
    assert table.expired(table.expires_utc_ns)
    table.check_not_expired(table.expires_utc_ns - 1)
    with pytest.raises(LeapFileError) as info:
        table.check_not_expired(table.expires_utc_ns + 86400 * NS)
    assert info.value.reason == "expired"
    assert info.value.line == _line_of(text, "#@")
    assert LIST in str(info.value)


@needs_list
@needs_tz
def test_tzdata_leapseconds_file_agrees_with_the_list() -> None:
    """Two files built independently by tzdata: same offsets, same expiry."""
    listed = LeapTable.load(LIST)
    tz = LeapTable.load(search=("/nonexistent/leap-seconds.list", TZ))
    assert tz.path == TZ
    assert [(e.utc_ns, e.offset_s) for e in tz.entries] == \
        [(e.utc_ns, e.offset_s) for e in listed.entries]
    assert tz.expires_utc_ns == listed.expires_utc_ns
    assert tz.utc_offset_at(posix(2016, 6, 1) * NS) == 36


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(LeapFileError, match="unreadable") as info:
        LeapTable.load(tmp_path / "nope.list")
    assert str(tmp_path / "nope.list") in str(info.value)
    with pytest.raises(LeapFileError, match="missing"):
        LeapTable.load(search=(str(tmp_path / "a"), str(tmp_path / "b")))


_GOOD = [(posix(1972, 1, 1), 10), (posix(1972, 7, 1), 11), (posix(1973, 1, 1), 12)]


def _good_text() -> str:
    return format_leap_seconds_list([(s * NS, o) for s, o in _GOOD], posix(2020, 1, 1) * NS,
                                    posix(2030, 1, 1) * NS)


@pytest.mark.parametrize("old, new, reason, detail", [
    ("2287785600\t11", "2287785600\televen", "malformed line", "not a TAI-UTC"),
    ("2287785600\t11", "2287785600", "malformed line", "NTP-seconds TAI-UTC"),
    ("2287785600\t11", "2287785601\t11", "malformed line", "midnight"),
    ("2287785600\t11", "2287785600\t13", "malformed line", "not by 1 s"),
    ("2287785600\t11", "2272060800\t11", "malformed line", "out of order"),
])
def test_malformed_lines_are_named(tmp_path: Path, old: str, new: str, reason: str,
                                   detail: str) -> None:
    text = _good_text()
    assert old in text
    path = _write(tmp_path, text.replace(old, new))
    with pytest.raises(LeapFileError) as info:
        LeapTable.load(path)
    assert info.value.reason == reason
    assert detail in str(info.value)
    assert info.value.line == _line_of(text, old)
    assert f"{path}:{info.value.line}" in str(info.value)


def test_missing_hash_and_expiry(tmp_path: Path) -> None:
    text = _good_text()
    no_hash = "\n".join(line for line in text.splitlines() if not line.startswith("#h"))
    with pytest.raises(LeapFileError, match="no '#h' line"):
        LeapTable.parse(no_hash, "x")
    assert LeapTable.parse(no_hash, "x", require_hash=False).utc_offset_at(posix(1980, 1, 1) * NS) == 12
    no_expiry = "\n".join(line for line in text.splitlines() if not line.startswith("#@"))
    with pytest.raises(LeapFileError, match="no '#@'"):
        LeapTable.parse(no_expiry, "x")


def test_not_ascii_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "leap.list"
    path.write_bytes(_good_text().encode().replace(b"#\n", "# caf\u00e9\n".encode(), 1))
    with pytest.raises(LeapFileError, match="not ASCII") as info:
        LeapTable.load(path)
    assert info.value.line is not None


def test_tz_format_errors_name_the_line() -> None:
    text = "Leap\t1972\tJun\t30\t23:59:60\t+\tS\nLeap\t1972\tDec\t31\t23:59:59\t+\tS\n#expires 1\n"
    with pytest.raises(LeapFileError) as info:
        LeapTable.parse(text, "leapseconds")
    assert info.value.line == 2 and "23:59:60 +" in str(info.value)
    with pytest.raises(LeapFileError, match="no Expires"):
        LeapTable.parse("Leap\t1972\tJun\t30\t23:59:60\t+\tS\n", "leapseconds")
