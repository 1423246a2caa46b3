# SPDX-License-Identifier: GPL-2.0-or-later
"""Peers-only baselines: ptp4l master -> ptp4l slave over every transport and
delay mechanism, and pmc reading their datasets.

All hosts share CLOCK_REALTIME, so the true offset is 0: reported offsets
must be small (software timestamps on veth: microseconds, bound 1 ms) and
path delays positive and small.
"""

from __future__ import annotations

import itertools

import pytest

import nslab
from nslab.peers import Ptp4l, Ptp4lConfig, pmc

pytestmark = [pytest.mark.netns, pytest.mark.peers]

CASES = list(itertools.product(("UDPv4", "UDPv6", "L2"), ("E2E", "P2P")))
BOUND_NS = 1_000_000


def _check_offsets(samples: list[nslab.peers.OffsetSample]) -> None:
    for s in samples:
        assert abs(s.offset_ns) < BOUND_NS, s
        assert 0 < s.path_delay_ns < BOUND_NS, s


@pytest.mark.parametrize("transport,delay", CASES)
def test_guarded_slave_reaches_slave(lab_pair: nslab.Lab, transport: str, delay: str) -> None:
    """free_running 0 under clockguard: the servo locks (s2) and the port is SLAVE."""
    h1, h2 = lab_pair["h1"], lab_pair["h2"]
    tag = f"{transport}-{delay}".lower()
    with Ptp4l(h1, Ptp4lConfig(role="master", transport=transport, delay_mechanism=delay),
               name=f"gm-{tag}") as master, \
         Ptp4l(h2, Ptp4lConfig(role="slave", transport=transport, delay_mechanism=delay,
                               guarded=True), name=f"sl-{tag}") as slave:
        master.wait_for_state("MASTER")
        change = slave.wait_for_state("SLAVE", timeout=40)
        assert change.event == "MASTER_CLOCK_SELECTED"
        locked = slave.wait_for_offsets(8, servo_state=2, timeout=40)
        _check_offsets(locked)
        # pmc through the slave's Unix socket
        answers = {r.mgmt_id: r for r in pmc(h2, ["GET PORT_DATA_SET", "GET PARENT_DATA_SET",
                                                  "GET CURRENT_DATA_SET"], uds=slave.uds_path)}
        assert answers["PORT_DATA_SET"]["portState"] == "SLAVE"
        assert answers["PORT_DATA_SET"]["delayMechanism"] == (1 if delay == "E2E" else 2)
        assert answers["CURRENT_DATA_SET"]["stepsRemoved"] == 1
        mine = pmc(h1, ["GET DEFAULT_DATA_SET"], uds=master.uds_path)[0]
        assert answers["PARENT_DATA_SET"]["grandmasterIdentity"] == mine["clockIdentity"]


@pytest.mark.parametrize("transport,delay", CASES)
def test_free_running_slave_stays_uncalibrated(lab_pair: nslab.Lab, transport: str,
                                               delay: str) -> None:
    """free_running 1 (the default): BMCA picks the master (RS_SLAVE), the
    port stays UNCALIBRATED and every report is s0, one a second."""
    h1, h2 = lab_pair["h1"], lab_pair["h2"]
    tag = f"{transport}-{delay}".lower()
    with Ptp4l(h1, Ptp4lConfig(role="master", transport=transport, delay_mechanism=delay),
               name=f"fgm-{tag}"), \
         Ptp4l(h2, Ptp4lConfig(role="slave", transport=transport, delay_mechanism=delay),
               name=f"fsl-{tag}") as slave:
        change = slave.wait_for_state("UNCALIBRATED", timeout=40)
        assert change.event == "RS_SLAVE"
        reports = slave.wait_for_offsets(2, timeout=40)
        assert {r.servo_state for r in reports} == {0}
        _check_offsets(reports)
        assert slave.port_state() == "UNCALIBRATED"
        # one line per second (freq_est_interval 0), not one per Sync
        assert 0.5 < reports[1].ts - reports[0].ts < 3.0


def test_pmc_over_the_network(lab_star: nslab.Lab) -> None:
    """pmc from another host over UDPv4 reaches every ptp4l of the domain."""
    h1, h2, h3 = lab_star["h1"], lab_star["h2"], lab_star["h3"]
    with Ptp4l(h1, Ptp4lConfig(role="master", domain=7), name="net-gm") as gm, \
         Ptp4l(h2, Ptp4lConfig(role="slave", domain=7, guarded=True), name="net-sl") as sl:
        sl.wait_for_state("SLAVE", timeout=40)
        ids = {pmc(h, ["GET DEFAULT_DATA_SET"], uds=p.uds_path, domain=7)[0]["clockIdentity"]
               for h, p in ((h1, gm), (h2, sl))}
        answers = pmc(h3, ["GET DEFAULT_DATA_SET"], transport="UDPv4", domain=7)
        assert {r["clockIdentity"] for r in answers} == ids
        assert all(r["domainNumber"] == 7 for r in answers)
        states = pmc(h3, ["GET PORT_DATA_SET"], transport="UDPv4", domain=7)
        assert sorted(str(r["portState"]) for r in states) == ["MASTER", "SLAVE"]
