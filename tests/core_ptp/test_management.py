# SPDX-License-Identifier: GPL-2.0-or-later
"""The management responder, checked by dissecting its answers with the scapy layers."""

from __future__ import annotations

from typing import Any

import pytest

from ptpbridge.core.ptp import MULTICAST, Channel, PortConfig
from ptpbridge.core.ptp.datasets import TimePropertiesDS
from ptpbridge.wire.ptp.constants import (
    ActionField,
    ClockType,
    DelayMechanism,
    LinuxptpTimestamping,
    ManagementErrorId,
    ManagementId,
    MessageType,
    PortState,
)
from ptpbridge.wire.ptp.fast import ManagementMsg, decode
from ptpbridge.wire.ptp.management import MgmtPriority1, MgmtPriority2
from ptpbridge.wire.ptp.tlvs import PTPTLV, TLVManagement, TLVManagementErrorStatus
from ptpbridge.wire.ptp.values import ClockQuality, PortIdentity

from .helpers import NS, OTHER, US, Driver, announce, make_driver, management, pid

PMC = pid(OTHER, 0x1234)
QUALITY = ClockQuality(6, 0x21, 0x4E5D)
TP = TimePropertiesDS(current_utc_offset=37, current_utc_offset_valid=True, ptp_timescale=True, time_source=0x20,
                      time_traceable=True)  # fmt: skip
PORTS = [
    PortConfig(log_announce_interval=0, log_sync_interval=-4, log_min_delay_req_interval=-3, interface="eth1",
               announce_receipt_timeout=4),
    PortConfig(delay_mechanism=DelayMechanism.P2P, log_min_pdelay_req_interval=2, interface="eth2",
               timestamping=LinuxptpTimestamping.SOFTWARE),
]  # fmt: skip


def gm(**kw: Any) -> Driver:
    d = make_driver(ports=PORTS, clock_quality=QUALITY, priority1=10, priority2=20, domain_number=0,
                    time_properties=TP, **kw)  # fmt: skip
    d.advance_to(4 * NS)
    assert d.state(1) is PortState.MASTER
    d.sent.clear()
    return d


def ask(d: Driver, management_id: int, **kw: Any) -> list[tuple[ManagementMsg, Any]]:
    """Send one request on port 1; the responses as (message, dissected TLV)."""
    source = kw.pop("source", "pmc")
    unicast = kw.pop("unicast_rx", False)
    before = len(d.sent)
    d.receive(management(PMC, 42, management_id, **kw), source=source, unicast=unicast)
    out = []
    for _, action in d.sent[before:]:
        assert action.message_type is MessageType.MANAGEMENT and action.channel is Channel.GENERAL
        msg = decode(action.data)
        assert isinstance(msg, ManagementMsg)
        out.append((msg, PTPTLV(msg.tlvs)))
    return out


def one(d: Driver, management_id: int, **kw: Any) -> Any:
    (answer,) = ask(d, management_id, **kw)
    msg, tlv = answer
    assert msg.action == ActionField.RESPONSE
    assert msg.sequence_id == 42 and msg.target_port_identity == PMC
    assert isinstance(tlv, TLVManagement) and tlv.managementId == management_id
    return tlv.payload


def test_response_header() -> None:
    d = gm()
    (answer,) = ask(d, ManagementId.DEFAULT_DATA_SET)
    msg, _ = answer
    assert msg.source_port_identity == PortIdentity(US, 1)
    assert msg.control == 4 and msg.log_message_interval == 0x7F
    assert msg.starting_boundary_hops == 0 and msg.boundary_hops == 0  # request had 1 and 1
    assert d.sent[-1][1].destination is MULTICAST and not msg.unicast


def test_clock_data_sets() -> None:
    d = gm()
    dds = one(d, ManagementId.DEFAULT_DATA_SET)
    assert (dds.numberPorts, dds.priority1, dds.priority2, dds.domainNumber) == (2, 10, 20, 0)
    assert dds.clockQuality == QUALITY and dds.clockIdentity == US
    assert int(dds.flags) == 1  # twoStep, not slaveOnly
    cds = one(d, ManagementId.CURRENT_DATA_SET)
    assert (cds.stepsRemoved, cds.offsetFromMaster, cds.meanPathDelay) == (0, 0, 0)
    pds = one(d, ManagementId.PARENT_DATA_SET)
    assert pds.parentPortIdentity == PortIdentity(US, 0) and pds.grandmasterIdentity == US
    assert pds.grandmasterClockQuality == QUALITY
    assert (pds.grandmasterPriority1, pds.grandmasterPriority2) == (10, 20)
    tpds = one(d, ManagementId.TIME_PROPERTIES_DATA_SET)
    assert tpds.currentUtcOffset == 37 and int(tpds.flags) == TP.flag_bits() and tpds.timeSource == 0x20
    assert one(d, ManagementId.PRIORITY1).priority1 == 10
    assert one(d, ManagementId.PRIORITY2).priority2 == 20
    assert one(d, ManagementId.DOMAIN).domainNumber == 0
    assert int(one(d, ManagementId.SLAVE_ONLY).flags) == 0
    assert one(d, ManagementId.CLOCK_ACCURACY).clockAccuracy == 0x21
    utc = one(d, ManagementId.UTC_PROPERTIES)
    assert utc.currentUtcOffset == 37 and int(utc.flags) == 1 << 2
    assert int(one(d, ManagementId.TRACEABILITY_PROPERTIES).flags) == 1 << 4
    ts = one(d, ManagementId.TIMESCALE_PROPERTIES)
    assert int(ts.flags) == 1 << 3 and ts.timeSource == 0x20
    status = one(d, ManagementId.TIME_STATUS_NP)
    assert status.gmPresent == 0 and status.gmIdentity == US and status.master_offset == 0


def test_port_level_ids_answer_once_per_port() -> None:
    d = gm()
    answers = ask(d, ManagementId.PORT_DATA_SET)
    assert [m.source_port_identity for m, _ in answers] == [PortIdentity(US, 1), PortIdentity(US, 2)]
    p1, p2 = (tlv.payload for _, tlv in answers)
    assert p1.portIdentity == PortIdentity(US, 1) and p1.portState == PortState.MASTER
    assert (p1.logMinDelayReqInterval, p1.logAnnounceInterval, p1.announceReceiptTimeout) == (-3, 0, 4)
    assert (p1.logSyncInterval, p1.delayMechanism, p1.versionNumber) == (-4, DelayMechanism.E2E, 2)
    assert p2.delayMechanism == DelayMechanism.P2P and p2.logMinPdelayReqInterval == 2
    # the other per-port ids
    assert [t.payload.logAnnounceInterval for _, t in ask(d, ManagementId.LOG_ANNOUNCE_INTERVAL)] == [0, 1]
    assert [t.payload.announceReceiptTimeout for _, t in ask(d, ManagementId.ANNOUNCE_RECEIPT_TIMEOUT)] == [4, 3]
    assert [t.payload.logSyncInterval for _, t in ask(d, ManagementId.LOG_SYNC_INTERVAL)] == [-4, 0]
    assert [t.payload.versionNumber for _, t in ask(d, ManagementId.VERSION_NUMBER)] == [2, 2]
    assert [t.payload.delayMechanism for _, t in ask(d, ManagementId.DELAY_MECHANISM)] == [1, 2]
    props = [t.payload for _, t in ask(d, ManagementId.PORT_PROPERTIES_NP)]
    assert [(p.portIdentity.port_number, p.portState, p.timestamping, p.interface) for p in props] == [
        (1, PortState.MASTER, LinuxptpTimestamping.HARDWARE, b"eth1"),
        (2, d.state(2), LinuxptpTimestamping.SOFTWARE, b"eth2"),
    ]
    desc = [t.payload for _, t in ask(d, ManagementId.CLOCK_DESCRIPTION)]
    assert desc[0].clockType == ClockType.BOUNDARY and desc[0].productDescription.startswith(b"ptpbridge")
    assert desc[0].profileIdentity == bytes.fromhex("001b19000100")
    assert desc[1].profileIdentity == bytes.fromhex("001b19000200")
    # one port by number, and a port that does not exist
    (only,) = ask(d, ManagementId.PORT_DATA_SET, target=PortIdentity(US, 2))
    assert only[1].payload.portIdentity == PortIdentity(US, 2)
    (missing,) = ask(d, ManagementId.PORT_DATA_SET, target=PortIdentity(US, 9))
    assert isinstance(missing[1], TLVManagementErrorStatus)
    assert missing[1].managementErrorId == ManagementErrorId.WRONG_VALUE


def test_requests_for_other_clocks_are_not_answered() -> None:
    d = gm()
    assert ask(d, ManagementId.DEFAULT_DATA_SET, target=PortIdentity(OTHER, 0xFFFF)) == []
    assert d.clock.port(1).counters.ignored >= 1
    assert ask(d, ManagementId.DEFAULT_DATA_SET, domain=7) == []


def error_of(d: Driver, management_id: int, **kw: Any) -> int:
    (answer,) = ask(d, management_id, **kw)
    msg, tlv = answer
    assert isinstance(tlv, TLVManagementErrorStatus), tlv
    assert tlv.managementId == management_id
    return int(tlv.managementErrorId)


def test_errors() -> None:
    d = gm(allow_set=True)
    assert error_of(d, ManagementId.GRANDMASTER_CLUSTER_TABLE) == ManagementErrorId.NOT_SUPPORTED
    assert error_of(d, 0x7777) == ManagementErrorId.NOT_SUPPORTED
    assert error_of(d, ManagementId.DOMAIN, action=ActionField.SET, body=MgmtPriority1(priority1=1),
                    source="admin") == ManagementErrorId.NOT_SETABLE  # fmt: skip
    assert error_of(d, ManagementId.PRIORITY1, action=ActionField.SET, source="admin") == ManagementErrorId.WRONG_LENGTH
    (ack,) = ask(d, ManagementId.INITIALIZE, action=ActionField.COMMAND)
    assert ack[0].action == ActionField.ACKNOWLEDGE and ack[1].managementErrorId == ManagementErrorId.NOT_SUPPORTED
    assert d.clock.port(1).counters.management_errors_sent == 5
    # responses from other managers are not requests
    assert ask(d, ManagementId.DEFAULT_DATA_SET, action=ActionField.RESPONSE) == []


def test_set_priority_refused_from_a_disallowed_source() -> None:
    d = gm(allow_set=True)
    code = error_of(d, ManagementId.PRIORITY1, action=ActionField.SET, body=MgmtPriority1(priority1=200),
                    source="intruder")  # fmt: skip
    assert code == ManagementErrorId.NOT_SUPPORTED
    assert d.clock.default_ds.priority1 == 10
    # and with no predicate at all, nobody may set
    d2 = gm()
    assert error_of(d2, ManagementId.PRIORITY2, action=ActionField.SET, body=MgmtPriority2(priority2=1),
                    source="admin") == ManagementErrorId.NOT_SUPPORTED  # fmt: skip
    assert d2.clock.default_ds.priority2 == 20


def test_set_priority_from_an_allowed_source_reruns_the_bmca() -> None:
    d = make_driver(ports=[PortConfig(log_announce_interval=0)], allow_set=True, priority1=128)
    for seq in range(2):
        d.receive(announce(pid(OTHER), seq, priority1=100, log_interval=0))
        d.advance(NS // 2)
    assert d.state() is PortState.UNCALIBRATED and not d.clock.is_grandmaster
    reply = one(d, ManagementId.PRIORITY1, action=ActionField.SET, body=MgmtPriority1(priority1=50), source="admin")
    assert reply.priority1 == 50
    assert d.clock.default_ds.priority1 == 50
    # we now beat the foreign master (100): M2, grandmaster at once
    assert d.state() is PortState.MASTER and d.clock.is_grandmaster
    assert d.clock.parent_ds.grandmaster_priority1 == 50
    reply2 = one(d, ManagementId.PRIORITY2, action=ActionField.SET, body=MgmtPriority2(priority2=3), source="admin")
    assert reply2.priority2 == 3 and d.clock.parent_ds.grandmaster_priority2 == 3


@pytest.mark.parametrize("flag_in_request", [True, False])
def test_unicast_request_gets_a_unicast_answer(flag_in_request: bool) -> None:
    d = gm()
    kw: dict[str, Any] = {"unicast": True} if flag_in_request else {"unicast_rx": True}
    (answer,) = ask(d, ManagementId.PRIORITY1, source="192.0.2.7", **kw)
    assert d.sent[-1][1].destination == "192.0.2.7"
    assert answer[0].unicast
