# SPDX-License-Identifier: GPL-2.0-or-later
"""Against what no one here wrote: pmc reads our management answers, ptp4l follows our
master role and leads our slave role, over UDPv4 in a namespace pair.

The core runs in ``udp_harness.UdpLoop`` (plain sockets, kernel software
timestamps). Lab hosts share CLOCK_REALTIME, so offsets must be small.
"""

from __future__ import annotations

import statistics
import time

import pytest

import nslab
from nslab.peers import Ptp4l, Ptp4lConfig, pmc
from ptpbridge.core.ptp import ClockConfig, PathDelaySample, PortConfig, PtpClock, SyncSample, TimePropertiesDS
from ptpbridge.wire.ptp.constants import TimeSource
from ptpbridge.wire.ptp.values import ClockIdentity, ClockQuality

from .udp_harness import Addr, UdpLoop

pytestmark = [pytest.mark.netns, pytest.mark.peers]

ME = ClockIdentity.parse("02aa00.fffe.000001")
PC = PortConfig(log_announce_interval=-3, log_sync_interval=-3, log_min_delay_req_interval=-3,
                interface="veth0")  # fmt: skip
TP = TimePropertiesDS(current_utc_offset=37, current_utc_offset_valid=True, ptp_timescale=True,
                      time_traceable=True, time_source=TimeSource.GNSS)  # fmt: skip
BOUND_NS = 1_000_000  # software timestamps on veth: microseconds; 1 ms is a generous bound


def core(**kw: object) -> PtpClock[Addr]:
    cfg = ClockConfig(clock_identity=ME, time_properties=TP, **kw)  # type: ignore[arg-type]
    return PtpClock(cfg, [PC])


def wait(predicate: object, timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_pmc_reads_our_data_sets(lab_pair: nslab.Lab) -> None:
    h1, h2 = lab_pair["h1"], lab_pair["h2"]
    clock = core(priority1=17, priority2=33, clock_quality=ClockQuality(6, 0x21, 0x4E5D))
    with UdpLoop(h2, clock):
        answers = pmc(h1, ["GET DEFAULT_DATA_SET", "GET PARENT_DATA_SET", "GET TIME_PROPERTIES_DATA_SET",
                           "GET PORT_DATA_SET", "GET CURRENT_DATA_SET", "GET TIME_STATUS_NP",
                           "GET PRIORITY1", "GET DOMAIN", "GET VERSION_NUMBER", "GET PORT_PROPERTIES_NP"],
                      transport="UDPv4")  # fmt: skip
    by_id = {r.mgmt_id: r for r in answers}
    me = f"{ME}-1"
    assert all(r.port_identity == me for r in answers), answers
    dds = by_id["DEFAULT_DATA_SET"]
    assert (dds["priority1"], dds["priority2"], dds["clockClass"], dds["numberPorts"]) == (17, 33, 6, 1)
    assert dds["clockIdentity"] == str(ME) and dds["twoStepFlag"] == 1 and dds["domainNumber"] == 0
    assert dds["clockAccuracy"] == "0x21" and dds["offsetScaledLogVariance"] == "0x4e5d"
    assert by_id["PARENT_DATA_SET"]["grandmasterIdentity"] == str(ME)
    assert by_id["PARENT_DATA_SET"]["parentPortIdentity"] == f"{ME}-0"
    tp = by_id["TIME_PROPERTIES_DATA_SET"]
    assert (tp["currentUtcOffset"], tp["currentUtcOffsetValid"], tp["ptpTimescale"], tp["timeTraceable"]) == (
        37, 1, 1, 1)  # fmt: skip
    assert tp["timeSource"] == "0x20"
    pds = by_id["PORT_DATA_SET"]
    assert pds["portIdentity"] == me and pds["portState"] in ("LISTENING", "MASTER")
    assert (pds["logAnnounceInterval"], pds["logSyncInterval"], pds["delayMechanism"]) == (-3, -3, 1)
    assert by_id["CURRENT_DATA_SET"]["stepsRemoved"] == 0
    assert by_id["TIME_STATUS_NP"]["gmIdentity"] == str(ME) and by_id["TIME_STATUS_NP"]["gmPresent"] is False
    assert by_id["PRIORITY1"]["priority1"] == 17 and by_id["DOMAIN"]["domainNumber"] == 0
    # pmc prints the whole octet: minorVersionPTP 1, versionPTP 2 (ptp4l 4.x shows the same 18)
    assert by_id["VERSION_NUMBER"]["versionNumber"] == 0x12
    props = by_id["PORT_PROPERTIES_NP"]
    assert (props["portIdentity"], props["timestamping"], props["interface"]) == (me, "HARDWARE", "veth0")


@pytest.mark.parametrize("allowed", [True, False])
def test_pmc_set_priority1(lab_pair: nslab.Lab, allowed: bool) -> None:
    h1, h2 = lab_pair["h1"], lab_pair["h2"]
    clock: PtpClock[Addr] = PtpClock(
        ClockConfig(clock_identity=ME, priority1=100), [PC],
        allow_management_set=lambda source: allowed and source[0] == h1.ipv4,
    )  # fmt: skip
    with UdpLoop(h2, clock):
        (answer,) = pmc(h1, ["SET PRIORITY1 3"], transport="UDPv4")
    if allowed:
        assert answer.mgmt_id == "PRIORITY1" and answer["priority1"] == 3
        assert clock.default_ds.priority1 == 3
    else:
        assert "ERROR_STATUS" in answer.mgmt_id
        assert clock.default_ds.priority1 == 100


def test_ptp4l_follows_our_master(lab_pair: nslab.Lab) -> None:
    h1, h2 = lab_pair["h1"], lab_pair["h2"]
    clock = core(priority1=1)
    with UdpLoop(h2, clock), Ptp4l(h1, Ptp4lConfig(role="slave"), name="sl-core") as slave:
        slave.wait_for_state("UNCALIBRATED", timeout=20)
        samples = slave.wait_for_offsets(5, timeout=20)
        parent = {r.mgmt_id: r for r in pmc(h1, ["GET PARENT_DATA_SET"], uds=slave.uds_path)}
        assert clock.port(1).state.name == "MASTER"
    assert parent["PARENT_DATA_SET"]["grandmasterIdentity"] == str(ME)
    assert parent["PARENT_DATA_SET"]["grandmasterPriority1"] == 1
    for s in samples:
        assert abs(s.offset_ns) < BOUND_NS, s
        assert 0 < s.path_delay_ns < BOUND_NS, s  # our Delay_Resp was understood


def test_we_follow_a_ptp4l_master(lab_pair: nslab.Lab) -> None:
    h1, h2 = lab_pair["h1"], lab_pair["h2"]
    clock = core()
    with Ptp4l(h1, Ptp4lConfig(role="master", priority1=5), name="gm-core") as gm:
        gm.wait_for_state("MASTER")
        with UdpLoop(h2, clock) as loop:
            ok = wait(lambda: sum(isinstance(a, PathDelaySample) for a in list(loop.events)) >= 5)
            events = list(loop.events)
            state = clock.port(1).state.name
            parent = clock.parent_ds
    assert ok, events[-5:]
    assert state == "SLAVE"
    assert parent.grandmaster_priority1 == 5 and parent.parent_port_identity.port_number == 1
    assert parent.grandmaster_identity != ME
    delays = [a.mean_path_delay_ns for a in events if isinstance(a, PathDelaySample)]
    assert all(0 < d < BOUND_NS for d in delays), delays
    offsets = [a.offset_ns for a in events if isinstance(a, SyncSample) and a.offset_ns is not None]
    assert len(offsets) >= 3
    # ptp4l on CLOCK_REALTIME stamps in UTC while we stamp TAI; either way the spread is small
    middle = statistics.median(offsets)
    assert min(abs(middle), abs(middle - 37_000_000_000)) < BOUND_NS, middle
    assert all(abs(o - middle) < BOUND_NS for o in offsets)
