# SPDX-License-Identifier: GPL-2.0-or-later
"""`[[reference]]`, `[holdover]`, `[selection]`: defaults, the example, and errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptpbridge.config import ConfigError, load_config
from ptpbridge.config.models import DaemonConfig
from ptpbridge.config.references import LocalReferenceConfig, NtpReferenceConfig

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lab-references.toml"



def test_no_references_by_default() -> None:
    config = load_config(None)
    assert config.reference == []
    assert config.holdover.locked_class == 6 and config.holdover.holdover_class == 7


def test_the_example_loads_with_three_iburst_servers() -> None:
    config = load_config(EXAMPLE)
    ntp = [r for r in config.reference if isinstance(r, NtpReferenceConfig)]
    assert [r.server for r in ntp] == ["198.18.0.1", "198.18.0.2", "198.18.0.3"]
    assert all(r.iburst and r.minpoll == 0 for r in ntp)
    assert config.holdover.budget_s == 60


def test_chrony_like_entries(tmp_path: Path) -> None:
    config = load_config_text(tmp_path, """
[[reference]]
type = "ntp"
pool = "pool.example.org"
max_sources = 3
iburst = true
priority = 2

[[reference]]
type = "local"
stratum = 10
clock_class = 187

[holdover]
budget_s = 3600
degraded_class = 187
""")
    pool, local = config.reference
    assert isinstance(pool, NtpReferenceConfig) and pool.pool == "pool.example.org" and pool.label == "pool.example.org"
    assert isinstance(local, LocalReferenceConfig) and local.stratum == 10 and local.clock_class == 187


def load_config_text(tmp_path: Path, text: str) -> DaemonConfig:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


@pytest.mark.parametrize(("text", "key", "reason"), [
    ('[[reference]]\ntype = "ntp"\n', "reference[0]", 'exactly one of "server" and "pool"'),
    ('[[reference]]\ntype = "ntp"\nserver = "a"\npool = "b"\n', "reference[0]", "exactly one"),
    ('[[reference]]\ntype = "ntp"\nserver = "a"\nminpoll = 5\nmaxpoll = 3\n', "reference[0]", "above maxpoll"),
    ('[[reference]]\ntype = "ntp"\nserver = "a"\nminpol = 3\n', "minpol", "unknown key"),
    ('[[reference]]\ntype = "ntp"\nserver = "a"\nkey = 3\n', "reference[0].key", "needs a key file"),
    ('[[reference]]\ntype = "radio"\n', "reference[0]", "radio"),
    ('[[reference]]\ntype = "ptp"\n', "reference[0].type", "needs a [ptp] table"),
    ('[[reference]]\ntype = "local"\n[[reference]]\ntype = "local"\n', "reference[1].type", "second"),
    ('[[reference]]\ntype = "ntp"\nserver = "a"\n[[reference]]\ntype = "ntp"\nserver = "a"\n',
     "reference[1].name", "names two references"),
    ('[discipline]\nsource = "system"\n[[reference]]\ntype = "local"\n', "[discipline]", "both say"),
    ('[holdover]\ndegraded_class = 300\n', "holdover.degraded_class", "less than or equal to 255"),
    ('[selection]\nfailback_delay_s = -1\n', "selection.failback_delay_s", "greater than or equal"),
])
def test_errors_name_file_key_and_reason(tmp_path: Path, text: str, key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config_text(tmp_path, text)
    message = str(err.value)
    assert str(tmp_path / "c.toml") in message and key in message and reason in message, message


def test_key_from_the_ntp_key_file(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text("7 SHA256 HEX:" + "ab" * 32 + "\n", encoding="utf-8")
    keys.chmod(0o600)
    text = f'[ntp]\nkey_file = "{keys}"\n[[reference]]\ntype = "ntp"\nserver = "a"\nkey = 7\n'
    config = load_config_text(tmp_path, text)
    assert config.reference[0].key == 7  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match=r"reference\[0\]\.key: key 8 is not in"):
        load_config_text(tmp_path, text.replace("key = 7", "key = 8"))
