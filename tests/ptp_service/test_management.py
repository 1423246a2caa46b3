# SPDX-License-Identifier: GPL-2.0-or-later
"""pmc over the network reads our data sets; SET PRIORITY1 only from the allowed addresses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import nslab
from nslab.pytest_plugin import MakeLab
from nslab.peers import pmc
from ptpbridge.bench.ptp_lab import PtpbridgeGm

from .helpers import grandmaster

pytestmark = [pytest.mark.netns, pytest.mark.peers]

DOMAIN = 3


@pytest.fixture(scope="module")
def lab(make_module_lab: MakeLab) -> nslab.Lab:
    return make_module_lab("star", hosts=3)


@pytest.fixture(scope="module")
def gm(lab: nslab.Lab) -> Iterator[PtpbridgeGm]:
    """Our grandmaster on h1; only h3 may SET."""
    with grandmaster(lab["h1"], domain=DOMAIN, priority1=100, priority2=110, clock_class=13,
                     clock_accuracy=0x21, offset_scaled_log_variance=0x4E5D, time_source="gnss",
                     management_set_allow=[lab["h3"].ipv4]) as daemon:
        daemon.wait_for_port_state("MASTER", timeout=20)
        yield daemon


def test_pmc_get_returns_our_values(lab: nslab.Lab, gm: PtpbridgeGm) -> None:
    answers = pmc(lab["h2"], ["GET DEFAULT_DATA_SET", "GET PARENT_DATA_SET", "GET TIME_PROPERTIES_DATA_SET",
                              "GET PORT_DATA_SET", "GET TIME_STATUS_NP"], transport="UDPv4", domain=DOMAIN)
    ptp = gm.ptp()
    me = ptp["clock_identity"]
    by_id = {r.mgmt_id: r for r in answers}
    assert set(by_id) == {"DEFAULT_DATA_SET", "PARENT_DATA_SET", "TIME_PROPERTIES_DATA_SET", "PORT_DATA_SET",
                          "TIME_STATUS_NP"}, answers
    assert all(r.port_identity == f"{me}-1" for r in answers)
    dds = by_id["DEFAULT_DATA_SET"]
    assert (dds["clockIdentity"], dds["priority1"], dds["priority2"], dds["domainNumber"]) == (me, 100, 110, DOMAIN)
    assert (dds["clockClass"], dds["clockAccuracy"], dds["offsetScaledLogVariance"]) == (13, "0x21", "0x4e5d")
    assert dds["twoStepFlag"] == 1 and dds["slaveOnly"] == 0 and dds["numberPorts"] == 1
    parent = by_id["PARENT_DATA_SET"]
    assert parent["grandmasterIdentity"] == me and parent["parentPortIdentity"] == f"{me}-0"
    assert (parent["grandmasterPriority1"], parent["grandmasterPriority2"]) == (100, 110)
    assert parent["gm.ClockClass"] == 13
    tp = by_id["TIME_PROPERTIES_DATA_SET"]
    assert (tp["currentUtcOffset"], tp["currentUtcOffsetValid"], tp["ptpTimescale"]) == (37, 1, 1)
    assert (tp["leap61"], tp["leap59"], tp["timeSource"]) == (0, 0, "0x20")
    pds = by_id["PORT_DATA_SET"]
    assert (pds["portIdentity"], pds["portState"], pds["delayMechanism"]) == (f"{me}-1", "MASTER", 1)
    assert (pds["logAnnounceInterval"], pds["logSyncInterval"], pds["logMinDelayReqInterval"]) == (-3, -3, -3)
    assert pds["announceReceiptTimeout"] == 3
    status = by_id["TIME_STATUS_NP"]
    assert status["gmIdentity"] == me


def test_set_priority1_refused_from_a_disallowed_address(lab: nslab.Lab, gm: PtpbridgeGm) -> None:
    (answer,) = pmc(lab["h2"], ["SET PRIORITY1 7"], transport="UDPv4", domain=DOMAIN)
    assert "ERROR_STATUS" in answer.mgmt_id, answer
    assert gm.ptp()["priority1"] == 100
    assert gm.ptp()["ports"][0]["management_errors_sent"] >= 1


def test_set_priority1_accepted_from_an_allowed_address(lab: nslab.Lab, gm: PtpbridgeGm) -> None:
    (answer,) = pmc(lab["h3"], ["SET PRIORITY1 7"], transport="UDPv4", domain=DOMAIN)
    assert answer.mgmt_id == "PRIORITY1" and answer["priority1"] == 7, answer
    ptp = gm.ptp()
    assert ptp["priority1"] == 7 and ptp["grandmaster"]["priority1"] == 7
    (seen,) = pmc(lab["h2"], ["GET PRIORITY1"], transport="UDPv4", domain=DOMAIN)
    assert seen["priority1"] == 7


def test_default_allow_list_is_this_host_only(lab: nslab.Lab) -> None:
    h2 = lab["h2"]
    with grandmaster(h2, name="default-allow", domain=DOMAIN + 1) as daemon:
        allowed = daemon.ptp()["management_set_allow"]
        (answer,) = pmc(lab["h3"], ["SET PRIORITY1 9"], transport="UDPv4", domain=DOMAIN + 1)
        assert daemon.ptp()["priority1"] == 128
    assert f"{h2.ipv4}/32" in allowed and "127.0.0.0/8" in allowed and "::1/128" in allowed
    assert not any(a.startswith(lab["h3"].ipv4) or a.startswith(lab["h1"].ipv4) for a in allowed)
    assert "ERROR_STATUS" in answer.mgmt_id, answer
