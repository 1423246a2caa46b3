# SPDX-License-Identifier: GPL-2.0-or-later
"""The slave's `[ptp]` keys: from a TOML file to the core's settings, and clear errors for bad values."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from ptpbridge.config import ConfigError, DaemonConfig, load_config
from ptpbridge.core.ptp.config import CLOCK_CLASS_SLAVE_ONLY
from ptpbridge.core.ptp.sample_filter import DelayFilterMode
from ptpbridge.daemon.ptp_netif import InterfaceFacts
from ptpbridge.daemon.ptp_settings import clock_config, port_config
from ptpbridge.timebase import Timebase
from ptpbridge.wire.ptp.values import ClockIdentity

FACTS = InterfaceFacts("veth0", 2, "02:00:00:00:00:01", (ipaddress.IPv4Address("198.18.0.1"),), ())
IDENTITY = ClockIdentity.from_mac(FACTS.mac)


def _load(tmp_path: Path, ptp: str) -> DaemonConfig:
    path = tmp_path / "daemon.toml"
    path.write_text("[clock.sim]\ntime_error_ns = 0\n[ptp]\n" + ptp, encoding="utf-8")
    return load_config(path)


def test_defaults_filter_and_no_asymmetry(tmp_path: Path) -> None:
    ptp = _load(tmp_path, "").ptp
    assert ptp is not None
    port = port_config(ptp, FACTS, "software")
    assert port.delay_asymmetry_ns == 0
    assert port.delay_filter is DelayFilterMode.MEDIAN and port.delay_filter_length == 10
    assert port.outlier_gate.threshold == 5.0
    assert not clock_config(ptp, IDENTITY, Timebase()).slave_only
    assert not clock_config(ptp, IDENTITY, Timebase()).master_only


def test_master_only_reaches_the_core(tmp_path: Path) -> None:
    ptp = _load(tmp_path, "master_only = true\n").ptp
    assert ptp is not None and clock_config(ptp, IDENTITY, Timebase()).master_only


def test_slave_keys_reach_the_core(tmp_path: Path) -> None:
    config = _load(tmp_path, 'slave_only = true\ndelay_asymmetry_ns = -250\ndelay_filter = "minimum"\n'
                             "delay_filter_length = 4\noutlier_threshold = 0\n")
    ptp = config.ptp
    assert ptp is not None
    clock = clock_config(ptp, IDENTITY, Timebase())
    assert clock.slave_only and clock.clock_quality.clock_class == CLOCK_CLASS_SLAVE_ONLY
    port = port_config(ptp, FACTS, "software")
    assert port.delay_asymmetry_ns == -250
    assert port.delay_filter is DelayFilterMode.MINIMUM and port.delay_filter_length == 4
    assert port.outlier_gate.threshold == 0


@pytest.mark.parametrize(("text", "words"), [
    ("slave_only = true\nclock_class = 6\n", ("clock_class", "slave_only")),
    ('delay_filter = "mean"\n', ("delay_filter",)),
    ("delay_filter_length = 0\n", ("delay_filter_length",)),
    ("outlier_threshold = -1\n", ("outlier_threshold",)),
    ("delay_asymmetry_ns = 2000000000\n", ("delay_asymmetry_ns",)),
    ("slave_only = true\nmaster_only = true\n", ("master_only", "slave_only")),
])
def test_bad_values_name_the_file_and_key(tmp_path: Path, text: str, words: tuple[str, ...]) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, text)
    message = str(info.value)
    assert "daemon.toml" in message
    assert all(word in message for word in words), message
