# SPDX-License-Identifier: GPL-2.0-or-later
"""The [ntp] table: defaults a chrony user expects, errors that name the key, the example config."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nslab.peers import ntpdig
from ptpbridge.bench.ntp_lab import PtpbridgeNtp
from ptpbridge.config import ConfigError, load_config

from ._helpers import MISSING

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ntp-server.toml"


def _load(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "c.toml"
    path.write_text(text)
    return load_config(path)


def test_no_ntp_table_means_no_server(tmp_path: Path) -> None:
    assert _load(tmp_path, "[clock]\ndevice = 'sim'\n").ntp is None


def test_defaults_follow_chrony(tmp_path: Path) -> None:
    ntp = _load(tmp_path, "[ntp]\n").ntp
    assert ntp.enabled and ntp.allow == [] and ntp.ratelimit is None  # nobody served, no limit
    assert ntp.local_stratum == 10 and ntp.reference_id == "LOCL"  # chrony's `local`
    assert ntp.interleave and ntp.bad_mac == "nak" and ntp.bind_addresses == ["0.0.0.0", "::"]
    limit = _load(tmp_path, "[ntp.ratelimit]\n").ntp.ratelimit
    assert (limit.interval, limit.burst, limit.leak, limit.kod) == (3, 8, 2, False)
    assert _load(tmp_path, "[ntp]\nallow = ['all']\n").ntp.allow == ["0.0.0.0/0", "::/0"]
    # Our one knob beyond chrony: basic transmit timestamps compensated unless switched off.
    assert ntp.tx_latency_compensation
    assert not _load(tmp_path, "[ntp]\ntx_latency_compensation = false\n").ntp.tx_latency_compensation


@pytest.mark.parametrize(("text", "message"), [
    ("[ntp]\nallow = ['10.0.0.0/33']\n", "ntp.allow: Value error, '10.0.0.0/33' is not"),
    ("[ntp]\nbogus = 1\n", "ntp.bogus: unknown key"),
    ("[ntp.ratelimit]\nburst = 0\n", "ntp.ratelimit.burst: "),
    ("[ntp]\nreference_id = 'TOOLONG'\n", "ntp.reference_id: "),
    ("[ntp]\nbind_addresses = ['eth0']\n", "ntp.bind_addresses: "),
    ("[ntp]\nworkers = 0\n", "ntp.workers: "),
])
def test_bad_values_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        _load(tmp_path, text)


def test_bad_key_file_stops_start_up_naming_file_and_line(tmp_path: Path) -> None:
    keys = tmp_path / "ntp.keys"
    keys.write_text("1 AES128 HEX:0011\n")
    config = tmp_path / "c.toml"
    config.write_text(f"[ntp]\nkey_file = '{keys}'\n")
    result = subprocess.run([sys.executable, "-m", "ptpbridge", "run", "--config", str(config), "--control",
                             str(tmp_path / "c.sock")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert f"{config}: ntp.key_file: " in result.stderr and f"{keys}:1: AES128 key must be 16 octets" in result.stderr
    assert "Traceback" not in result.stderr


def test_example_allows_private_and_lab_ranges_with_rate_limiting_commented() -> None:
    ntp = load_config(EXAMPLE, {"interfaces": ["eth0"], "clock.device": "sim"}).ntp
    assert ntp is not None
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "198.18.0.0/15", "fd00::/8"} <= set(ntp.allow)
    assert ntp.ratelimit is None
    assert "# [ntp.ratelimit]" in EXAMPLE.read_text()


@pytest.mark.netns
@pytest.mark.peers
@pytest.mark.skipif(MISSING is not None, reason=str(MISSING))
def test_example_serves_in_a_lab_host(make_lab: Any) -> None:
    lab = make_lab("pair")
    ours = PtpbridgeNtp(lab["h1"], EXAMPLE.read_text()).start()
    try:
        for address in (lab["h1"].ipv4, lab["h1"].ipv6):
            result = ntpdig(lab["h2"], address)
            assert result.stratum == 1 and result.leap == "no-leap"
    finally:
        ours.stop()


def test_missing_interface_is_a_one_line_error(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[ntp]\nallow = ['all']\n")
    result = subprocess.run([sys.executable, "-m", "ptpbridge", "run", "--config", str(config), "--interface",
                             "nosuch0", "--clock", "sim", "--control", str(tmp_path / "c.sock")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "ptpbridge: ntp: nosuch0: open UDP/ipv4 port 123: no such interface"
    assert "Traceback" not in result.stderr
