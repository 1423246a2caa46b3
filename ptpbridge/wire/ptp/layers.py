# SPDX-License-Identifier: GPL-2.0-or-later
"""scapy layers for IEEE 1588-2019 (PTP version 2 and 2.1): the readable definition.

``PTP`` is the common header; its payload is the body layer chosen by
messageType (``PTPSync``, ``PTPAnnounce``, ...), whose ``tlvs`` field holds
the TLV layers from ``ptpbridge.wire.ptp.tlvs``. Build with
``PTP(sequenceId=7)/PTPSync(originTimestamp=Timestamp(1, 2))``:
messageType, messageLength, controlField and logMessageInterval are filled
in when left alone.

Dissection never raises: fewer than 34 octets give a ``Raw``; a body or TLV
that does not parse falls back to Raw; octets after messageLength become
``Padding`` (an Ethernet frame pads a 44-octet Sync to 46). Bindings: UDP
ports 319/320 (IPv4 and IPv6), ethertype 0x88F7, also behind 802.1Q.

This is our own layer; scapy's contrib PTP layer is not used (it puts
twoStepFlag on the wrong octet).
"""

# scapy's Packet API is untyped.
# mypy: disable-error-code="misc,no-untyped-def,no-untyped-call,no-any-return,override,type-arg"

from __future__ import annotations

import struct
from typing import Any

from scapy.config import conf
from scapy.fields import (
    BitEnumField,
    BitField,
    ByteEnumField,
    ByteField,
    FlagsField,
    ShortField,
    SignedByteField,
    SignedShortField,
    StrFixedLenField,
    XIntField,
)
from scapy.layers.inet import UDP
from scapy.layers.l2 import Dot1AD, Dot1Q, Ether
from scapy.packet import Packet, Raw, bind_bottom_up, bind_layers, bind_top_down

from ptpbridge.wire.ptp import management as _management  # noqa: F401  (registers data sets)
from ptpbridge.wire.ptp.constants import (
    CONTROL_FIELD,
    CONTROL_FIELD_OTHER,
    ETHERTYPE_PTP,
    EVENT_PORT,
    GENERAL_PORT,
    HEADER_LEN,
    LOG_INTERVAL_UNSPECIFIED,
    LOG_INTERVAL_UNSPECIFIED_TYPES,
    MINOR_VERSION_PTP,
    VERSION_PTP,
    ActionField,
    Flag,
    MessageType,
    TimeSource,
)
from ptpbridge.wire.ptp.fields import (
    ClockIdentityField,
    ClockQualityField,
    PortIdentityField,
    TimeIntervalField,
    TimestampField,
)
from ptpbridge.wire.ptp.tlvs import MESSAGE_TYPE_NAMES, TLVListField, flag_names
from ptpbridge.wire.ptp.values import PORT_IDENTITY_ALL

# flagField names by bit (bit 0 = least significant bit of octet 1).
FLAG_FIELD_NAMES: list[str] = flag_names(
    16,
    {
        Flag.ALTERNATE_MASTER: "alternateMasterFlag",
        Flag.TWO_STEP: "twoStepFlag",
        Flag.UNICAST: "unicastFlag",
        Flag.PROFILE_SPECIFIC_1: "profileSpecific1",
        Flag.PROFILE_SPECIFIC_2: "profileSpecific2",
        Flag.LEAP61: "leap61",
        Flag.LEAP59: "leap59",
        Flag.CURRENT_UTC_OFFSET_VALID: "currentUtcOffsetValid",
        Flag.PTP_TIMESCALE: "ptpTimescale",
        Flag.TIME_TRACEABLE: "timeTraceable",
        Flag.FREQUENCY_TRACEABLE: "frequencyTraceable",
        Flag.SYNCHRONIZATION_UNCERTAIN: "synchronizationUncertain",
    },
)

# messageType -> body layer (filled at the end of this module).
BODY_CLASSES: dict[int, type[Packet]] = {}


class PTP(Packet):
    """The 34-octet common header (13.3)."""

    name = "PTPv2"
    fields_desc = [
        BitField("majorSdoId", 0, 4),
        BitEnumField("messageType", MessageType.SYNC, 4, MESSAGE_TYPE_NAMES),
        BitField("minorVersionPTP", MINOR_VERSION_PTP, 4),
        BitField("versionPTP", VERSION_PTP, 4),
        ShortField("messageLength", None),
        ByteField("domainNumber", 0),
        ByteField("minorSdoId", 0),
        FlagsField("flagField", 0, 16, FLAG_FIELD_NAMES),
        TimeIntervalField("correctionField", 0),
        XIntField("messageTypeSpecific", 0),
        PortIdentityField("sourcePortIdentity"),
        ShortField("sequenceId", 0),
        ByteField("controlField", None),
        SignedByteField("logMessageInterval", None),
    ]

    @classmethod
    def dispatch_hook(cls, _pkt: bytes | None = None, *args: Any, **kargs: Any) -> type[Packet]:
        if _pkt is not None and len(_pkt) < HEADER_LEN:
            return conf.raw_layer
        return cls

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        if self.messageLength is None:
            pkt = pkt[:2] + struct.pack(">H", len(pkt) + len(pay)) + pkt[4:]
        mtype = pkt[0] & 15
        if self.controlField is None:
            control = CONTROL_FIELD.get(mtype, CONTROL_FIELD_OTHER)  # type: ignore[call-overload]
            pkt = pkt[:32] + bytes([control]) + pkt[33:]
        if self.logMessageInterval is None:
            interval = LOG_INTERVAL_UNSPECIFIED if mtype in LOG_INTERVAL_UNSPECIFIED_TYPES else 0
            pkt = pkt[:33] + bytes([interval]) + pkt[34:]
        return pkt + pay

    def extract_padding(self, s: bytes) -> tuple[bytes, bytes]:
        body_len = max(0, (self.messageLength or 0) - HEADER_LEN)
        return s[:body_len], s[body_len:]

    def guess_payload_class(self, payload: bytes) -> type[Packet]:
        if self.versionPTP != VERSION_PTP:
            return Raw
        return BODY_CLASSES.get(self.messageType, Raw)

    def mysummary(self) -> str:
        name = MESSAGE_TYPE_NAMES.get(self.messageType, hex(self.messageType))
        return f"PTPv2 {name} seq={self.sequenceId} dom={self.domainNumber} {self.sourcePortIdentity}"


def _tlvs() -> TLVListField:
    return TLVListField("tlvs")


class PTPSync(Packet):
    name = "Sync"
    fields_desc = [TimestampField("originTimestamp"), _tlvs()]


class PTPDelayReq(Packet):
    name = "Delay_Req"
    fields_desc = [TimestampField("originTimestamp"), _tlvs()]


class PTPFollowUp(Packet):
    name = "Follow_Up"
    fields_desc = [TimestampField("preciseOriginTimestamp"), _tlvs()]


class PTPDelayResp(Packet):
    name = "Delay_Resp"
    fields_desc = [
        TimestampField("receiveTimestamp"),
        PortIdentityField("requestingPortIdentity"),
        _tlvs(),
    ]


class PTPPdelayReq(Packet):
    name = "Pdelay_Req"
    fields_desc = [
        TimestampField("originTimestamp"),
        StrFixedLenField("reserved", bytes(10), 10),
        _tlvs(),
    ]


class PTPPdelayResp(Packet):
    name = "Pdelay_Resp"
    fields_desc = [
        TimestampField("requestReceiptTimestamp"),
        PortIdentityField("requestingPortIdentity"),
        _tlvs(),
    ]


class PTPPdelayRespFollowUp(Packet):
    name = "Pdelay_Resp_Follow_Up"
    fields_desc = [
        TimestampField("responseOriginTimestamp"),
        PortIdentityField("requestingPortIdentity"),
        _tlvs(),
    ]


class PTPAnnounce(Packet):
    name = "Announce"
    fields_desc = [
        TimestampField("originTimestamp"),
        SignedShortField("currentUtcOffset", 37),
        ByteField("reserved", 0),
        ByteField("grandmasterPriority1", 128),
        ClockQualityField("grandmasterClockQuality"),
        ByteField("grandmasterPriority2", 128),
        ClockIdentityField("grandmasterIdentity"),
        ShortField("stepsRemoved", 0),
        ByteEnumField("timeSource", TimeSource.INTERNAL_OSCILLATOR, {t.value: t.name for t in TimeSource}),
        _tlvs(),
    ]


class PTPSignaling(Packet):
    name = "Signaling"
    fields_desc = [PortIdentityField("targetPortIdentity", PORT_IDENTITY_ALL), _tlvs()]


class PTPManagement(Packet):
    name = "Management"
    fields_desc = [
        PortIdentityField("targetPortIdentity", PORT_IDENTITY_ALL),
        ByteField("startingBoundaryHops", 0),
        ByteField("boundaryHops", 0),
        BitField("reserved", 0, 4),
        BitEnumField("actionField", ActionField.GET, 4, {a.value: a.name for a in ActionField}),
        ByteField("reserved2", 0),
        _tlvs(),
    ]


BODY_CLASSES.update(
    {
        MessageType.SYNC: PTPSync,
        MessageType.DELAY_REQ: PTPDelayReq,
        MessageType.PDELAY_REQ: PTPPdelayReq,
        MessageType.PDELAY_RESP: PTPPdelayResp,
        MessageType.FOLLOW_UP: PTPFollowUp,
        MessageType.DELAY_RESP: PTPDelayResp,
        MessageType.PDELAY_RESP_FOLLOW_UP: PTPPdelayRespFollowUp,
        MessageType.ANNOUNCE: PTPAnnounce,
        MessageType.SIGNALING: PTPSignaling,
        MessageType.MANAGEMENT: PTPManagement,
    }
)

for _mtype, _body in BODY_CLASSES.items():
    bind_top_down(PTP, _body, messageType=int(_mtype))

# UDP: either port on either side selects PTP when dissecting. For building
# use ptpbridge.wire.ptp.frames, which picks 319 or 320 by message type.
for _port in (EVENT_PORT, GENERAL_PORT):
    bind_bottom_up(UDP, PTP, dport=_port)
    bind_bottom_up(UDP, PTP, sport=_port)
bind_layers(Ether, PTP, type=ETHERTYPE_PTP)
bind_layers(Dot1Q, PTP, type=ETHERTYPE_PTP)
bind_layers(Dot1AD, PTP, type=ETHERTYPE_PTP)
