# SPDX-License-Identifier: GPL-2.0-or-later
"""`[time]`: leap file, window and the lab-only leap; errors name the file, the key and the reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ptpbridge.config import ConfigError, load_config



def test_defaults_auto_detect_with_a_twelve_hour_window(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("[time]\n")
    config = load_config(path)
    assert (config.time.leapfile, config.time.leap_window_s, config.time.lab_leap) == ("auto", 43200, None)


def test_a_lab_leap_takes_a_toml_datetime(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[time]\nleap_window_s = 30\n[time.lab_leap]\nat_utc = 2026-11-26T14:31:11Z\nkind = "delete"\n')
    lab = load_config(path).time.lab_leap
    assert lab is not None and lab.kind == "delete"
    assert lab.at_utc == dt.datetime(2026, 11, 26, 14, 31, 11, tzinfo=dt.UTC)


@pytest.mark.parametrize(("text", "key", "words"), [
    ("[time]\nleap_window_s = 0\n", "time.leap_window_s", "greater than or equal to 1"),
    ("[time]\nleap_window_s = 90000\n", "time.leap_window_s", "less than or equal to 86400"),
    ("[time]\nleapfile = ''\n", "time.leapfile", "at least 1"),
    ("[time.lab_leap]\nat_utc = 2026-11-26T14:31:11.5Z\n", "time.lab_leap.at_utc", "whole second"),
    ("[time.lab_leap]\nat_utc = 2026-11-26T14:31:11\n", "time.lab_leap.at_utc", "timezone"),
    ("[time.lab_leap]\nat_utc = 2026-11-26T14:31:11Z\nkind = 'sideways'\n", "time.lab_leap.kind", "insert"),
    ("[time]\nleap_smear = true\n", "time.leap_smear", "unknown key"),
])
def test_errors_name_file_key_and_reason(tmp_path: Path, text: str, key: str, words: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert words in message, message
