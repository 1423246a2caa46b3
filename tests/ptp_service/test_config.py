# SPDX-License-Identifier: GPL-2.0-or-later
"""The `[ptp]` table: defaults a ptp4l user expects, bad values named by key, start-up failures named."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import nslab
from nslab.pytest_plugin import MakeLab
from ptpbridge.config import ConfigError, load_config
from ptpbridge.config.ptp import PtpConfig
from ptpbridge.core.ptp import PtpClock
from ptpbridge.daemon.ptp_netif import HostFacts, InterfaceFacts
from ptpbridge.daemon.ptp_settings import ManagementAllowList, clock_config, clock_identity, port_config
from ptpbridge.timebase import Timebase
from ptpbridge.wire.ptp.constants import DelayMechanism, NetworkProtocol, TimeSource

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lab-grandmaster.toml"


def _load(tmp_path: Path, text: str) -> PtpConfig:
    path = tmp_path / "ptp.toml"
    path.write_text(text)
    config = load_config(path).ptp
    assert config is not None
    return config


def test_defaults_are_ptp4l_defaults(tmp_path: Path) -> None:
    config = _load(tmp_path, "[ptp]\n")
    assert (config.priority1, config.priority2, config.domain) == (128, 128, 0)
    assert (config.clock_class, config.clock_accuracy, config.offset_scaled_log_variance) == (248, 0xFE, 0xFFFF)
    assert (config.log_announce_interval, config.log_sync_interval, config.announce_receipt_timeout) == (1, 0, 3)
    assert (config.transport, config.delay_mechanism, config.timestamping) == ("udpv4", "e2e", "auto")
    assert config.time_source_value == TimeSource.INTERNAL_OSCILLATOR
    assert not config.unicast_delay_resp and config.management_set_allow is None


def test_profiles_and_hybrid(tmp_path: Path) -> None:
    assert _load(tmp_path, "[ptp]\nprofile = 'enterprise'\n").unicast_delay_resp
    assert not _load(tmp_path, "[ptp]\nprofile = 'enterprise'\nhybrid = false\n").unicast_delay_resp
    assert _load(tmp_path, "[ptp]\nhybrid = true\n").unicast_delay_resp
    assert _load(tmp_path, "[ptp]\ntime_source = 'gnss'\n").time_source_value == 0x20


@pytest.mark.parametrize(("text", "key"), [
    ("log_sync_interval = -8", "ptp.log_sync_interval"),
    ("log_announce_interval = 17", "ptp.log_announce_interval"),
    ("priority1 = 256", "ptp.priority1"),
    ("domain = -1", "ptp.domain"),
    ("announce_receipt_timeout = 1", "ptp.announce_receipt_timeout"),
    ("transport = 'udp'", "ptp.transport"),
    ("delay_mechanism = 'auto'", "ptp.delay_mechanism"),
    ("time_source = 'sundial'", "ptp.time_source"),
    ("clock_identity = '12:34'", "ptp.clock_identity"),
    ("management_set_allow = ['example.com']", "ptp.management_set_allow"),
    ("profile = 'enterprise'\ntransport = 'l2'", "ptp"),
    ("profile = 'enterprise'\ndelay_mechanism = 'p2p'", "ptp"),
    ("bogus = 1", "ptp.bogus: unknown key"),
])
def test_bad_values_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f"[ptp]\n{text}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert f"{path}: {key}" in str(info.value)


def test_example_maps_onto_the_core() -> None:
    """examples/lab-grandmaster.toml loads, and the core accepts what it says."""
    config = load_config(EXAMPLE, {"interfaces": ["veth0"]}).ptp
    assert config is not None and config.log_sync_interval == -3
    facts = InterfaceFacts("veth0", 2, "02:11:22:33:44:55", (), ())
    identity = clock_identity(config, facts)
    assert str(identity) == "021122.fffe.334455"
    port = port_config(config, facts, "software")
    assert port.delay_mechanism is DelayMechanism.E2E and port.network_protocol is NetworkProtocol.UDP_IPV4
    clock: PtpClock[object] = PtpClock(clock_config(config, identity, Timebase()), [port])
    assert clock.default_ds.clock_identity == identity
    assert clock.time_properties_ds.current_utc_offset == 37 and clock.time_properties_ds.ptp_timescale


def test_allow_list_matches_addresses_prefixes_and_macs() -> None:
    allow = ManagementAllowList.build(["198.18.0.0/24", "fd00::1", "02:aa:bb:cc:dd:ee"], HostFacts({}))
    assert allow.allows(("198.18.0.9", 320)) and not allow.allows(("198.19.0.9", 320))
    assert allow.allows(("fd00::1", 320, 0, 0)) and not allow.allows(("fd00::2", 320, 0, 0))
    assert allow.allows("02:aa:bb:cc:dd:ee") and not allow.allows("02:aa:bb:cc:dd:ef")


@pytest.fixture(scope="module")
def lab(make_module_lab: MakeLab) -> nslab.Lab:
    return make_module_lab("pair")


@pytest.mark.netns
@pytest.mark.parametrize(("ptp", "interface", "message"), [
    ("", "nope0", "ptp: interface 'nope0': no such interface"),
    ("timestamping = 'hardware'", None, "hardware timestamping: the interface has no PTP hardware clock"),
])
def test_start_failures_are_named(lab: nslab.Lab, ptp: str, interface: str | None, message: str) -> None:
    h1 = lab["h1"]
    config = h1.workdir / "fail.toml"
    config.write_text(f"[ptp]\n{ptp}\n")
    result = h1.run([sys.executable, "-m", "ptpbridge", "run", "--config", str(config), "--clock", "sim",
                     "--interface", interface or h1.ifname, "--control", str(h1.workdir / "fail.sock")],
                    timeout=60)
    assert result.returncode == 1, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
