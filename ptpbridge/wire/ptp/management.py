# SPDX-License-Identifier: GPL-2.0-or-later
"""scapy layers for management data sets (the dataField of a MANAGEMENT TLV).

Layouts follow IEEE 1588-2019 clause 15.5.3; TIME_STATUS_NP and
PORT_PROPERTIES_NP follow linuxptp's tlv.h. Each class registers itself for
its managementId, so ``TLVManagement()/MgmtPriority1(priority1=10)`` sets the
id and a received RESPONSE dissects into the right layer. A GET carries no
data set at all (lengthField 2).
"""

# scapy's Packet API is untyped.
# mypy: disable-error-code="misc,no-untyped-def,no-untyped-call,type-arg"

from __future__ import annotations

from scapy.fields import (
    BitField,
    ByteEnumField,
    ByteField,
    FieldLenField,
    FlagsField,
    LongField,
    ShortEnumField,
    ShortField,
    SignedByteField,
    SignedIntField,
    SignedLongField,
    SignedShortField,
    StrFixedLenField,
    StrLenField,
    XShortField,
)
from scapy.packet import Packet

from ptpbridge.wire.ptp.constants import (
    DDS_FLAG_SLAVE_ONLY,
    DDS_FLAG_TWO_STEP,
    PDS_FLAG_PARENT_STATS,
    SLAVE_ONLY_FLAG,
    TP_FLAG_FREQUENCY_TRACEABLE,
    TP_FLAG_LEAP59,
    TP_FLAG_LEAP61,
    TP_FLAG_PTP_TIMESCALE,
    TP_FLAG_TIME_TRACEABLE,
    TP_FLAG_UTC_OFFSET_VALID,
    ClockAccuracy,
    DelayMechanism,
    LinuxptpTimestamping,
    ManagementId,
    NetworkProtocol,
    PortState,
    TimeSource,
)
from ptpbridge.wire.ptp.fields import (
    ClockIdentityField,
    ClockQualityField,
    EvenPadField,
    PortIdentityField,
    PTPTextField,
    TimeIntervalField,
    TimestampField,
)
from ptpbridge.wire.ptp.tlvs import flag_names, register_management_body

TIME_SOURCE_NAMES = {t.value: t.name for t in TimeSource}
PORT_STATE_NAMES = {s.value: s.name for s in PortState}
DELAY_MECHANISM_NAMES = {d.value: d.name for d in DelayMechanism}
CLOCK_ACCURACY_NAMES = {a.value: a.name for a in ClockAccuracy}

_TIME_FLAGS = {
    TP_FLAG_LEAP61: "leap61",
    TP_FLAG_LEAP59: "leap59",
    TP_FLAG_UTC_OFFSET_VALID: "currentUtcOffsetValid",
    TP_FLAG_PTP_TIMESCALE: "ptpTimescale",
    TP_FLAG_TIME_TRACEABLE: "timeTraceable",
    TP_FLAG_FREQUENCY_TRACEABLE: "frequencyTraceable",
}


class MgmtBody(Packet):
    """Base of data set layers: octets left over stay as a Raw payload."""

    name = "management data set"


@register_management_body(ManagementId.CLOCK_DESCRIPTION)
class MgmtClockDescription(MgmtBody):
    name = "CLOCK_DESCRIPTION"
    fields_desc = [
        XShortField("clockType", 0x8000),
        PTPTextField("physicalLayerProtocol", b""),
        FieldLenField("physicalAddressLength", None, length_of="physicalAddress", fmt="H"),
        StrLenField("physicalAddress", b"", length_from=lambda p: p.physicalAddressLength),
        ShortEnumField("networkProtocol", NetworkProtocol.UDP_IPV4, {n.value: n.name for n in NetworkProtocol}),
        FieldLenField("addressLength", None, length_of="addressField", fmt="H"),
        StrLenField("addressField", b"", length_from=lambda p: p.addressLength),
        StrFixedLenField("manufacturerIdentity", b"\x00\x00\x00", 3),
        ByteField("reserved", 0),
        PTPTextField("productDescription", b""),
        PTPTextField("revisionData", b""),
        PTPTextField("userDescription", b""),
        StrFixedLenField("profileIdentity", bytes(6), 6),
        EvenPadField(),
    ]


@register_management_body(ManagementId.USER_DESCRIPTION)
class MgmtUserDescription(MgmtBody):
    name = "USER_DESCRIPTION"
    fields_desc = [PTPTextField("userDescription", b""), EvenPadField()]


@register_management_body(ManagementId.DEFAULT_DATA_SET)
class MgmtDefaultDataSet(MgmtBody):
    name = "DEFAULT_DATA_SET"
    fields_desc = [
        FlagsField("flags", 0, 8, flag_names(8, {DDS_FLAG_TWO_STEP: "twoStep", DDS_FLAG_SLAVE_ONLY: "slaveOnly"})),
        ByteField("reserved1", 0),
        ShortField("numberPorts", 1),
        ByteField("priority1", 128),
        ClockQualityField("clockQuality"),
        ByteField("priority2", 128),
        ClockIdentityField("clockIdentity"),
        ByteField("domainNumber", 0),
        ByteField("reserved2", 0),
    ]


@register_management_body(ManagementId.CURRENT_DATA_SET)
class MgmtCurrentDataSet(MgmtBody):
    name = "CURRENT_DATA_SET"
    fields_desc = [
        ShortField("stepsRemoved", 0),
        TimeIntervalField("offsetFromMaster", 0),
        TimeIntervalField("meanPathDelay", 0),
    ]


@register_management_body(ManagementId.PARENT_DATA_SET)
class MgmtParentDataSet(MgmtBody):
    name = "PARENT_DATA_SET"
    fields_desc = [
        PortIdentityField("parentPortIdentity"),
        FlagsField("flags", 0, 8, flag_names(8, {PDS_FLAG_PARENT_STATS: "parentStats"})),
        ByteField("reserved", 0),
        ShortField("observedParentOffsetScaledLogVariance", 0xFFFF),
        SignedIntField("observedParentClockPhaseChangeRate", 0x7FFFFFFF),
        ByteField("grandmasterPriority1", 128),
        ClockQualityField("grandmasterClockQuality"),
        ByteField("grandmasterPriority2", 128),
        ClockIdentityField("grandmasterIdentity"),
    ]


@register_management_body(ManagementId.TIME_PROPERTIES_DATA_SET)
class MgmtTimePropertiesDataSet(MgmtBody):
    name = "TIME_PROPERTIES_DATA_SET"
    fields_desc = [
        SignedShortField("currentUtcOffset", 37),
        FlagsField("flags", 0, 8, flag_names(8, _TIME_FLAGS)),
        ByteEnumField("timeSource", TimeSource.INTERNAL_OSCILLATOR, TIME_SOURCE_NAMES),
    ]


@register_management_body(ManagementId.PORT_DATA_SET)
class MgmtPortDataSet(MgmtBody):
    name = "PORT_DATA_SET"
    fields_desc = [
        PortIdentityField("portIdentity"),
        ByteEnumField("portState", PortState.INITIALIZING, PORT_STATE_NAMES),
        SignedByteField("logMinDelayReqInterval", 0),
        TimeIntervalField("peerMeanPathDelay", 0),
        SignedByteField("logAnnounceInterval", 1),
        ByteField("announceReceiptTimeout", 3),
        SignedByteField("logSyncInterval", 0),
        ByteEnumField("delayMechanism", DelayMechanism.E2E, DELAY_MECHANISM_NAMES),
        SignedByteField("logMinPdelayReqInterval", 0),
        BitField("minorVersionNumber", 0, 4),
        BitField("versionNumber", 2, 4),
    ]


# One value octet and a reserved octet (15.5.3.3 ff.).
_TRACEABILITY_FLAGS = flag_names(
    8, {TP_FLAG_TIME_TRACEABLE: "timeTraceable", TP_FLAG_FREQUENCY_TRACEABLE: "frequencyTraceable"}
)


@register_management_body(ManagementId.PRIORITY1)
class MgmtPriority1(MgmtBody):
    name = "PRIORITY1"
    fields_desc = [ByteField("priority1", 128), ByteField("reserved", 0)]


@register_management_body(ManagementId.PRIORITY2)
class MgmtPriority2(MgmtBody):
    name = "PRIORITY2"
    fields_desc = [ByteField("priority2", 128), ByteField("reserved", 0)]


@register_management_body(ManagementId.DOMAIN)
class MgmtDomain(MgmtBody):
    name = "DOMAIN"
    fields_desc = [ByteField("domainNumber", 0), ByteField("reserved", 0)]


@register_management_body(ManagementId.SLAVE_ONLY)
class MgmtSlaveOnly(MgmtBody):
    name = "SLAVE_ONLY"
    fields_desc = [FlagsField("flags", 0, 8, flag_names(8, {SLAVE_ONLY_FLAG: "slaveOnly"})), ByteField("reserved", 0)]


@register_management_body(ManagementId.LOG_ANNOUNCE_INTERVAL)
class MgmtLogAnnounceInterval(MgmtBody):
    name = "LOG_ANNOUNCE_INTERVAL"
    fields_desc = [SignedByteField("logAnnounceInterval", 1), ByteField("reserved", 0)]


@register_management_body(ManagementId.ANNOUNCE_RECEIPT_TIMEOUT)
class MgmtAnnounceReceiptTimeout(MgmtBody):
    name = "ANNOUNCE_RECEIPT_TIMEOUT"
    fields_desc = [ByteField("announceReceiptTimeout", 3), ByteField("reserved", 0)]


@register_management_body(ManagementId.LOG_SYNC_INTERVAL)
class MgmtLogSyncInterval(MgmtBody):
    name = "LOG_SYNC_INTERVAL"
    fields_desc = [SignedByteField("logSyncInterval", 0), ByteField("reserved", 0)]


@register_management_body(ManagementId.CLOCK_ACCURACY)
class MgmtClockAccuracy(MgmtBody):
    name = "CLOCK_ACCURACY"
    fields_desc = [ByteEnumField("clockAccuracy", ClockAccuracy.UNKNOWN, CLOCK_ACCURACY_NAMES), ByteField("reserved", 0)]


@register_management_body(ManagementId.TRACEABILITY_PROPERTIES)
class MgmtTraceabilityProperties(MgmtBody):
    name = "TRACEABILITY_PROPERTIES"
    fields_desc = [FlagsField("flags", 0, 8, _TRACEABILITY_FLAGS), ByteField("reserved", 0)]


@register_management_body(ManagementId.DELAY_MECHANISM)
class MgmtDelayMechanism(MgmtBody):
    name = "DELAY_MECHANISM"
    fields_desc = [ByteEnumField("delayMechanism", DelayMechanism.E2E, DELAY_MECHANISM_NAMES), ByteField("reserved", 0)]


@register_management_body(ManagementId.LOG_MIN_PDELAY_REQ_INTERVAL)
class MgmtLogMinPdelayReqInterval(MgmtBody):
    name = "LOG_MIN_PDELAY_REQ_INTERVAL"
    fields_desc = [SignedByteField("logMinPdelayReqInterval", 0), ByteField("reserved", 0)]


@register_management_body(ManagementId.VERSION_NUMBER)
class MgmtVersionNumber(MgmtBody):
    name = "VERSION_NUMBER"
    fields_desc = [
        BitField("minorVersionNumber", 0, 4),
        BitField("versionNumber", 2, 4),
        ByteField("reserved", 0),
    ]


@register_management_body(ManagementId.TIME)
class MgmtTime(MgmtBody):
    name = "TIME"
    fields_desc = [TimestampField("currentTime")]


@register_management_body(ManagementId.UTC_PROPERTIES)
class MgmtUtcProperties(MgmtBody):
    name = "UTC_PROPERTIES"
    fields_desc = [
        SignedShortField("currentUtcOffset", 37),
        FlagsField(
            "flags",
            0,
            8,
            flag_names(
                8,
                {
                    TP_FLAG_LEAP61: "leap61",
                    TP_FLAG_LEAP59: "leap59",
                    TP_FLAG_UTC_OFFSET_VALID: "currentUtcOffsetValid",
                },
            ),
        ),
        ByteField("reserved", 0),
    ]


@register_management_body(ManagementId.TIMESCALE_PROPERTIES)
class MgmtTimescaleProperties(MgmtBody):
    name = "TIMESCALE_PROPERTIES"
    fields_desc = [
        FlagsField("flags", 0, 8, flag_names(8, {TP_FLAG_PTP_TIMESCALE: "ptpTimescale"})),
        ByteEnumField("timeSource", TimeSource.INTERNAL_OSCILLATOR, TIME_SOURCE_NAMES),
    ]


@register_management_body(ManagementId.TIME_STATUS_NP)
class MgmtTimeStatusNP(MgmtBody):
    """linuxptp's TIME_STATUS_NP (offsets in plain ns, not scaled)."""

    name = "TIME_STATUS_NP"
    fields_desc = [
        SignedLongField("master_offset", 0),
        SignedLongField("ingress_time", 0),
        SignedIntField("cumulativeScaledRateOffset", 0),
        SignedIntField("scaledLastGmPhaseChange", 0),
        ShortField("gmTimeBaseIndicator", 0),
        ShortField("lastGmPhaseChange_nanoseconds_msb", 0),
        LongField("lastGmPhaseChange_nanoseconds_lsb", 0),
        ShortField("lastGmPhaseChange_fractional_nanoseconds", 0),
        SignedIntField("gmPresent", 0),
        ClockIdentityField("gmIdentity"),
    ]


@register_management_body(ManagementId.PORT_PROPERTIES_NP)
class MgmtPortPropertiesNP(MgmtBody):
    """linuxptp's PORT_PROPERTIES_NP."""

    name = "PORT_PROPERTIES_NP"
    fields_desc = [
        PortIdentityField("portIdentity"),
        ByteEnumField("portState", PortState.INITIALIZING, PORT_STATE_NAMES),
        ByteEnumField("timestamping", 0, {t.value: t.name for t in LinuxptpTimestamping}),
        PTPTextField("interface", b""),
        EvenPadField(),
    ]
