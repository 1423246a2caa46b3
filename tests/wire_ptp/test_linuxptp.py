# SPDX-License-Identifier: GPL-2.0-or-later
"""Real linuxptp traffic round-trips through both codecs and matches Wireshark.

A ptp4l master (h1) and a free-running ptp4l slave (h2) run in a namespace
lab over UDPv4, UDPv6 and L2, with E2E and with P2P, while pmc on a third
host (h3) sends GET requests for several data sets over the same transport.
Everything h2's interface sees is captured and handed to
``tshark_compare.compare_capture``: every packet dissects with our layers,
our fields equal tshark's, rebuilding gives the captured octets, and the
fast codec decodes, re-encodes and agrees.

Software timestamps and ``free_running 1`` on both ptp4l (nslab's default):
nothing steers the shared clock.
"""

from __future__ import annotations

import itertools
import shutil
import time
from typing import Any

import pytest
from scapy.utils import rdpcap

import nslab
from nslab.peers import Capture, PmcResponse, Ptp4l, Ptp4lConfig, pmc
from ptpbridge.wire.ptp import fast
from ptpbridge.wire.ptp.constants import ETHERTYPE_PTP, EVENT_PORT, GENERAL_PORT, ActionField, ManagementId, PortState
from ptpbridge.wire.ptp.frames import ptp_in_frame
from ptpbridge.wire.ptp.layers import PTP
from ptpbridge.wire.ptp.tlvs import TLVManagement
from ptpbridge.wire.ptp.values import ClockIdentity

from .tshark_compare import compare_capture_report

pytestmark = [
    pytest.mark.netns,
    pytest.mark.peers,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("ptp4l") is None or shutil.which("tshark") is None,
                       reason="needs linuxptp and tshark"),  # fmt: skip
]

CASES = list(itertools.product(("UDPv4", "UDPv6", "L2"), ("E2E", "P2P")))
RUN_S = 6.0
PMC_GETS = [
    "GET DEFAULT_DATA_SET",
    "GET CURRENT_DATA_SET",
    "GET PARENT_DATA_SET",
    "GET TIME_PROPERTIES_DATA_SET",
    "GET PORT_DATA_SET",
    "GET PRIORITY1",
    "GET DOMAIN",
    "GET CLOCK_DESCRIPTION",
    "GET LOG_SYNC_INTERVAL",
    "GET TIME_STATUS_NP",
    "GET PORT_PROPERTIES_NP",
]
EXPECTED_TYPES = {
    "E2E": {"SYNC", "FOLLOW_UP", "DELAY_REQ", "DELAY_RESP", "ANNOUNCE", "MANAGEMENT"},
    "P2P": {"SYNC", "FOLLOW_UP", "PDELAY_REQ", "PDELAY_RESP", "PDELAY_RESP_FOLLOW_UP", "ANNOUNCE", "MANAGEMENT"},
}
CAPTURE_FILTER = f"ether proto {ETHERTYPE_PTP:#06x} or udp port {EVENT_PORT} or udp port {GENERAL_PORT}"


@pytest.fixture(scope="module")
def wire_lab(lab_star: nslab.Lab) -> nslab.Lab:
    """The module's star lab; its bridge forwards the L2 peer-delay group too."""
    return lab_star


def _config(role: str, transport: str, delay: str) -> Ptp4lConfig:
    return Ptp4lConfig(
        role=role,
        transport=transport,
        delay_mechanism=delay,
        log_announce_interval=-2,
        announce_receipt_timeout=2,
        log_sync_interval=-2,
        log_min_delay_req_interval=-2,
        log_min_pdelay_req_interval=-2,
    )


@pytest.mark.parametrize("transport,delay", CASES, ids=[f"{t}-{d}" for t, d in CASES])
def test_linuxptp_capture_round_trips(wire_lab: nslab.Lab, transport: str, delay: str) -> None:
    h1, h2, h3 = wire_lab["h1"], wire_lab["h2"], wire_lab["h3"]
    tag = f"{transport}-{delay}".lower()
    capture = Capture(h2, CAPTURE_FILTER, name=f"wire-{tag}").start()
    try:
        with Ptp4l(h1, _config("master", transport, delay), name=f"wgm-{tag}"), \
             Ptp4l(h2, _config("slave", transport, delay), name=f"wsl-{tag}") as slave:  # fmt: skip
            started = time.monotonic()
            slave.wait_for_state("UNCALIBRATED", timeout=30)
            answers = pmc(h3, PMC_GETS, transport=transport)
            time.sleep(max(0.0, RUN_S - (time.monotonic() - started)))
    finally:
        capture.stop()

    assert {r.mgmt_id for r in answers} >= {"DEFAULT_DATA_SET", "PORT_DATA_SET", "CURRENT_DATA_SET"}
    report = compare_capture_report(capture.pcap_path)
    print(f"{transport}/{delay}: {report.ptp_frames} PTP frames, types {report.message_types}, "
          f"TLVs {report.tlv_types}, management {report.management_ids}")  # fmt: skip
    assert report.mismatches == [], "\n".join(report.mismatches[:40])
    assert EXPECTED_TYPES[delay] <= set(report.message_types), report.message_types
    assert {"DEFAULT_DATA_SET", "PARENT_DATA_SET", "PORT_DATA_SET", "TIME_PROPERTIES_DATA_SET"} <= set(
        report.management_ids
    ), report.management_ids
    assert set(report.transports) == {"udp4" if transport == "UDPv4" else "udp6" if transport == "UDPv6" else "l2"}

    # linuxptp derives the clockIdentity from the interface MAC the way ClockIdentity.from_mac does.
    mac = h1.run(["cat", f"/sys/class/net/{h1.ifname}/address"], check=True).stdout.strip()
    gm_ids = set()
    responses: dict[tuple[str, int, int], object] = {}
    for pkt in rdpcap(str(capture.pcap_path)):
        found = ptp_in_frame(bytes(pkt.original))
        if found is None:
            continue
        msg = fast.decode(found.payload)
        if isinstance(msg, fast.AnnounceMsg):
            gm_ids.add(msg.grandmaster_identity)
        if isinstance(msg, fast.ManagementMsg) and msg.action == ActionField.RESPONSE:
            tlv = PTP(found.payload).payload.tlvs[0]
            if isinstance(tlv, TLVManagement):
                responses[(str(msg.source_port_identity), msg.sequence_id, tlv.managementId)] = tlv.payload
    assert gm_ids == {ClockIdentity.from_mac(mac)}
    _check_against_pmc(answers, responses)


def _check_against_pmc(answers: list[PmcResponse], responses: dict[tuple[str, int, int], Any]) -> None:
    """What pmc printed equals what our layers read from the same RESPONSE messages on the wire.

    This covers data sets tshark does not decode (TIME_STATUS_NP) and the spelling of identities.
    """
    checked = set()
    for answer in answers:
        if answer.mgmt_id not in ManagementId.__members__:
            continue  # an error status
        data = responses.get((answer.port_identity, answer.seq, ManagementId[answer.mgmt_id]))
        assert data is not None, f"no captured RESPONSE for {answer}"
        f = answer.fields
        if answer.mgmt_id == "DEFAULT_DATA_SET":
            assert str(data.clockIdentity) == f["clockIdentity"]
            assert (data.priority1, data.priority2, data.domainNumber) == (f["priority1"], f["priority2"], f["domainNumber"])
            assert data.clockQuality.clock_class == f["clockClass"]
            assert data.clockQuality.clock_accuracy == int(str(f["clockAccuracy"]), 16)
            assert (int(data.flags.twoStep), int(data.flags.slaveOnly)) == (f["twoStepFlag"], f["slaveOnly"])
        elif answer.mgmt_id == "PORT_DATA_SET":
            assert str(data.portIdentity) == f["portIdentity"] == answer.port_identity
            assert PortState(data.portState).name == f["portState"]
            assert (data.logAnnounceInterval, data.logSyncInterval) == (f["logAnnounceInterval"], f["logSyncInterval"])
            assert (data.delayMechanism, data.versionNumber) == (f["delayMechanism"], f["versionNumber"])
        elif answer.mgmt_id == "TIME_STATUS_NP":
            assert str(data.gmIdentity) == f["gmIdentity"]
            assert bool(data.gmPresent) == f["gmPresent"]
            assert (data.master_offset, data.ingress_time) == (f["master_offset"], f["ingress_time"])
        elif answer.mgmt_id == "CLOCK_DESCRIPTION":
            assert data.physicalAddress.hex(":") == f["physicalAddress"]
            assert data.physicalLayerProtocol.decode() == f["physicalLayerProtocol"]
            assert data.profileIdentity.hex(":") == f["profileId"]
        else:
            continue
        checked.add(answer.mgmt_id)
    assert checked == {"DEFAULT_DATA_SET", "PORT_DATA_SET", "TIME_STATUS_NP", "CLOCK_DESCRIPTION"}
