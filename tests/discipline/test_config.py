# SPDX-License-Identifier: GPL-2.0-or-later
"""The `[discipline]` table: defaults, ranges and the servo "auto" picks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptpbridge.config import ConfigError, load_config
from ptpbridge.config.discipline import DEFAULT_SERVO
from ptpbridge.core.servo import SERVO_KINDS


def test_absent_table_means_free_run() -> None:
    config = load_config(None)
    assert config.discipline.source == "none"
    assert config.discipline.drift_file is None
    assert config.discipline.log_poll_interval == 0
    assert config.discipline.first_step_threshold_ns == 20_000
    assert config.discipline.step_threshold_ns == 0


def test_auto_servo_is_a_real_servo_for_every_source() -> None:
    assert set(DEFAULT_SERVO) == {"none", "system", "ptp"}
    assert set(DEFAULT_SERVO.values()) <= set(SERVO_KINDS)


def test_full_table(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[discipline]\nsource = "system"\nservo = "pi"\nlog_poll_interval = -4\n'
                    'system_samples = 9\nfirst_step_threshold_ns = 0\nstep_threshold_ns = 500\n'
                    'drift_file = "/var/lib/ptpbridge/drift"\n')
    d = load_config(path).discipline
    assert (d.source, d.servo_kind(), d.log_poll_interval, d.system_samples) == ("system", "pi", -4, 9)
    assert (d.first_step_threshold_ns, d.step_threshold_ns) == (0, 500)
    assert d.drift_file == Path("/var/lib/ptpbridge/drift")


@pytest.mark.parametrize(("text", "key"), [
    ('source = "ntp"', "discipline.source"),
    ('servo = "kalman"', "discipline.servo"),
    ("log_poll_interval = -5", "discipline.log_poll_interval"),
    ("system_samples = 26", "discipline.system_samples"),
    ("step_threshold_ns = -1", "discipline.step_threshold_ns"),
    ("drift = '/tmp/x'", "discipline.drift: unknown key"),
])
def test_bad_values_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f"[discipline]\n{text}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert f"{path}: {key}" in str(err.value)


def test_the_example_config_loads() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "lab-disciplined.toml"
    d = load_config(example).discipline
    assert d.source == "system" and d.servo_kind() == DEFAULT_SERVO["system"]
