# SPDX-License-Identifier: GPL-2.0-or-later
"""The drift file: format, atomic replacement, read at start, written after lock, bad files ignored."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from ptpbridge.daemon.drift_file import DriftFileError, read_drift, write_drift
from ptpbridge.daemon.drift_keeper import MIN_LOCKED_SAMPLES

from .rig import Rig

LIMIT = 500_000.0


def test_round_trip_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "drift"
    assert read_drift(path, LIMIT) is None  # a first start, not an error
    write_drift(path, -99_999.9876)
    assert path.read_text() == "-99999.988\n"
    assert read_drift(path, LIMIT) == -99_999.988


def test_write_replaces_by_rename_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "drift"
    path.write_text("1.0\n")
    before = path.stat().st_ino
    write_drift(path, 2.0)
    # A new inode: the old file was replaced whole, never rewritten in place.
    assert path.stat().st_ino != before
    assert read_drift(path, LIMIT) == 2.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["drift"]


def test_write_into_a_missing_directory_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "absent" / "drift"
    with pytest.raises(DriftFileError) as err:
        write_drift(path, 1.0)
    assert str(path) in str(err.value) and "cannot write" in str(err.value)


@pytest.mark.parametrize(("content", "reason"), [
    (b"garbage\n", "not a frequency in ppb: 'garbage'"),
    (b"", "empty"),
    (b"\xff\xfe", "not text"),
    (b"nan\n", "not a finite frequency"),
    (b"inf\n", "not a finite frequency"),
    (b"-600000\n", "beyond the clock's limit"),
    (b"1.0 2.0\n", "not a frequency in ppb"),
])
def test_bad_content_is_an_error_naming_file_and_reason(tmp_path: Path, content: bytes,
                                                        reason: str) -> None:
    path = tmp_path / "drift"
    path.write_bytes(content)
    with pytest.raises(DriftFileError) as err:
        read_drift(path, LIMIT)
    assert str(err.value).startswith(f"drift file {path}: ")
    assert reason in err.value.reason


def test_unreadable_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DriftFileError, match="cannot read"):
        read_drift(tmp_path, LIMIT)  # a directory


def test_file_is_applied_and_seeds_the_servo_before_the_first_sample(tmp_path: Path) -> None:
    path = tmp_path / "drift"
    write_drift(path, -99_950.0)
    rig = Rig(error_ppb=100_000.0, source="system", drift_file=path)
    rig.discipline.prepare()
    assert rig.clock.frequency_ppb() == -99_950.0  # applied before any sample
    status = rig.discipline.status()
    assert status["initial_frequency_ppb"] == -99_950.0
    assert status["initial_frequency_from"] == "drift-file"
    assert status["drift_file"]["loaded_ppb"] == -99_950.0
    assert status["samples"] == 0
    first = rig.poll(1)[0]
    assert first.frequency_ppb == -99_950.0  # the seeded servo holds it while it gathers samples
    rig.poll(10)
    # 50 ppb left to correct, not 100 ppm: the clock never strays far.
    assert abs(rig.true_error()) < 1_000
    assert rig.discipline.steps == 0


def test_without_a_file_the_servo_starts_from_the_clocks_adjustment() -> None:
    rig = Rig(error_ppb=100_000.0, source="system")
    rig.clock.adjust_frequency(-99_990.0)  # left by a previous run of the daemon
    rig.discipline.prepare()
    assert rig.discipline.status()["initial_frequency_from"] == "clock"
    assert rig.poll(1)[0].frequency_ppb == -99_990.0  # kept, not reset to zero


def test_written_after_lock_at_most_once_a_minute_and_at_shutdown(tmp_path: Path) -> None:
    path = tmp_path / "drift"
    rig = Rig(time_error_ns=1_000_000, error_ppb=100_000.0, source="system", drift_file=path)
    rig.discipline.prepare()
    outputs = rig.poll(20)
    first_lock = next(i for i, out in enumerate(outputs) if out.state.value.startswith("locked"))
    assert first_lock + MIN_LOCKED_SAMPLES <= 20
    assert read_drift(path, LIMIT) == pytest.approx(-100_000.0, abs=100.0)
    rig.poll(300)
    writes = rig.discipline.drift.writes
    # One at lock, then one per full minute of the next 300 s.
    assert 2 <= writes <= 1 + 300 // 60, writes
    rig.poll(30)  # half a minute: no write due
    assert rig.discipline.drift.writes == writes
    path.unlink()
    rig.discipline.finish()  # clean shutdown stores the last half minute's mean
    assert read_drift(path, LIMIT) == pytest.approx(-100_000.0, abs=0.01)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["drift"]


def test_nothing_is_written_before_lock(tmp_path: Path) -> None:
    path = tmp_path / "drift"
    rig = Rig(time_error_ns=1_000_000, error_ppb=100_000.0, source="system", drift_file=path)
    rig.discipline.prepare()
    rig.poll(2)  # still gathering its first points
    rig.discipline.finish()
    assert not path.exists()


def test_corrupt_file_is_reported_and_ignored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "drift"
    path.write_text("-1e5ppb\n")
    rig = Rig(time_error_ns=1_000_000, error_ppb=100_000.0, source="system", drift_file=path)
    with caplog.at_level(logging.WARNING, logger="ptpbridge.discipline"):
        rig.discipline.prepare()
    assert [r.getMessage() for r in caplog.records] == [
        f"drift file {path}: not a frequency in ppb: '-1e5ppb'; ignored, "
        "starting from the clock's current frequency"]
    assert rig.discipline.status()["drift_file"]["load_error"] == "not a frequency in ppb: '-1e5ppb'"
    assert rig.discipline.initial_frequency_from == "clock"
    rig.poll(30)  # the discipline carries on and replaces the bad file once locked
    assert read_drift(path, LIMIT) == pytest.approx(-100_000.0, abs=100.0)


def test_a_failing_write_is_reported_once_and_the_discipline_carries_on(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "absent" / "drift"
    rig = Rig(time_error_ns=1_000_000, error_ppb=100_000.0, source="system", drift_file=path)
    rig.discipline.prepare()
    with caplog.at_level(logging.WARNING, logger="ptpbridge.discipline"):
        rig.poll(200)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and str(path) in warnings[0], warnings
    assert rig.discipline.status()["drift_file"]["write_error"].startswith("cannot write")
    assert abs(rig.true_error()) < 10
    assert not os.path.exists(path.parent)
    assert rig.discipline.steps == 1
