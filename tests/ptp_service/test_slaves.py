# SPDX-License-Identifier: GPL-2.0-or-later
"""ptp4l slaves select our grandmaster and lock to it: UDPv4, UDPv6 and L2, E2E and P2P.

Our daemon serves a zero-error simulated PHC in TAI; the slaves (software
timestamps) run on the lab's one CLOCK_REALTIME and convert our TAI to UTC
with the offset we announce, so once locked what they measure is our
error plus the wire's: microseconds on veth. 100 us is a bound no working
grandmaster misses and a wrong timescale, a Follow_Up from the wrong Sync
or a broken Delay_Resp can never meet.
"""

from __future__ import annotations

import pytest

import nslab
from nslab.pytest_plugin import MakeLab
from nslab.peers import Ptp4l, Ptp4lConfig, pmc

from .helpers import grandmaster

pytestmark = [pytest.mark.netns, pytest.mark.peers]

BOUND_NS = 100_000
TRANSPORTS = {"UDPv4": "udpv4", "UDPv6": "udpv6", "L2": "l2"}


@pytest.fixture(scope="module")
def lab(make_module_lab: MakeLab) -> nslab.Lab:
    return make_module_lab("pair")


@pytest.mark.parametrize("delay", ["E2E", "P2P"])
@pytest.mark.parametrize("transport", list(TRANSPORTS))
def test_guarded_slave_locks_to_our_grandmaster(lab: nslab.Lab, transport: str, delay: str) -> None:
    h1, h2 = lab["h1"], lab["h2"]
    with grandmaster(h1, transport=TRANSPORTS[transport], delay_mechanism=delay.lower()) as gm:
        config = Ptp4lConfig(role="slave", transport=transport, delay_mechanism=delay, guarded=True)
        with Ptp4l(h2, config, name=f"slave-{transport}-{delay}") as slave:
            slave.wait_for_state("SLAVE", timeout=30)
            locked = slave.wait_for_offsets(16, timeout=30, servo_state=2)
            parent = {r.mgmt_id: r for r in pmc(h2, ["GET PARENT_DATA_SET"], uds=slave.uds_path)}
            ptp = gm.ptp()
    assert parent["PARENT_DATA_SET"]["grandmasterIdentity"] == ptp["clock_identity"]
    assert parent["PARENT_DATA_SET"]["parentPortIdentity"] == f"{ptp['clock_identity']}-1"
    for sample in locked[-8:]:
        assert abs(sample.offset_ns) < BOUND_NS, locked
        assert 0 < sample.path_delay_ns < BOUND_NS, locked
    (port,) = ptp["ports"]
    assert port["state"] == "MASTER" and port["transport"] == TRANSPORTS[transport]
    assert port["delay_mechanism"] == delay and port["timestamping"] == "software"
    assert port["sent"]["SYNC"] > 0 and port["sent"]["FOLLOW_UP"] > 0 and port["sent"]["ANNOUNCE"] > 0
    if delay == "E2E":
        assert port["received"]["DELAY_REQ"] > 0 and port["sent"]["DELAY_RESP"] > 0
    else:
        assert port["received"]["PDELAY_REQ"] > 0 and port["sent"]["PDELAY_RESP"] > 0
        assert port["sent"]["PDELAY_RESP_FOLLOW_UP"] > 0
    assert port["dropped"] == {} and port["tx_timestamp_timeouts"] == 0


def test_free_running_slave_takes_us_as_parent(lab: nslab.Lab) -> None:
    """Plain `free_running 1`: the slave stays UNCALIBRATED but measures us and names us its parent."""
    h1, h2 = lab["h1"], lab["h2"]
    with grandmaster(h1, priority1=64) as gm:
        with Ptp4l(h2, Ptp4lConfig(role="slave"), name="slave-free") as slave:
            slave.wait_for_state("UNCALIBRATED", timeout=30)
            samples = slave.wait_for_offsets(3, timeout=30)
            answers = {r.mgmt_id: r for r in pmc(h2, ["GET PARENT_DATA_SET", "GET TIME_STATUS_NP"],
                                                 uds=slave.uds_path)}
            identity = gm.ptp()["clock_identity"]
    parent = answers["PARENT_DATA_SET"]
    assert parent["grandmasterIdentity"] == identity and parent["grandmasterPriority1"] == 64
    assert answers["TIME_STATUS_NP"]["gmIdentity"] == identity
    assert answers["TIME_STATUS_NP"]["gmPresent"] is True
    assert all(abs(s.offset_ns) < BOUND_NS for s in samples), samples
