# SPDX-License-Identifier: GPL-2.0-or-later
"""Field-by-field comparison of a fast-codec message with the scapy dissection of the same octets."""

from __future__ import annotations

from typing import Any

from scapy.packet import NoPayload

from ptpbridge.wire.ptp import fast
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

_HEADER = (
    ("major_sdo_id", "majorSdoId"),
    ("message_type", "messageType"),
    ("minor_version", "minorVersionPTP"),
    ("version", "versionPTP"),
    ("message_length", "messageLength"),
    ("domain", "domainNumber"),
    ("minor_sdo_id", "minorSdoId"),
    ("flags", "flagField"),
    ("correction", "correctionField"),
    ("message_type_specific", "messageTypeSpecific"),
    ("source_port_identity", "sourcePortIdentity"),
    ("sequence_id", "sequenceId"),
    ("control", "controlField"),
    ("log_message_interval", "logMessageInterval"),
)

# fast class -> (scapy body class, [(fast attribute, scapy field)])
BODY_MAP: dict[type, tuple[type, list[tuple[str, str]]]] = {
    fast.SyncMsg: (PTPSync, [("origin_timestamp", "originTimestamp")]),
    fast.DelayReqMsg: (PTPDelayReq, [("origin_timestamp", "originTimestamp")]),
    fast.FollowUpMsg: (PTPFollowUp, [("precise_origin_timestamp", "preciseOriginTimestamp")]),
    fast.DelayRespMsg: (
        PTPDelayResp,
        [("receive_timestamp", "receiveTimestamp"), ("requesting_port_identity", "requestingPortIdentity")],
    ),
    fast.PdelayReqMsg: (PTPPdelayReq, [("origin_timestamp", "originTimestamp"), ("reserved", "reserved")]),
    fast.PdelayRespMsg: (
        PTPPdelayResp,
        [
            ("request_receipt_timestamp", "requestReceiptTimestamp"),
            ("requesting_port_identity", "requestingPortIdentity"),
        ],
    ),
    fast.PdelayRespFollowUpMsg: (
        PTPPdelayRespFollowUp,
        [
            ("response_origin_timestamp", "responseOriginTimestamp"),
            ("requesting_port_identity", "requestingPortIdentity"),
        ],
    ),
    fast.AnnounceMsg: (
        PTPAnnounce,
        [
            ("origin_timestamp", "originTimestamp"),
            ("current_utc_offset", "currentUtcOffset"),
            ("reserved", "reserved"),
            ("grandmaster_priority1", "grandmasterPriority1"),
            ("grandmaster_clock_quality", "grandmasterClockQuality"),
            ("grandmaster_priority2", "grandmasterPriority2"),
            ("grandmaster_identity", "grandmasterIdentity"),
            ("steps_removed", "stepsRemoved"),
            ("time_source", "timeSource"),
        ],
    ),
    fast.SignalingMsg: (PTPSignaling, [("target_port_identity", "targetPortIdentity")]),
    fast.ManagementMsg: (
        PTPManagement,
        [
            ("target_port_identity", "targetPortIdentity"),
            ("starting_boundary_hops", "startingBoundaryHops"),
            ("boundary_hops", "boundaryHops"),
            ("action", "actionField"),
            ("reserved", "reserved2"),
        ],
    ),
}


def _norm(value: Any) -> Any:
    # FlagValue -> int; everything else compares as is.
    if type(value).__name__ == "FlagValue":
        return int(value)
    return value


def compare_fast_scapy(msg: fast.Message, ptp: Any) -> list[str]:
    """Mismatches between a decoded fast message and a dissected scapy PTP layer chain."""
    out: list[str] = []
    if not isinstance(ptp, PTP):
        return [f"scapy did not dissect a PTP header ({type(ptp).__name__})"]
    for fa, sa in _HEADER:
        a, b = getattr(msg, fa), _norm(getattr(ptp, sa))
        if a != b:
            out.append(f"header {sa}: fast {a!r} != scapy {b!r}")
    body_cls, pairs = BODY_MAP[type(msg)]
    body = ptp.payload
    if not isinstance(body, body_cls):
        return out + [f"scapy body is {type(body).__name__}, fast says {type(msg).__name__}"]
    for fa, sa in pairs:
        a, b = getattr(msg, fa), _norm(getattr(body, sa))
        if a != b:
            out.append(f"{body_cls.__name__}.{sa}: fast {a!r} != scapy {b!r}")
    if isinstance(msg, fast.ManagementMsg) and msg.action_octet >> 4 != body.reserved:
        out.append(f"management reserved nibble: fast {msg.action_octet >> 4} != scapy {body.reserved}")
    scapy_tlvs = b"".join(bytes(t) for t in body.tlvs)
    if scapy_tlvs != msg.tlvs:
        out.append(f"TLV octets differ: fast {msg.tlvs.hex()} != scapy {scapy_tlvs.hex()}")
    if not isinstance(body.payload, NoPayload) and body.payload.name != "Padding":
        out.append(f"scapy left {type(body.payload).__name__} after the TLVs: {bytes(body.payload).hex()}")
    return out
