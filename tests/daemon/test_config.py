"""Config loading: every error names the file, the key and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptpbridge.config import ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ptpbridge.toml"
    path.write_text(text)
    return path


def test_minimal_file_gives_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[clock]\ndevice = 'sim'\n"))
    assert config.clock.device == "sim"
    assert config.time.utc_offset_s == 37
    assert config.interfaces == []


def test_unknown_key_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "[clock]\ndevice = 'sim'\nfrequncy = 3\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: clock.frequncy: unknown key"


def test_wrong_type_is_named_with_the_value(tmp_path: Path) -> None:
    path = write(tmp_path, "[clock.sim]\nfrequency_error_ppb = 'fast'\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(f"{path}: clock.sim.frequency_error_ppb: ")
    assert "'fast'" in message


def test_out_of_range_value(tmp_path: Path) -> None:
    path = write(tmp_path, "[clock.sim]\nfrequency_error_ppb = 5e6\n")
    with pytest.raises(ConfigError, match=r"clock\.sim\.frequency_error_ppb: .*less than or equal"):
        load_config(path)


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[clock\n")
    with pytest.raises(ConfigError, match=rf"^{path}: TOML syntax error: .*line 1"):
        load_config(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(ConfigError, match=rf"^{path}: cannot read: No such file"):
        load_config(path)


def test_overrides_replace_file_values_and_are_validated(tmp_path: Path) -> None:
    path = write(tmp_path, "interfaces = ['eth0']\n[clock]\ndevice = 'system'\n")
    config = load_config(path, {"interfaces": ["veth1"], "clock.device": "sim"})
    assert config.interfaces == ["veth1"]
    assert config.clock.device == "sim"
    with pytest.raises(ConfigError, match=r"control\.socket"):
        load_config(path, {"control.socket": 5})


def test_list_items_are_located(tmp_path: Path) -> None:
    path = write(tmp_path, "interfaces = ['eth0', 3]\n")
    with pytest.raises(ConfigError, match=rf"^{path}: interfaces\[1\]: "):
        load_config(path)
