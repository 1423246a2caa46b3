# SPDX-License-Identifier: GPL-2.0-or-later
"""Sample PTP messages built with our scapy layers: every message type and every TLV.

Values are deliberately not defaults (odd sequence ids, negative
corrections, every flag set somewhere, non-trivial timestamps) so a field
read from the wrong octets shows up as a mismatch.
"""

from __future__ import annotations

from typing import Any

from ptpbridge.wire.ptp.constants import (
    ActionField,
    ClockAccuracy,
    DelayMechanism,
    Flag,
    ManagementErrorId,
    ManagementId,
    MessageType,
    PortState,
    TimeSource,
)
from ptpbridge.wire.ptp.frames import l2_frame, udp4_frame, udp6_frame
from ptpbridge.wire.ptp.layers import (
    PTP,
    PTPAnnounce,
    PTPDelayReq,
    PTPDelayResp,
    PTPFollowUp,
    PTPManagement,
    PTPPdelayReq,
    PTPPdelayResp,
    PTPPdelayRespFollowUp,
    PTPSignaling,
    PTPSync,
)
from ptpbridge.wire.ptp.management import (
    MgmtAnnounceReceiptTimeout,
    MgmtClockAccuracy,
    MgmtClockDescription,
    MgmtCurrentDataSet,
    MgmtDefaultDataSet,
    MgmtDelayMechanism,
    MgmtDomain,
    MgmtLogAnnounceInterval,
    MgmtLogMinPdelayReqInterval,
    MgmtLogSyncInterval,
    MgmtParentDataSet,
    MgmtPortDataSet,
    MgmtPortPropertiesNP,
    MgmtPriority1,
    MgmtPriority2,
    MgmtSlaveOnly,
    MgmtTime,
    MgmtTimePropertiesDataSet,
    MgmtTimescaleProperties,
    MgmtTimeStatusNP,
    MgmtTraceabilityProperties,
    MgmtUserDescription,
    MgmtUtcProperties,
    MgmtVersionNumber,
)
from ptpbridge.wire.ptp.tlvs import (
    TLVAcknowledgeCancelUnicastTransmission,
    TLVAlternateTimeOffsetIndicator,
    TLVCancelUnicastTransmission,
    TLVGrantUnicastTransmission,
    TLVManagement,
    TLVManagementErrorStatus,
    TLVOpaque,
    TLVOrganizationExtension,
    TLVOrganizationExtensionDoNotPropagate,
    TLVOrganizationExtensionPropagate,
    TLVPad,
    TLVPathTrace,
    TLVRequestUnicastTransmission,
)
from ptpbridge.wire.ptp.values import ClockIdentity, ClockQuality, PortIdentity, Timestamp

GM = ClockIdentity.from_mac("02:42:c0:a8:00:01")
SLAVE = ClockIdentity.from_mac("02:42:c0:a8:00:02")
GM_PORT = PortIdentity(GM, 1)
SLAVE_PORT = PortIdentity(SLAVE, 3)
T0 = Timestamp(1_700_000_123, 456_789_012)


def _hdr(seq: int, flags: int = 0, **kw: Any) -> Any:
    fields: dict[str, Any] = {
        "sequenceId": seq,
        "domainNumber": 24,
        "sourcePortIdentity": GM_PORT,
        "flagField": flags,
    }
    fields.update(kw)
    return PTP(**fields)


# The management data sets of a RESPONSE, one per managementId.
MANAGEMENT_RESPONSES: list[Any] = [
    MgmtClockDescription(
        clockType=0x8000,
        physicalLayerProtocol=b"IEEE 802.3",
        physicalAddress=bytes.fromhex("0242c0a80001"),
        networkProtocol=1,
        addressField=bytes([198, 18, 0, 1]),
        manufacturerIdentity=b"\x00\x1b\x19",
        productDescription=b";;ptpbridge",
        revisionData=b";;0.1",
        userDescription=b"lab gm",
        profileIdentity=bytes.fromhex("001b19000100"),
    ),
    MgmtUserDescription(userDescription=b"rack 7 grandmaster"),
    MgmtDefaultDataSet(
        flags="twoStep",
        numberPorts=2,
        priority1=100,
        clockQuality=ClockQuality(6, ClockAccuracy.NS_100, 0x4E5D),
        priority2=101,
        clockIdentity=GM,
        domainNumber=24,
    ),
    MgmtCurrentDataSet(stepsRemoved=1, offsetFromMaster=-(1234 << 16) - 5, meanPathDelay=(2500 << 16) + 77),
    MgmtParentDataSet(
        parentPortIdentity=GM_PORT,
        flags="parentStats",
        observedParentOffsetScaledLogVariance=0x1234,
        observedParentClockPhaseChangeRate=-42,
        grandmasterPriority1=100,
        grandmasterClockQuality=ClockQuality(6, ClockAccuracy.NS_100, 0x4E5D),
        grandmasterPriority2=101,
        grandmasterIdentity=GM,
    ),
    MgmtTimePropertiesDataSet(
        currentUtcOffset=37,
        flags="leap61+currentUtcOffsetValid+ptpTimescale+timeTraceable+frequencyTraceable",
        timeSource=TimeSource.GNSS,
    ),
    MgmtPortDataSet(
        portIdentity=SLAVE_PORT,
        portState=PortState.SLAVE,
        logMinDelayReqInterval=-3,
        peerMeanPathDelay=(812 << 16) + 3,
        logAnnounceInterval=-2,
        announceReceiptTimeout=2,
        logSyncInterval=-4,
        delayMechanism=DelayMechanism.P2P,
        logMinPdelayReqInterval=-1,
        versionNumber=2,
    ),
    MgmtPriority1(priority1=17),
    MgmtPriority2(priority2=254),
    MgmtDomain(domainNumber=24),
    MgmtSlaveOnly(flags="slaveOnly"),
    MgmtLogAnnounceInterval(logAnnounceInterval=-2),
    MgmtAnnounceReceiptTimeout(announceReceiptTimeout=4),
    MgmtLogSyncInterval(logSyncInterval=-5),
    MgmtVersionNumber(versionNumber=2),
    MgmtTime(currentTime=T0),
    MgmtClockAccuracy(clockAccuracy=ClockAccuracy.US_1),
    MgmtUtcProperties(currentUtcOffset=37, flags="leap59+currentUtcOffsetValid"),
    MgmtTraceabilityProperties(flags="timeTraceable+frequencyTraceable"),
    MgmtTimescaleProperties(flags="ptpTimescale", timeSource=TimeSource.ATOMIC_CLOCK),
    MgmtDelayMechanism(delayMechanism=DelayMechanism.E2E),
    MgmtLogMinPdelayReqInterval(logMinPdelayReqInterval=-3),
    MgmtTimeStatusNP(
        master_offset=-512,
        ingress_time=1_700_000_123_456_789_012,
        cumulativeScaledRateOffset=-9,
        scaledLastGmPhaseChange=3,
        gmTimeBaseIndicator=1,
        lastGmPhaseChange_nanoseconds_lsb=99,
        gmPresent=1,
        gmIdentity=GM,
    ),
    MgmtPortPropertiesNP(portIdentity=SLAVE_PORT, portState=PortState.MASTER, timestamping=1, interface=b"eth3"),
]


def sample_messages() -> list[Any]:
    """Every message type and every TLV, as scapy PTP layers (unbuilt)."""
    msgs: list[Any] = []
    every_flag_0 = Flag.ALTERNATE_MASTER | Flag.TWO_STEP | Flag.UNICAST | Flag.PROFILE_SPECIFIC_1
    every_flag_1 = (
        Flag.LEAP61
        | Flag.CURRENT_UTC_OFFSET_VALID
        | Flag.PTP_TIMESCALE
        | Flag.TIME_TRACEABLE
        | Flag.FREQUENCY_TRACEABLE
        | Flag.SYNCHRONIZATION_UNCERTAIN
    )
    msgs.append(_hdr(4101, Flag.TWO_STEP | Flag.PROFILE_SPECIFIC_2, correctionField=0, logMessageInterval=-3)
                / PTPSync(originTimestamp=Timestamp(0, 0)))  # fmt: skip
    msgs.append(_hdr(4102, every_flag_0, correctionField=-((7 << 16) + 9), logMessageInterval=-4)
                / PTPSync(originTimestamp=T0))  # fmt: skip
    msgs.append(_hdr(4101, Flag.LEAP59, correctionField=(123_456 << 16) + 0x8000, logMessageInterval=-3)
                / PTPFollowUp(preciseOriginTimestamp=T0))  # fmt: skip
    msgs.append(_hdr(77, 0, sourcePortIdentity=SLAVE_PORT, correctionField=0)
                / PTPDelayReq(originTimestamp=Timestamp(1_700_000_123, 999_999_999)))  # fmt: skip
    msgs.append(_hdr(77, every_flag_1, correctionField=(3 << 16) | 0x1234, logMessageInterval=-2)
                / PTPDelayResp(receiveTimestamp=Timestamp(1_700_000_124, 1), requestingPortIdentity=SLAVE_PORT))  # fmt: skip
    msgs.append(_hdr(9, Flag.UNICAST, sourcePortIdentity=SLAVE_PORT)
                / PTPPdelayReq(originTimestamp=Timestamp(5, 6)))  # fmt: skip
    msgs.append(_hdr(9, Flag.TWO_STEP, correctionField=1 << 16)
                / PTPPdelayResp(requestReceiptTimestamp=Timestamp(281_474_976_710_655, 7),
                                requestingPortIdentity=SLAVE_PORT))  # fmt: skip
    msgs.append(_hdr(9, 0, correctionField=-(1 << 16))
                / PTPPdelayRespFollowUp(responseOriginTimestamp=Timestamp(8, 9), requestingPortIdentity=SLAVE_PORT))  # fmt: skip
    msgs.append(
        _hdr(300, Flag.PTP_TIMESCALE | Flag.CURRENT_UTC_OFFSET_VALID | Flag.TIME_TRACEABLE, logMessageInterval=-2)
        / PTPAnnounce(
            originTimestamp=T0,
            currentUtcOffset=37,
            grandmasterPriority1=100,
            grandmasterClockQuality=ClockQuality(6, ClockAccuracy.NS_100, 0x4E5D),
            grandmasterPriority2=101,
            grandmasterIdentity=GM,
            stepsRemoved=2,
            timeSource=TimeSource.GNSS,
            tlvs=[
                TLVPathTrace(pathSequence=[GM, SLAVE]),
                TLVAlternateTimeOffsetIndicator(
                    keyField=1, currentOffset=3600, jumpSeconds=-3600, timeOfNextJump=1_711_846_800, displayName=b"CET"
                ),
                TLVOrganizationExtension(organizationId=0x0080C2, organizationSubType=0x000001, dataField=b"\x01\x02"),
                TLVOrganizationExtensionPropagate(organizationId=0x001B19, organizationSubType=0x000002, dataField=b"\xaa\xbb"),
                TLVOrganizationExtensionDoNotPropagate(organizationId=0x001B19, organizationSubType=0x000003, dataField=b""),
                TLVPad(pad=bytes(6)),
            ],
        )
    )
    msgs.append(
        _hdr(41, Flag.UNICAST, sourcePortIdentity=SLAVE_PORT)
        / PTPSignaling(
            targetPortIdentity=GM_PORT,
            tlvs=[
                TLVRequestUnicastTransmission(messageType=MessageType.ANNOUNCE, logInterMessagePeriod=1, durationField=300),
                TLVRequestUnicastTransmission(messageType=MessageType.SYNC, logInterMessagePeriod=-4, durationField=60),
            ],
        )
    )
    msgs.append(
        _hdr(42, Flag.UNICAST)
        / PTPSignaling(
            targetPortIdentity=SLAVE_PORT,
            tlvs=[
                TLVGrantUnicastTransmission(
                    messageType=MessageType.ANNOUNCE, logInterMessagePeriod=1, durationField=300, flags="renewalInvited"
                ),
                TLVGrantUnicastTransmission(messageType=MessageType.DELAY_RESP, logInterMessagePeriod=-4, durationField=0),
            ],
        )
    )
    msgs.append(
        _hdr(43, Flag.UNICAST)
        / PTPSignaling(
            targetPortIdentity=SLAVE_PORT,
            tlvs=[TLVCancelUnicastTransmission(messageType=MessageType.SYNC, flags="maintainGrant")],
        )
    )
    msgs.append(
        _hdr(44, Flag.UNICAST, sourcePortIdentity=SLAVE_PORT)
        / PTPSignaling(
            targetPortIdentity=GM_PORT,
            tlvs=[TLVAcknowledgeCancelUnicastTransmission(messageType=MessageType.SYNC)],
        )
    )
    # Management: a GET (empty dataField) and a RESPONSE for every data set.
    for seq, body in enumerate(MANAGEMENT_RESPONSES, start=500):
        mid = next(k for k, v in _mgmt_classes().items() if isinstance(body, v))
        msgs.append(
            _hdr(seq, 0, sourcePortIdentity=SLAVE_PORT, domainNumber=24)
            / PTPManagement(
                targetPortIdentity=PortIdentity(ClockIdentity(b"\xff" * 8), 0xFFFF),
                startingBoundaryHops=1,
                boundaryHops=1,
                actionField=ActionField.GET,
                tlvs=[TLVManagement(managementId=mid)],
            )
        )
        msgs.append(
            _hdr(seq, 0, domainNumber=24)
            / PTPManagement(
                targetPortIdentity=SLAVE_PORT,
                startingBoundaryHops=1,
                boundaryHops=0,
                actionField=ActionField.RESPONSE,
                tlvs=[TLVManagement() / body],
            )
        )
    msgs.append(
        _hdr(600, 0, domainNumber=24)
        / PTPManagement(
            targetPortIdentity=SLAVE_PORT,
            actionField=ActionField.RESPONSE,
            tlvs=[TLVManagementErrorStatus(managementErrorId=ManagementErrorId.NOT_SUPPORTED,
                                           managementId=ManagementId.FAULT_LOG)],
        )
    )  # fmt: skip
    msgs.append(
        _hdr(601, 0, domainNumber=24)
        / PTPManagement(
            targetPortIdentity=SLAVE_PORT,
            actionField=ActionField.RESPONSE,
            tlvs=[TLVManagementErrorStatus(managementErrorId=ManagementErrorId.WRONG_VALUE,
                                           managementId=ManagementId.PRIORITY1, displayData=b"bad")],
        )
    )  # fmt: skip
    # A SET with an odd-length text (pad octet) and an unknown TLV kept opaque.
    msgs.append(
        _hdr(602, 0, sourcePortIdentity=SLAVE_PORT, domainNumber=24)
        / PTPManagement(
            targetPortIdentity=GM_PORT,
            actionField=ActionField.SET,
            tlvs=[TLVManagement() / MgmtUserDescription(userDescription=b"odd")],
        )
    )
    msgs.append(_hdr(4103, Flag.TWO_STEP) / PTPSync(originTimestamp=T0, tlvs=[TLVOpaque(tlvType=0x7F00, value=b"\x00\x01")]))
    return msgs


def _mgmt_classes() -> dict[int, type]:
    from ptpbridge.wire.ptp.tlvs import MANAGEMENT_BODIES

    return dict(MANAGEMENT_BODIES)


def sample_frames() -> list[Any]:
    """Every sample over UDPv4, UDPv6 and L2, plus VLAN-tagged copies of a few."""
    frames: list[Any] = []
    for msg in sample_messages():
        frames.append(udp4_frame(msg.copy()))
        frames.append(udp6_frame(msg.copy()))
        frames.append(l2_frame(msg.copy()))
    for msg in sample_messages()[:9]:
        frames.append(l2_frame(msg.copy(), vlan=100, priority=7))
        frames.append(udp4_frame(msg.copy(), vlan=200))
    return frames
