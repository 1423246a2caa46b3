# SPDX-License-Identifier: GPL-2.0-or-later
"""scapy layers for PTP TLVs, with registries so a new TLV is one small class.

Adding a TLV::

    @register_tlv
    class TLVMyThing(PTPTLV):
        name = "MY_THING"
        fields_desc = tlv_header(TlvType.MY_THING) + [ByteField("x", 0), EvenPadField()]

Adding a management data set (the dataField of a MANAGEMENT TLV)::

    @register_management_body(ManagementId.MY_ID)
    class MgmtMyId(Packet):
        fields_desc = [ByteField("value", 0), ByteField("reserved", 0)]

Every TLV sees exactly its own 4 + lengthField octets: whatever its fields
do not consume stays as a Raw payload, so any TLV rebuilds byte for byte;
a type nobody registered becomes ``TLVOpaque``. ``lengthField`` left at
None is computed when building.
"""

# scapy's Packet API is untyped.
# mypy: disable-error-code="misc,no-untyped-def,no-untyped-call,no-any-return,override,type-arg"

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any, TypeVar

from scapy.fields import (
    BitEnumField,
    BitField,
    ByteField,
    FieldListField,
    FlagsField,
    IntField,
    PacketListField,
    ShortEnumField,
    ShortField,
    SignedByteField,
    SignedIntField,
    StrField,
    X3BytesField,
    XIntField,
)
from scapy.packet import Packet, Raw, bind_top_down

from ptpbridge.wire.ptp.constants import (
    CANCEL_FLAG_MAINTAIN_GRANT,
    CANCEL_FLAG_MAINTAIN_REQUEST,
    GRANT_FLAG_RENEWAL_INVITED,
    TLV_HEADER_LEN,
    ManagementErrorId,
    ManagementId,
    MessageType,
    TlvType,
)
from ptpbridge.wire.ptp.fields import ClockIdentityField, EvenPadField, OptionalPTPTextField, PTPTextField

TLV_TYPE_NAMES: dict[int, str] = {t.value: t.name for t in TlvType}
MANAGEMENT_ID_NAMES: dict[int, str] = {m.value: m.name for m in ManagementId}
MESSAGE_TYPE_NAMES: dict[int, str] = {m.value: m.name for m in MessageType}

# tlvType -> layer class; managementId -> data set layer class.
TLV_CLASSES: dict[int, type[PTPTLV]] = {}
MANAGEMENT_BODIES: dict[int, type[Packet]] = {}

_T = TypeVar("_T", bound=type)


def tlv_header(tlv_type: int) -> list[Any]:
    """tlvType (defaulting to this TLV's type) and lengthField (None: computed)."""
    return [
        ShortEnumField("tlvType", int(tlv_type), TLV_TYPE_NAMES),
        ShortField("lengthField", None),
    ]


def register_tlv(cls: _T) -> _T:
    """Class decorator: dissect tlvType (the first field's default) with this class."""
    tlv_type = cls.fields_desc[0].default  # type: ignore[attr-defined]
    TLV_CLASSES[tlv_type] = cls
    return cls


def flag_names(width: int, named: dict[int, str]) -> list[str]:
    """scapy FlagsField names, bit 0 first; unnamed bits are reservedN."""
    bits = {mask.bit_length() - 1: name for mask, name in named.items()}
    return [bits.get(i, f"reserved{i}") for i in range(width)]


class PTPTLV(Packet):
    """Base and dispatcher: ``PTPTLV(raw)`` returns the registered class for the type."""

    name = "PTP TLV"
    __slots__ = ["_tlv_rest"]
    fields_desc = tlv_header(0)

    @classmethod
    def dispatch_hook(cls, _pkt: bytes | None = None, *args: Any, **kargs: Any) -> type[Packet]:
        if _pkt is not None and len(_pkt) >= 2:
            return TLV_CLASSES.get((_pkt[0] << 8) | _pkt[1], TLVOpaque)
        return cls

    def pre_dissect(self, s: bytes) -> bytes:
        # Cut at the TLV's end so greedy last fields stop there.
        if len(s) >= TLV_HEADER_LEN:
            end = TLV_HEADER_LEN + ((s[2] << 8) | s[3])
            self._tlv_rest = s[end:]
            return s[:end]
        self._tlv_rest = b""
        return s

    def extract_padding(self, s: bytes) -> tuple[bytes, bytes]:
        return s, getattr(self, "_tlv_rest", b"")

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        if self.lengthField is None:
            n = len(pkt) + len(pay) - TLV_HEADER_LEN
            pkt = pkt[:2] + struct.pack(">H", n) + pkt[4:]
        return pkt + pay

    def mysummary(self) -> str:
        return f"TLV {TLV_TYPE_NAMES.get(self.tlvType, hex(self.tlvType))}"


class TLVOpaque(PTPTLV):
    """A TLV type without a registered layer: the value is kept as octets."""

    name = "PTP TLV (opaque)"
    fields_desc = tlv_header(0) + [StrField("value", b"")]


def dissect_tlv(raw: bytes, parent: Packet | None = None) -> Packet:
    """One TLV's octets as its registered layer, or as TLVOpaque if that layer cannot read them."""
    cls = TLV_CLASSES.get((raw[0] << 8) | raw[1], TLVOpaque) if len(raw) >= 2 else TLVOpaque
    try:
        return cls(raw, _parent=parent)
    except Exception:  # a malformed value must not lose the TLVs after it
        return TLVOpaque(raw, _parent=parent)


class TLVListField(PacketListField):
    """The TLVs after a message body: whole TLVs only.

    Octets that do not make a whole TLV (short header, overrunning length)
    stop the list and stay with the body as a Raw payload.
    """

    def __init__(self, name: str = "tlvs") -> None:
        super().__init__(name, [], PTPTLV)

    def getfield(self, pkt: Packet, s: bytes) -> tuple[bytes, list[Packet]]:
        tlvs: list[Packet] = []
        pos = 0
        while len(s) - pos >= TLV_HEADER_LEN:
            end = pos + TLV_HEADER_LEN + ((s[pos + 2] << 8) | s[pos + 3])
            if end > len(s):
                break
            tlvs.append(dissect_tlv(s[pos:end], pkt))
            pos = end
        return s[pos:], tlvs


# --- MANAGEMENT and MANAGEMENT_ERROR_STATUS (15.5) ------------------------------


@register_tlv
class TLVManagement(PTPTLV):
    """managementId then the data set as this layer's payload (empty for GET)."""

    name = "MANAGEMENT"
    fields_desc = tlv_header(TlvType.MANAGEMENT) + [
        ShortEnumField("managementId", ManagementId.NULL_PTP_MANAGEMENT, MANAGEMENT_ID_NAMES),
    ]

    def guess_payload_class(self, payload: bytes) -> type[Packet]:
        return MANAGEMENT_BODIES.get(self.managementId, Raw)

    def mysummary(self) -> str:
        return f"MANAGEMENT {MANAGEMENT_ID_NAMES.get(self.managementId, hex(self.managementId))}"


def register_management_body(management_id: int) -> Callable[[_T], _T]:
    """Class decorator: the dataField layer for one managementId (both directions)."""

    def deco(cls: _T) -> _T:
        MANAGEMENT_BODIES[int(management_id)] = cls
        bind_top_down(TLVManagement, cls, managementId=int(management_id))
        return cls

    return deco


@register_tlv
class TLVManagementErrorStatus(PTPTLV):
    name = "MANAGEMENT_ERROR_STATUS"
    fields_desc = tlv_header(TlvType.MANAGEMENT_ERROR_STATUS) + [
        ShortEnumField(
            "managementErrorId",
            ManagementErrorId.GENERAL_ERROR,
            {e.value: e.name for e in ManagementErrorId},
        ),
        ShortEnumField("managementId", ManagementId.NULL_PTP_MANAGEMENT, MANAGEMENT_ID_NAMES),
        XIntField("reserved", 0),
        OptionalPTPTextField("displayData", None),
        EvenPadField(),
    ]


# --- ORGANIZATION_EXTENSION family (14.3) ---------------------------------------


def _organization_fields() -> list[Any]:
    return [
        X3BytesField("organizationId", 0),
        X3BytesField("organizationSubType", 0),
        StrField("dataField", b""),
    ]


@register_tlv
class TLVOrganizationExtension(PTPTLV):
    name = "ORGANIZATION_EXTENSION"
    fields_desc = tlv_header(TlvType.ORGANIZATION_EXTENSION) + _organization_fields()


@register_tlv
class TLVOrganizationExtensionPropagate(PTPTLV):
    name = "ORGANIZATION_EXTENSION_PROPAGATE"
    fields_desc = tlv_header(TlvType.ORGANIZATION_EXTENSION_PROPAGATE) + _organization_fields()


@register_tlv
class TLVOrganizationExtensionDoNotPropagate(PTPTLV):
    name = "ORGANIZATION_EXTENSION_DO_NOT_PROPAGATE"
    fields_desc = tlv_header(TlvType.ORGANIZATION_EXTENSION_DO_NOT_PROPAGATE) + _organization_fields()


# --- unicast negotiation (16.1) -------------------------------------------------


@register_tlv
class TLVRequestUnicastTransmission(PTPTLV):
    name = "REQUEST_UNICAST_TRANSMISSION"
    fields_desc = tlv_header(TlvType.REQUEST_UNICAST_TRANSMISSION) + [
        BitEnumField("messageType", MessageType.ANNOUNCE, 4, MESSAGE_TYPE_NAMES),
        BitField("reserved", 0, 4),
        SignedByteField("logInterMessagePeriod", 0),
        IntField("durationField", 0),
    ]


@register_tlv
class TLVGrantUnicastTransmission(PTPTLV):
    name = "GRANT_UNICAST_TRANSMISSION"
    fields_desc = tlv_header(TlvType.GRANT_UNICAST_TRANSMISSION) + [
        BitEnumField("messageType", MessageType.ANNOUNCE, 4, MESSAGE_TYPE_NAMES),
        BitField("reserved", 0, 4),
        SignedByteField("logInterMessagePeriod", 0),
        IntField("durationField", 0),
        ByteField("reserved2", 0),
        FlagsField("flags", 0, 8, flag_names(8, {GRANT_FLAG_RENEWAL_INVITED: "renewalInvited"})),
    ]


_CANCEL_FLAGS = flag_names(
    4, {CANCEL_FLAG_MAINTAIN_REQUEST: "maintainRequest", CANCEL_FLAG_MAINTAIN_GRANT: "maintainGrant"}
)


@register_tlv
class TLVCancelUnicastTransmission(PTPTLV):
    name = "CANCEL_UNICAST_TRANSMISSION"
    fields_desc = tlv_header(TlvType.CANCEL_UNICAST_TRANSMISSION) + [
        BitEnumField("messageType", MessageType.ANNOUNCE, 4, MESSAGE_TYPE_NAMES),
        FlagsField("flags", 0, 4, _CANCEL_FLAGS),
        ByteField("reserved", 0),
    ]


@register_tlv
class TLVAcknowledgeCancelUnicastTransmission(PTPTLV):
    name = "ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION"
    fields_desc = tlv_header(TlvType.ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION) + [
        BitEnumField("messageType", MessageType.ANNOUNCE, 4, MESSAGE_TYPE_NAMES),
        FlagsField("flags", 0, 4, _CANCEL_FLAGS),
        ByteField("reserved", 0),
    ]


# --- Announce TLVs (16.2, 16.3) and PAD (14.4) ----------------------------------


@register_tlv
class TLVPathTrace(PTPTLV):
    name = "PATH_TRACE"
    fields_desc = tlv_header(TlvType.PATH_TRACE) + [
        FieldListField("pathSequence", [], ClockIdentityField("clockIdentity", None)),
    ]


@register_tlv
class TLVAlternateTimeOffsetIndicator(PTPTLV):
    name = "ALTERNATE_TIME_OFFSET_INDICATOR"
    fields_desc = tlv_header(TlvType.ALTERNATE_TIME_OFFSET_INDICATOR) + [
        ByteField("keyField", 0),
        SignedIntField("currentOffset", 0),
        SignedIntField("jumpSeconds", 0),
        BitField("timeOfNextJump", 0, 48),
        PTPTextField("displayName", b""),
        EvenPadField(),
    ]


@register_tlv
class TLVPad(PTPTLV):
    name = "PAD"
    fields_desc = tlv_header(TlvType.PAD) + [StrField("pad", b"")]
