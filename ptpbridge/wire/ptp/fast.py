# SPDX-License-Identifier: GPL-2.0-or-later
"""Fast PTP codec: precompiled struct encode/decode and patchable templates.

The scapy layers (``ptpbridge.wire.ptp.layers``) are the readable definition
of the formats; this module is the per-packet path. Property tests prove the
two agree byte for byte in both directions.

Decoding is one ``struct`` unpack straight into a NamedTuple per message
type (``SyncMsg``, ``AnnounceMsg``, ...), whose fields are the wire fields
in wire order: no per-field Python work happens at decode time. Where the
wire splits a value, the raw parts are fields and the value is a property:

* ``octet0`` / ``octet1``: properties ``major_sdo_id``, ``message_type``,
  ``minor_version``, ``version``;
* ``source_port_octets`` (and ``requesting_port_octets``,
  ``target_port_octets``): properties ``source_port_identity``, ...
  returning a shared PortIdentity;
* ``seconds_hi``, ``seconds_lo``, ``nanoseconds`` (the body timestamp):
  properties ``timestamp`` and ``timestamp_ns``, plus the standard name
  (``origin_timestamp``, ``precise_origin_timestamp``, ...);
* ``correction`` stays in 2^-16 ns (``correction_ns`` floors to ns).

``header`` gives the common header as a ``Header`` NamedTuple of values, and
``Msg.make(header, ...)`` builds a message from values. The TLVs after the
body are checked (whole TLVs, even lengths, nothing overruns) and kept as
raw octets in ``tlvs``, for ``iter_tlvs`` or the scapy layer.

Length rules (a documented choice):

* ``messageLength`` smaller than header + body, or larger than the datagram:
  ``PtpParseError``.
* Datagram longer than ``messageLength``: the extra octets are ignored (an
  Ethernet frame pads a 44-octet Sync to 46 octets of payload; ptp4l also
  accepts such datagrams).
* Inside ``messageLength`` the octets after the body must be whole TLVs with
  even lengths (as ptp4l requires); anything else is a ``PtpParseError``.

Encoding writes the messageType nibble from the class and computes
``messageLength`` from the body and ``tlvs``; every other field, reserved
ones included, is written as held, so decode-then-encode gives the
original octets back. A value that does not fit raises ``PtpEncodeError``;
``tlvs`` are written unchecked.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeAlias

from ptpbridge.timebase import NS_PER_S
from ptpbridge.wire.ptp.constants import (
    BODY_LEN,
    CLOCK_IDENTITY_LEN,
    CONTROL_FIELD,
    CONTROL_FIELD_OTHER,
    HEADER_LEN,
    LOG_INTERVAL_UNSPECIFIED,
    LOG_INTERVAL_UNSPECIFIED_TYPES,
    MINOR_VERSION_PTP,
    PORT_IDENTITY_LEN,
    TIMESTAMP_LEN,
    TLV_HEADER_LEN,
    VERSION_PTP,
    Flag,
    MessageType,
)
from ptpbridge.wire.ptp.errors import PtpEncodeError, PtpParseError
from ptpbridge.wire.ptp.values import (
    CLOCK_IDENTITY_ZERO,
    INT64_MAX,
    INT64_MIN,
    TIMESTAMP_ZERO,
    ClockIdentity,
    ClockQuality,
    PortIdentity,
    Timestamp,
    correction_to_ns,
)

__all__ = [
    "AnnounceMsg",
    "DelayReqMsg",
    "DelayRespMsg",
    "FollowUpMsg",
    "Header",
    "MESSAGE_CLASSES",
    "ManagementMsg",
    "Message",
    "MessageTemplate",
    "PdelayReqMsg",
    "PdelayRespFollowUpMsg",
    "PdelayRespMsg",
    "SignalingMsg",
    "SyncMsg",
    "clock_identity",
    "decode",
    "decode_header",
    "encode",
    "header_for",
    "iter_tlvs",
    "port_identity",
    "port_octets",
]

_new = tuple.__new__
_M32: Final = 0xFFFFFFFF
_PORT_ZERO: Final = PortIdentity(CLOCK_IDENTITY_ZERO, 0)

# Common header: octet 0 (majorSdoId | messageType), octet 1 (minorVersionPTP |
# versionPTP), messageLength, domainNumber, minorSdoId, flagField,
# correctionField, messageTypeSpecific, sourcePortIdentity (10 octets),
# sequenceId, controlField, logMessageInterval.
_HDR: Final = ">BBHBBHqI10sHBb"
_TS: Final = "HII"  # Timestamp: seconds high 16 bits, low 32 bits, nanoseconds
_S_HEADER: Final = struct.Struct(_HDR)
# Each message struct ends in "0s": unpacking yields the empty ``tlvs`` field
# too, so a message without TLVs is the unpacked tuple itself.
_S_TS: Final = struct.Struct(_HDR + _TS + "0s")  # Sync, Delay_Req, Follow_Up
_S_TS_PID: Final = struct.Struct(_HDR + _TS + "10s0s")  # Delay_Resp, Pdelay_Resp(_Follow_Up)
_S_PDELAY_REQ: Final = struct.Struct(_HDR + _TS + "10s0s")
_S_ANNOUNCE: Final = struct.Struct(_HDR + _TS + "hBBBBHB8sHB0s")
_S_SIGNALING: Final = struct.Struct(_HDR + "10s0s")
_S_MANAGEMENT: Final = struct.Struct(_HDR + "10sBBBB0s")
_S_TLV_HEADER: Final = struct.Struct(">HH")
_S_PID: Final = struct.Struct(">8sH")

# Offsets for template patching.
_OFF_FLAGS: Final = 6
_OFF_CORRECTION: Final = 8
_OFF_SEQUENCE_ID: Final = 30
_OFF_BODY: Final = HEADER_LEN
_OFF_REQUESTING_PID: Final = HEADER_LEN + TIMESTAMP_LEN
_P_U16: Final = struct.Struct(">H")
_P_I64: Final = struct.Struct(">q")
_P_TS: Final = struct.Struct(">" + _TS)


# --- values ----------------------------------------------------------------------


class Header(NamedTuple):
    """The 34-octet common header as values (13.3). ``correction`` is in 2^-16 ns."""

    major_sdo_id: int = 0
    message_type: int = 0
    minor_version: int = MINOR_VERSION_PTP
    version: int = VERSION_PTP
    message_length: int = 0
    domain: int = 0
    minor_sdo_id: int = 0
    flags: int = 0
    correction: int = 0
    message_type_specific: int = 0
    source_port_identity: PortIdentity = _PORT_ZERO
    sequence_id: int = 0
    control: int = 0
    log_message_interval: int = 0


def header_for(message_type: int, **fields: Any) -> Header:
    """A Header with the controlField and logMessageInterval 13.3.2 gives the type."""
    control = CONTROL_FIELD.get(MessageType(message_type), CONTROL_FIELD_OTHER)
    log_interval = LOG_INTERVAL_UNSPECIFIED if message_type in LOG_INTERVAL_UNSPECIFIED_TYPES else 0
    base = Header(message_type=message_type, control=control, log_message_interval=log_interval)
    return base._replace(**fields)


# Identities repeat (a port hears a handful of peers), so the PortIdentity and
# ClockIdentity objects the properties return are shared through small
# bounded caches keyed by their wire octets.
_CACHE_MAX: Final = 4096
_PID_CACHE: Final[dict[bytes, PortIdentity]] = {}
_CID_CACHE: Final[dict[bytes, ClockIdentity]] = {}


def port_identity(octets: bytes) -> PortIdentity:
    """The PortIdentity of 10 wire octets (shared object)."""
    pid = _PID_CACHE.get(octets)
    if pid is None:
        if len(octets) != PORT_IDENTITY_LEN:
            raise ValueError(f"a portIdentity has {PORT_IDENTITY_LEN} octets, got {len(octets)}")
        if len(_PID_CACHE) >= _CACHE_MAX:
            _PID_CACHE.clear()
        pid = _new(PortIdentity, (bytes.__new__(ClockIdentity, octets[:8]), (octets[8] << 8) | octets[9]))
        _PID_CACHE[bytes(octets)] = pid
    return pid


def clock_identity(octets: bytes) -> ClockIdentity:
    """The ClockIdentity of 8 wire octets (shared object)."""
    cid = _CID_CACHE.get(octets)
    if cid is None:
        if len(_CID_CACHE) >= _CACHE_MAX:
            _CID_CACHE.clear()
        cid = ClockIdentity(octets)
        _CID_CACHE[bytes(octets)] = cid
    return cid


def port_octets(pid: PortIdentity) -> bytes:
    """The 10 wire octets of a PortIdentity."""
    ci, pn = pid
    if len(ci) != CLOCK_IDENTITY_LEN:
        raise PtpEncodeError(f"a clockIdentity has {CLOCK_IDENTITY_LEN} octets, got {len(ci)}")
    try:
        return _S_PID.pack(ci, pn)
    except struct.error as exc:
        raise PtpEncodeError(f"portNumber {pn}: {exc}") from None


def _nibbles(high: int, low: int, what: str) -> int:
    if not (0 <= high <= 15 and 0 <= low <= 15):
        raise PtpEncodeError(f"{what}: ({high}, {low}) are not 4-bit values")
    return (high << 4) | low


def _header_fields(h: Header, mtype: MessageType, tlvs_len: int) -> tuple[object, ...]:
    """The 12 raw header fields of a Header (messageType forced to ``mtype``)."""
    return (
        _nibbles(h.major_sdo_id, mtype, "majorSdoId/messageType"),
        _nibbles(h.minor_version, h.version, "minorVersionPTP/versionPTP"),
        HEADER_LEN + BODY_LEN[mtype] + tlvs_len,
        h.domain,
        h.minor_sdo_id,
        h.flags,
        h.correction,
        h.message_type_specific,
        port_octets(h.source_port_identity),
        h.sequence_id,
        h.control,
        h.log_message_interval,
    )


def _split(ts: Timestamp) -> tuple[int, int, int]:
    sec, ns = ts
    return sec >> 32, sec & _M32, ns


# --- messages ------------------------------------------------------------------------


class _Common:
    """Properties shared by every message type (mixed into the NamedTuples)."""

    __slots__ = ()

    if TYPE_CHECKING:  # the fields the NamedTuples provide

        @property
        def octet0(self) -> int: ...
        @property
        def octet1(self) -> int: ...
        @property
        def message_length(self) -> int: ...
        @property
        def domain(self) -> int: ...
        @property
        def minor_sdo_id(self) -> int: ...
        @property
        def flags(self) -> int: ...
        @property
        def correction(self) -> int: ...
        @property
        def message_type_specific(self) -> int: ...
        @property
        def source_port_octets(self) -> bytes: ...
        @property
        def sequence_id(self) -> int: ...
        @property
        def control(self) -> int: ...
        @property
        def log_message_interval(self) -> int: ...
        @property
        def tlvs(self) -> bytes: ...

    @property
    def major_sdo_id(self) -> int:
        return self.octet0 >> 4

    @property
    def message_type(self) -> int:
        return self.octet0 & 15

    @property
    def minor_version(self) -> int:
        return self.octet1 >> 4

    @property
    def version(self) -> int:
        return self.octet1 & 15

    @property
    def source_port_identity(self) -> PortIdentity:
        return _PID_CACHE.get(self.source_port_octets) or port_identity(self.source_port_octets)

    @property
    def correction_ns(self) -> int:
        """correctionField in whole ns, floor (as linuxptp reads it)."""
        return correction_to_ns(self.correction)

    @property
    def two_step(self) -> bool:
        return bool(self.flags & Flag.TWO_STEP)

    @property
    def unicast(self) -> bool:
        return bool(self.flags & Flag.UNICAST)

    @property
    def header(self) -> Header:
        """The common header as values."""
        o0, o1 = self.octet0, self.octet1
        return Header(
            o0 >> 4, o0 & 15, o1 >> 4, o1 & 15, self.message_length, self.domain, self.minor_sdo_id,
            self.flags, self.correction, self.message_type_specific, self.source_port_identity,
            self.sequence_id, self.control, self.log_message_interval,
        )  # fmt: skip


class _Stamped(_Common):
    """Properties of messages whose body starts with a Timestamp."""

    __slots__ = ()

    if TYPE_CHECKING:

        @property
        def seconds_hi(self) -> int: ...
        @property
        def seconds_lo(self) -> int: ...
        @property
        def nanoseconds(self) -> int: ...

    @property
    def timestamp(self) -> Timestamp:
        """The body's timestamp, whatever the type calls it."""
        return _new(Timestamp, ((self.seconds_hi << 32) | self.seconds_lo, self.nanoseconds))

    @property
    def timestamp_ns(self) -> int:
        return ((self.seconds_hi << 32) | self.seconds_lo) * NS_PER_S + self.nanoseconds


class _Requesting:
    __slots__ = ()

    if TYPE_CHECKING:

        @property
        def requesting_port_octets(self) -> bytes: ...

    @property
    def requesting_port_identity(self) -> PortIdentity:
        return _PID_CACHE.get(self.requesting_port_octets) or port_identity(self.requesting_port_octets)


class _Targeted:
    __slots__ = ()

    if TYPE_CHECKING:

        @property
        def target_port_octets(self) -> bytes: ...

    @property
    def target_port_identity(self) -> PortIdentity:
        return _PID_CACHE.get(self.target_port_octets) or port_identity(self.target_port_octets)


class _TsFields(NamedTuple):
    octet0: int
    octet1: int
    message_length: int
    domain: int
    minor_sdo_id: int
    flags: int
    correction: int
    message_type_specific: int
    source_port_octets: bytes
    sequence_id: int
    control: int
    log_message_interval: int
    seconds_hi: int
    seconds_lo: int
    nanoseconds: int
    tlvs: bytes = b""


class _TsPidFields(NamedTuple):
    octet0: int
    octet1: int
    message_length: int
    domain: int
    minor_sdo_id: int
    flags: int
    correction: int
    message_type_specific: int
    source_port_octets: bytes
    sequence_id: int
    control: int
    log_message_interval: int
    seconds_hi: int
    seconds_lo: int
    nanoseconds: int
    requesting_port_octets: bytes
    tlvs: bytes = b""


class _PdelayReqFields(NamedTuple):
    octet0: int
    octet1: int
    message_length: int
    domain: int
    minor_sdo_id: int
    flags: int
    correction: int
    message_type_specific: int
    source_port_octets: bytes
    sequence_id: int
    control: int
    log_message_interval: int
    seconds_hi: int
    seconds_lo: int
    nanoseconds: int
    reserved: bytes
    tlvs: bytes = b""


class _AnnounceFields(NamedTuple):
    octet0: int
    octet1: int
    message_length: int
    domain: int
    minor_sdo_id: int
    flags: int
    correction: int
    message_type_specific: int
    source_port_octets: bytes
    sequence_id: int
    control: int
    log_message_interval: int
    seconds_hi: int
    seconds_lo: int
    nanoseconds: int
    current_utc_offset: int
    reserved: int
    grandmaster_priority1: int
    grandmaster_clock_class: int
    grandmaster_clock_accuracy: int
    grandmaster_offset_scaled_log_variance: int
    grandmaster_priority2: int
    grandmaster_identity_octets: bytes
    steps_removed: int
    time_source: int
    tlvs: bytes = b""


class _SignalingFields(NamedTuple):
    octet0: int
    octet1: int
    message_length: int
    domain: int
    minor_sdo_id: int
    flags: int
    correction: int
    message_type_specific: int
    source_port_octets: bytes
    sequence_id: int
    control: int
    log_message_interval: int
    target_port_octets: bytes
    tlvs: bytes = b""


class _ManagementFields(NamedTuple):
    octet0: int
    octet1: int
    message_length: int
    domain: int
    minor_sdo_id: int
    flags: int
    correction: int
    message_type_specific: int
    source_port_octets: bytes
    sequence_id: int
    control: int
    log_message_interval: int
    target_port_octets: bytes
    starting_boundary_hops: int
    boundary_hops: int
    action_octet: int
    reserved: int
    tlvs: bytes = b""


class SyncMsg(_TsFields, _Stamped):
    """Sync (13.6): originTimestamp."""

    __slots__ = ()

    @property
    def origin_timestamp(self) -> Timestamp:
        return self.timestamp

    @classmethod
    def make(cls, header: Header, origin_timestamp: Timestamp = TIMESTAMP_ZERO, tlvs: bytes = b"") -> SyncMsg:
        head = _header_fields(header, MessageType.SYNC, len(tlvs))
        return cls._make((*head, *_split(origin_timestamp), tlvs))


class DelayReqMsg(_TsFields, _Stamped):
    """Delay_Req (13.6): originTimestamp."""

    __slots__ = ()

    @property
    def origin_timestamp(self) -> Timestamp:
        return self.timestamp

    @classmethod
    def make(cls, header: Header, origin_timestamp: Timestamp = TIMESTAMP_ZERO, tlvs: bytes = b"") -> DelayReqMsg:
        head = _header_fields(header, MessageType.DELAY_REQ, len(tlvs))
        return cls._make((*head, *_split(origin_timestamp), tlvs))


class FollowUpMsg(_TsFields, _Stamped):
    """Follow_Up (13.7): preciseOriginTimestamp."""

    __slots__ = ()

    @property
    def precise_origin_timestamp(self) -> Timestamp:
        return self.timestamp

    @classmethod
    def make(
        cls, header: Header, precise_origin_timestamp: Timestamp = TIMESTAMP_ZERO, tlvs: bytes = b""
    ) -> FollowUpMsg:
        head = _header_fields(header, MessageType.FOLLOW_UP, len(tlvs))
        return cls._make((*head, *_split(precise_origin_timestamp), tlvs))


class DelayRespMsg(_TsPidFields, _Stamped, _Requesting):
    """Delay_Resp (13.8): receiveTimestamp, requestingPortIdentity."""

    __slots__ = ()

    @property
    def receive_timestamp(self) -> Timestamp:
        return self.timestamp

    @classmethod
    def make(
        cls,
        header: Header,
        receive_timestamp: Timestamp = TIMESTAMP_ZERO,
        requesting_port_identity: PortIdentity = _PORT_ZERO,
        tlvs: bytes = b"",
    ) -> DelayRespMsg:
        return cls._make((
            *_header_fields(header, MessageType.DELAY_RESP, len(tlvs)),
            *_split(receive_timestamp),
            port_octets(requesting_port_identity),
            tlvs,
        ))


class PdelayReqMsg(_PdelayReqFields, _Stamped):
    """Pdelay_Req (13.9): originTimestamp, 10 reserved octets."""

    __slots__ = ()

    @property
    def origin_timestamp(self) -> Timestamp:
        return self.timestamp

    @classmethod
    def make(
        cls,
        header: Header,
        origin_timestamp: Timestamp = TIMESTAMP_ZERO,
        tlvs: bytes = b"",
        reserved: bytes = bytes(10),
    ) -> PdelayReqMsg:
        head = _header_fields(header, MessageType.PDELAY_REQ, len(tlvs))
        return cls._make((*head, *_split(origin_timestamp), reserved, tlvs))


class PdelayRespMsg(_TsPidFields, _Stamped, _Requesting):
    """Pdelay_Resp (13.10): requestReceiptTimestamp, requestingPortIdentity."""

    __slots__ = ()

    @property
    def request_receipt_timestamp(self) -> Timestamp:
        return self.timestamp

    @classmethod
    def make(
        cls,
        header: Header,
        request_receipt_timestamp: Timestamp = TIMESTAMP_ZERO,
        requesting_port_identity: PortIdentity = _PORT_ZERO,
        tlvs: bytes = b"",
    ) -> PdelayRespMsg:
        return cls._make((
            *_header_fields(header, MessageType.PDELAY_RESP, len(tlvs)),
            *_split(request_receipt_timestamp),
            port_octets(requesting_port_identity),
            tlvs,
        ))


class PdelayRespFollowUpMsg(_TsPidFields, _Stamped, _Requesting):
    """Pdelay_Resp_Follow_Up (13.11): responseOriginTimestamp, requestingPortIdentity."""

    __slots__ = ()

    @property
    def response_origin_timestamp(self) -> Timestamp:
        return self.timestamp

    @classmethod
    def make(
        cls,
        header: Header,
        response_origin_timestamp: Timestamp = TIMESTAMP_ZERO,
        requesting_port_identity: PortIdentity = _PORT_ZERO,
        tlvs: bytes = b"",
    ) -> PdelayRespFollowUpMsg:
        return cls._make((
            *_header_fields(header, MessageType.PDELAY_RESP_FOLLOW_UP, len(tlvs)),
            *_split(response_origin_timestamp),
            port_octets(requesting_port_identity),
            tlvs,
        ))


class AnnounceMsg(_AnnounceFields, _Stamped):
    """Announce (13.5)."""

    __slots__ = ()

    @property
    def origin_timestamp(self) -> Timestamp:
        return self.timestamp

    @property
    def grandmaster_clock_quality(self) -> ClockQuality:
        return _new(
            ClockQuality,
            (
                self.grandmaster_clock_class,
                self.grandmaster_clock_accuracy,
                self.grandmaster_offset_scaled_log_variance,
            ),
        )

    @property
    def grandmaster_identity(self) -> ClockIdentity:
        return _CID_CACHE.get(self.grandmaster_identity_octets) or clock_identity(self.grandmaster_identity_octets)

    @classmethod
    def make(
        cls,
        header: Header,
        origin_timestamp: Timestamp = TIMESTAMP_ZERO,
        current_utc_offset: int = 0,
        grandmaster_priority1: int = 128,
        grandmaster_clock_quality: ClockQuality = ClockQuality(248, 0xFE, 0xFFFF),
        grandmaster_priority2: int = 128,
        grandmaster_identity: bytes = CLOCK_IDENTITY_ZERO,
        steps_removed: int = 0,
        time_source: int = 0xA0,
        tlvs: bytes = b"",
        reserved: int = 0,
    ) -> AnnounceMsg:
        if len(grandmaster_identity) != CLOCK_IDENTITY_LEN:
            raise PtpEncodeError(f"grandmasterIdentity has {len(grandmaster_identity)} octets, not 8")
        return cls._make((
            *_header_fields(header, MessageType.ANNOUNCE, len(tlvs)),
            *_split(origin_timestamp),
            current_utc_offset,
            reserved,
            grandmaster_priority1,
            *grandmaster_clock_quality,
            grandmaster_priority2,
            bytes(grandmaster_identity),
            steps_removed,
            time_source,
            tlvs,
        ))


class SignalingMsg(_SignalingFields, _Common, _Targeted):
    """Signaling (13.12): targetPortIdentity, then TLVs."""

    __slots__ = ()

    @classmethod
    def make(
        cls, header: Header, target_port_identity: PortIdentity = _PORT_ZERO, tlvs: bytes = b""
    ) -> SignalingMsg:
        return cls._make((
            *_header_fields(header, MessageType.SIGNALING, len(tlvs)),
            port_octets(target_port_identity),
            tlvs,
        ))


class ManagementMsg(_ManagementFields, _Common, _Targeted):
    """Management (15.4): targetPortIdentity, boundary hops, actionField, then one TLV."""

    __slots__ = ()

    @property
    def action(self) -> int:
        """actionField (low nibble of ``action_octet``; the high nibble is reserved)."""
        return self.action_octet & 15

    @classmethod
    def make(
        cls,
        header: Header,
        target_port_identity: PortIdentity = _PORT_ZERO,
        starting_boundary_hops: int = 0,
        boundary_hops: int = 0,
        action: int = 0,
        tlvs: bytes = b"",
        reserved_nibble: int = 0,
        reserved: int = 0,
    ) -> ManagementMsg:
        return cls._make((
            *_header_fields(header, MessageType.MANAGEMENT, len(tlvs)),
            port_octets(target_port_identity),
            starting_boundary_hops,
            boundary_hops,
            _nibbles(reserved_nibble, action, "reserved/actionField"),
            reserved,
            tlvs,
        ))


Message: TypeAlias = (
    SyncMsg
    | DelayReqMsg
    | FollowUpMsg
    | DelayRespMsg
    | PdelayReqMsg
    | PdelayRespMsg
    | PdelayRespFollowUpMsg
    | AnnounceMsg
    | SignalingMsg
    | ManagementMsg
)

MESSAGE_CLASSES: Final[dict[MessageType, type[Message]]] = {
    MessageType.SYNC: SyncMsg,
    MessageType.DELAY_REQ: DelayReqMsg,
    MessageType.FOLLOW_UP: FollowUpMsg,
    MessageType.DELAY_RESP: DelayRespMsg,
    MessageType.PDELAY_REQ: PdelayReqMsg,
    MessageType.PDELAY_RESP: PdelayRespMsg,
    MessageType.PDELAY_RESP_FOLLOW_UP: PdelayRespFollowUpMsg,
    MessageType.ANNOUNCE: AnnounceMsg,
    MessageType.SIGNALING: SignalingMsg,
    MessageType.MANAGEMENT: ManagementMsg,
}

# messageType -> (struct, header + body length, class); index = messageType.
_Spec: TypeAlias = tuple[struct.Struct, int, type[Message]]
_STRUCTS: Final[dict[MessageType, struct.Struct]] = {
    MessageType.SYNC: _S_TS,
    MessageType.DELAY_REQ: _S_TS,
    MessageType.PDELAY_REQ: _S_PDELAY_REQ,
    MessageType.PDELAY_RESP: _S_TS_PID,
    MessageType.FOLLOW_UP: _S_TS,
    MessageType.DELAY_RESP: _S_TS_PID,
    MessageType.PDELAY_RESP_FOLLOW_UP: _S_TS_PID,
    MessageType.ANNOUNCE: _S_ANNOUNCE,
    MessageType.SIGNALING: _S_SIGNALING,
    MessageType.MANAGEMENT: _S_MANAGEMENT,
}
_SPECS: Final[tuple[_Spec | None, ...]] = tuple(
    (_STRUCTS[MessageType(t)], HEADER_LEN + BODY_LEN[MessageType(t)], MESSAGE_CLASSES[MessageType(t)])
    if t in MessageType._value2member_map_
    else None
    for t in range(16)
)
for _i, _spec in enumerate(_SPECS):
    if _spec is not None:  # each struct is exactly the header and body of its type
        assert _spec[0].size == _spec[1], (_i, _spec[0].size)
        assert len(_spec[2]._fields) == len(_spec[0].unpack(bytes(_spec[1])))

# class -> (struct, header + body length, messageType, indices of fixed-length octet fields)
_ENCODE_SPECS: Final[dict[type, tuple[struct.Struct, int, int, tuple[tuple[int, int], ...]]]] = {}
for _i, _spec in enumerate(_SPECS):
    if _spec is not None:
        _st, _fixed, _cls = _spec
        _octet_fields = tuple(
            (_cls._fields.index(name), size)
            for name, size in (
                ("source_port_octets", PORT_IDENTITY_LEN),
                ("requesting_port_octets", PORT_IDENTITY_LEN),
                ("target_port_octets", PORT_IDENTITY_LEN),
                ("grandmaster_identity_octets", CLOCK_IDENTITY_LEN),
                ("reserved", 10 if _cls is PdelayReqMsg else 0),
            )
            if name in _cls._fields and size
        )
        _ENCODE_SPECS[_cls] = (_st, _fixed, _i, _octet_fields)


# --- decoding ------------------------------------------------------------------------


def _check_tlvs(tlvs: bytes) -> None:
    """Whole TLVs with even lengths, none overrunning; else PtpParseError."""
    pos = 0
    end = len(tlvs)
    while pos < end:
        if end - pos < TLV_HEADER_LEN:
            raise PtpParseError(f"{end - pos} octets after the last TLV: too short for a TLV header")
        length = (tlvs[pos + 2] << 8) | tlvs[pos + 3]
        if length & 1:
            raise PtpParseError(f"TLV at suffix offset {pos} has odd lengthField {length}")
        pos += TLV_HEADER_LEN + length
        if pos > end:
            raise PtpParseError(f"TLV lengthField {length} overruns the message by {pos - end} octets")


def iter_tlvs(tlvs: bytes) -> list[tuple[int, bytes]]:
    """Split a TLV suffix into (tlvType, value octets); PtpParseError if malformed."""
    _check_tlvs(tlvs)
    out: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(tlvs):
        tlv_type, length = _S_TLV_HEADER.unpack_from(tlvs, pos)
        start = pos + TLV_HEADER_LEN
        out.append((tlv_type, bytes(tlvs[start : start + length])))
        pos = start + length
    return out


def _suffix(data: bytes | bytearray | memoryview, fixed: int, length: int, size: int) -> bytes:
    """The TLV octets between the body and messageLength, checked (whole TLVs, even lengths)."""
    if fixed + TLV_HEADER_LEN <= length <= size:
        # The common case first: exactly one TLV (a management or signaling message).
        first = (data[fixed + 2] << 8) | data[fixed + 3]
        if fixed + TLV_HEADER_LEN + first == length and not first & 1:
            return bytes(data[fixed:length])
    if length < fixed:
        raise PtpParseError(f"messageLength {length} is shorter than header and body ({fixed})")
    if length > size:
        raise PtpParseError(f"messageLength {length} exceeds the {size} octets received")
    tlvs = bytes(data[fixed:length])
    end = len(tlvs)
    pos = 0
    while end - pos >= TLV_HEADER_LEN:
        tlv_len = (tlvs[pos + 2] << 8) | tlvs[pos + 3]
        if tlv_len & 1:
            break
        pos += TLV_HEADER_LEN + tlv_len
    if pos != end:
        _check_tlvs(tlvs)  # raises, saying what is wrong
    return tlvs


def _decode_error(data: bytes | bytearray | memoryview) -> PtpParseError:
    """Why ``decode`` could not unpack ``data`` (only called on failure)."""
    size = len(data)
    if size < HEADER_LEN:
        return PtpParseError(f"{size} octets: shorter than the {HEADER_LEN}-octet PTP header")
    spec = _SPECS[data[0] & 15]
    if spec is None:
        return PtpParseError(f"unknown messageType {data[0] & 15:#x}")
    return PtpParseError(f"{MessageType(data[0] & 15).name} truncated: {size} octets, need {spec[1]}")


# Per octet 0 (majorSdoId | messageType): (bound unpack_from, header + body length, class).
_DecodeSpec: TypeAlias = tuple[Callable[[bytes | bytearray | memoryview], tuple[Any, ...]], int, type]
_DECODE: Final[tuple[_DecodeSpec | None, ...]] = tuple(
    None if (spec := _SPECS[octet0 & 15]) is None else (spec[0].unpack_from, spec[1], spec[2])
    for octet0 in range(256)
)


def decode(
    data: bytes | bytearray | memoryview,
    *,
    _decode: tuple[_DecodeSpec | None, ...] = _DECODE,
    _version: int = VERSION_PTP,
    _new: Callable[..., Any] = tuple.__new__,
) -> Message:
    """One PTPv2 message from a datagram; PtpParseError if it is not one we know.

    (The keyword-only parameters are not API: they bind module constants as
    locals, which is measurably faster on this per-packet path.)
    """
    try:
        unpack, fixed, cls = _decode[data[0]]  # type: ignore[misc]
        fields = unpack(data)
    except (IndexError, TypeError, struct.error):
        raise _decode_error(data) from None
    if fields[1] & 15 != _version:
        raise PtpParseError(f"versionPTP {fields[1] & 15} is not {VERSION_PTP}")
    msg: Message
    if fields[2] == fixed:
        msg = _new(cls, fields)
    else:
        msg = _new(cls, fields[:-1] + (_suffix(data, fixed, fields[2], len(data)),))
    return msg


def decode_header(data: bytes | bytearray | memoryview) -> Header:
    """Only the common header, as values (for routing); checks length and versionPTP."""
    size = len(data)
    if size < HEADER_LEN:
        raise PtpParseError(f"{size} octets: shorter than the {HEADER_LEN}-octet PTP header")
    o0, o1, ml, dom, msd, fl, corr, mts, sp, seq, ctl, lmi = _S_HEADER.unpack_from(data)
    if o1 & 15 != VERSION_PTP:
        raise PtpParseError(f"versionPTP {o1 & 15} is not {VERSION_PTP}")
    return _new(
        Header,
        (o0 >> 4, o0 & 15, o1 >> 4, o1 & 15, ml, dom, msd, fl, corr, mts, port_identity(sp), seq, ctl, lmi),
    )


# --- encoding ------------------------------------------------------------------------


def encode(msg: Message) -> bytes:
    """The wire octets of one message (see the module notes for what is computed)."""
    try:
        st, fixed, mtype, octet_fields = _ENCODE_SPECS[type(msg)]
    except KeyError:
        raise TypeError(f"not a PTP message object: {type(msg).__name__}") from None
    for index, size in octet_fields:
        value = msg[index]
        if not isinstance(value, bytes) or len(value) != size:  # struct would pad or cut silently
            raise PtpEncodeError(f"{msg._fields[index]} must be {size} octets, got {value!r}")
    tlvs = msg[-1]
    try:
        # "0s" at the end of the struct takes the tlvs argument and packs nothing.
        return st.pack((msg[0] & 0xF0) | mtype, msg[1], fixed + len(tlvs), *msg[3:]) + tlvs
    except struct.error as exc:
        raise PtpEncodeError(f"{type(msg).__name__}: a field does not fit the wire format ({exc})") from None


# --- templates -----------------------------------------------------------------------


class MessageTemplate:
    """A message built once into a bytearray, with its hot fields patched in place.

    ``buf`` is what goes to ``sendto``. The timestamp is the body's first
    field (origin, preciseOrigin, receive, requestReceipt or responseOrigin
    timestamp, by type); requestingPortIdentity exists for Delay_Resp,
    Pdelay_Resp and Pdelay_Resp_Follow_Up.
    """

    __slots__ = ("buf", "has_timestamp", "has_requesting_port_identity")

    def __init__(self, msg: Message) -> None:
        self.buf = bytearray(encode(msg))
        self.has_timestamp = isinstance(msg, _Stamped)
        self.has_requesting_port_identity = isinstance(msg, _Requesting)

    def set_sequence_id(self, sequence_id: int) -> None:
        try:
            _P_U16.pack_into(self.buf, _OFF_SEQUENCE_ID, sequence_id)
        except struct.error as exc:
            raise PtpEncodeError(f"sequenceId {sequence_id}: {exc}") from None

    def set_flags(self, flags: int) -> None:
        try:
            _P_U16.pack_into(self.buf, _OFF_FLAGS, flags)
        except struct.error as exc:
            raise PtpEncodeError(f"flagField {flags}: {exc}") from None

    def set_correction(self, scaled: int) -> None:
        """correctionField in 2^-16 ns (``values.ns_to_correction`` converts)."""
        # Checked first: struct writes an overflowing 64-bit value before noticing.
        if not INT64_MIN <= scaled <= INT64_MAX:
            raise PtpEncodeError(f"correctionField {scaled} does not fit 64 bits")
        _P_I64.pack_into(self.buf, _OFF_CORRECTION, scaled)

    def set_timestamp(self, ts: Timestamp) -> None:
        if not self.has_timestamp:
            raise TypeError("this message type has no body timestamp")
        sec = ts[0]
        try:  # packed aside first, so a bad nanoseconds value leaves buf untouched
            self.buf[_OFF_BODY : _OFF_BODY + TIMESTAMP_LEN] = _P_TS.pack(sec >> 32, sec & _M32, ts[1])
        except struct.error as exc:
            raise PtpEncodeError(f"timestamp {ts}: {exc}") from None

    def set_timestamp_ns(self, ns: int) -> None:
        if not self.has_timestamp:
            raise TypeError("this message type has no body timestamp")
        sec, nsec = divmod(ns, NS_PER_S)
        try:  # only the first field can be out of range, so nothing is written then
            _P_TS.pack_into(self.buf, _OFF_BODY, sec >> 32, sec & _M32, nsec)
        except struct.error as exc:
            raise PtpEncodeError(f"timestamp {ns} ns: {exc}") from None

    def set_requesting_port_identity(self, pid: PortIdentity) -> None:
        if not self.has_requesting_port_identity:
            raise TypeError("this message type has no requestingPortIdentity")
        self.buf[_OFF_REQUESTING_PID : _OFF_REQUESTING_PID + PORT_IDENTITY_LEN] = port_octets(pid)

    def decode(self) -> Message:
        """The template's current content as a message object (for checks and tests)."""
        return decode(self.buf)
