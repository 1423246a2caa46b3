# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge status` of a running grandmaster: the `ptp` section, JSON and table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import nslab
from nslab.peers import Ptp4l, Ptp4lConfig, pmc
from ptpbridge.bench.ptp_lab import PtpbridgeGm
from nslab.pytest_plugin import MakeLab

from .helpers import grandmaster, wait_until

pytestmark = [pytest.mark.netns, pytest.mark.peers]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lab-grandmaster.toml"


@pytest.fixture(scope="module")
def lab(make_module_lab: MakeLab) -> nslab.Lab:
    return make_module_lab("pair")


def test_status_shows_the_ptp_section(lab: nslab.Lab) -> None:
    h1 = lab["h1"]
    with grandmaster(h1) as gm:
        gm.wait_for_port_state("MASTER", timeout=20)
        wait_until("a few Syncs", lambda: True if gm.ptp()["ports"][0]["sent"].get("SYNC", 0) >= 3 else None)
        # The CLI as a user runs it (the control socket is a file: reachable from any namespace).
        cli = [sys.executable, "-m", "ptpbridge", "status", "--control", str(gm.control)]
        as_json = subprocess.run([*cli, "--json"], capture_output=True, text=True, timeout=30)
        table = subprocess.run(cli, capture_output=True, text=True, timeout=30)
    assert as_json.returncode == 0, as_json.stderr
    ptp = json.loads(as_json.stdout)["ptp"]
    (port,) = ptp["ports"]
    assert (port["interface"], port["state"], port["transport"]) == (h1.ifname, "MASTER", "udpv4")
    assert port["delay_mechanism"] == "E2E" and port["timestamping"] == "software"
    assert port["sent"]["SYNC"] >= 3 and port["sent"]["FOLLOW_UP"] >= 1 and port["sent"]["ANNOUNCE"] >= 1
    assert port["io"]["tx_timestamps"] >= 3 and port["tx_timestamp_timeouts"] == 0
    assert ptp["is_grandmaster"] and ptp["grandmaster"]["identity"] == ptp["clock_identity"]
    assert ptp["parent_port_identity"] == f"{ptp['clock_identity']}-0"
    assert ptp["time_properties"]["current_utc_offset"] == 37 and ptp["time_properties"]["ptp_timescale"]
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert any(line.startswith("PTP port 1 ") and f"{h1.ifname} MASTER" in line for line in lines), table.stdout
    assert any(line.startswith("PTP grandmaster") and "this clock" in line for line in lines), table.stdout
    assert len({line.index(" : ") for line in lines}) == 1, table.stdout


def test_example_config_serves_a_slave(lab: nslab.Lab) -> None:
    """examples/lab-grandmaster.toml as the README says: in a lab host, --interface and --clock sim."""
    h1, h2 = lab["h1"], lab["h2"]
    gm = PtpbridgeGm(h1, EXAMPLE.read_text(encoding="utf-8"), name="example").start()
    try:
        gm.wait_for_port_state("MASTER", timeout=20)
        with Ptp4l(h2, Ptp4lConfig(role="slave", log_announce_interval=-2), name="example-slave") as slave:
            slave.wait_for_state("UNCALIBRATED", timeout=30)
            parent = {r.mgmt_id: r for r in pmc(h2, ["GET PARENT_DATA_SET"], uds=slave.uds_path)}
            ptp = wait_until("the slave's Delay_Req answered",
                             lambda: p if (p := gm.ptp())["ports"][0]["sent"].get("DELAY_RESP") else None)
    finally:
        gm.stop()
    assert parent["PARENT_DATA_SET"]["grandmasterIdentity"] == ptp["clock_identity"]
    assert ptp["ports"][0]["received"]["DELAY_REQ"] > 0 and ptp["ports"][0]["dropped"] == {}
