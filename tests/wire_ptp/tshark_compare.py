# SPDX-License-Identifier: GPL-2.0-or-later
"""Compare our PTP codecs with Wireshark's dissector on a capture.

``compare_capture(pcap)`` dissects every PTP frame (UDPv4, UDPv6, L2, with
or without VLAN tags) with tshark, with our scapy layers and with our fast
codec, and returns a list of mismatches (empty when everything agrees):

* tshark reports no malformed packet and no expert info of severity error;
* our scapy layers dissect the frame, and rebuilding the PTP layer gives
  the captured octets back;
* the fast codec decodes it, re-encodes the same octets and agrees with
  scapy field by field (types it covers: all ten message types);
* header fields, every named flag, correction, clock identities,
  timestamps, Announce fields, Signaling and Management fields, TLV types
  and lengths, management ids, data set octets and the data set fields
  tshark decodes are equal to tshark's values.

A capture without any PTP frame is a mismatch too, so a broken capture
cannot pass silently. Reusable for captures of real linuxptp traffic.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scapy.config import conf
from scapy.packet import NoPayload, Packet
from scapy.utils import PcapReader

from ptpbridge.wire.ptp import fast
from ptpbridge.wire.ptp.constants import Flag, ManagementId, MessageType, TlvType
from ptpbridge.wire.ptp.errors import PtpParseError
from ptpbridge.wire.ptp.frames import ptp_in_frame
from ptpbridge.wire.ptp.layers import BODY_CLASSES, PTP
from ptpbridge.wire.ptp.tlvs import (
    TLVAlternateTimeOffsetIndicator,
    TLVManagement,
    TLVManagementErrorStatus,
    TLVOrganizationExtension,
    TLVPathTrace,
)

from .agreement import compare_fast_scapy

PI_ERROR = 0x00800000  # Wireshark expert severity "error"

# tshark flag field -> our flag bit
TSHARK_FLAGS: dict[str, int] = {
    "ptp.v2.flags.alternatemaster": Flag.ALTERNATE_MASTER,
    "ptp.v2.flags.twostep": Flag.TWO_STEP,
    "ptp.v2.flags.unicast": Flag.UNICAST,
    "ptp.v2.flags.specific1": Flag.PROFILE_SPECIFIC_1,
    "ptp.v2.flags.specific2": Flag.PROFILE_SPECIFIC_2,
    "ptp.v2.flags.security": 1 << 15,
    "ptp.v2.flags.li61": Flag.LEAP61,
    "ptp.v2.flags.li59": Flag.LEAP59,
    "ptp.v2.flags.utcreasonable": Flag.CURRENT_UTC_OFFSET_VALID,
    "ptp.v2.flags.timescale": Flag.PTP_TIMESCALE,
    "ptp.v2.flags.timetraceable": Flag.TIME_TRACEABLE,
    "ptp.v2.flags.frequencytraceable": Flag.FREQUENCY_TRACEABLE,
    "ptp.v2.flags.synchronizationUncertain": Flag.SYNCHRONIZATION_UNCERTAIN,
}

# messageType -> (tshark prefix of the body timestamp, tshark key of requestingPortIdentity, of its port number)
TSHARK_BODY: dict[int, tuple[str, str | None, str | None]] = {
    MessageType.SYNC: ("ptp.v2.sdr.origintimestamp", None, None),
    MessageType.DELAY_REQ: ("ptp.v2.sdr.origintimestamp", None, None),
    MessageType.FOLLOW_UP: ("ptp.v2.fu.preciseorigintimestamp", None, None),
    MessageType.DELAY_RESP: (
        "ptp.v2.dr.receivetimestamp",
        "ptp.v2.dr.requestingsourceportidentity",
        "ptp.v2.dr.requestingsourceportid",
    ),
    MessageType.PDELAY_REQ: ("ptp.v2.pdrq.origintimestamp", None, None),
    MessageType.PDELAY_RESP: (
        "ptp.v2.pdrs.requestreceipttimestamp",
        "ptp.v2.pdrs.requestingportidentity",
        "ptp.v2.pdrs.requestingsourceportid",
    ),
    MessageType.PDELAY_RESP_FOLLOW_UP: (
        "ptp.v2.pdfu.responseorigintimestamp",
        "ptp.v2.pdfu.requestingportidentity",
        "ptp.v2.pdfu.requestingsourceportid",
    ),
    MessageType.ANNOUNCE: ("ptp.v2.an.origintimestamp", None, None),
}

# Where tshark lists the TLVs of a message type.
TSHARK_TLV_TYPE: dict[int, str] = {
    MessageType.ANNOUNCE: "ptp.v2.an.tlvType",
    MessageType.SIGNALING: "ptp.v2.sig.tlv.tlvType",
    MessageType.MANAGEMENT: "ptp.v2.mm.tlvType",
}
TSHARK_TLV_LENGTH: dict[int, str] = {
    MessageType.ANNOUNCE: "ptp.v2.an.lengthField",
    MessageType.SIGNALING: "ptp.v2.sig.tlv.lengthField",
    MessageType.MANAGEMENT: "ptp.v2.mm.lengthField",
}


def _scaled(ns: str, subns: str) -> int:
    """tshark's (ns as UInteger64, sub-ns fraction) back to a signed 2^-16 ns count."""
    whole = int(ns)
    if whole >= 1 << 63:
        whole -= 1 << 64
    return whole * 65536 + round(float(subns) * 65536)


def _int(v: str) -> int:
    return int(v, 0)


def _octets(v: str) -> bytes:
    return bytes.fromhex(v.replace(":", ""))


def _flag(body: Any, name: str) -> int:
    return int(bool(getattr(body, name)))


def _interval(t: dict[str, list[Any]], key: str) -> int:
    """A TimeInterval tshark shows as KEY (ns) and KEY without .ns plus .subns."""
    return _scaled(_first(t, key) or "0", _first(t, key[: -len(".ns")] + ".subns") or "0")


# managementId -> [(tshark key, our value from the data set layer, tshark value converter)];
# converter None marks a TimeInterval, read with _interval.
_Check = tuple[str, Callable[[Any], Any], Callable[[str], Any] | None]
MANAGEMENT_FIELDS: dict[int, list[_Check]] = {
    ManagementId.CLOCK_DESCRIPTION: [
        ("ptp.v2.mm.clockType", lambda b: b.clockType, _int),
        ("ptp.v2.mm.physicalLayerProtocol", lambda b: b.physicalLayerProtocol.decode(), str),
        ("ptp.v2.mm.physicalAddress", lambda b: b.physicalAddress, _octets),
        ("ptp.v2.mm.networkProtocol", lambda b: b.networkProtocol, _int),
        ("ptp.v2.mm.protocolAddress", lambda b: b.addressField, _octets),
        ("ptp.v2.mm.manufacturerIdentity", lambda b: b.manufacturerIdentity, _octets),
        ("ptp.v2.mm.productDescription", lambda b: b.productDescription.decode(), str),
        ("ptp.v2.mm.revisionData", lambda b: b.revisionData.decode(), str),
        ("ptp.v2.mm.userDescription", lambda b: b.userDescription.decode(), str),
        ("ptp.v2.mm.profileIdentity", lambda b: b.profileIdentity, _octets),
    ],
    ManagementId.USER_DESCRIPTION: [("ptp.v2.mm.userDescription", lambda b: b.userDescription.decode(), str)],
    ManagementId.DEFAULT_DATA_SET: [
        ("ptp.v2.mm.twoStep", lambda b: _flag(b.flags, "twoStep"), _int),
        ("ptp.v2.mm.SlavOnly", lambda b: _flag(b.flags, "slaveOnly"), _int),
        ("ptp.v2.mm.numberPorts", lambda b: b.numberPorts, _int),
        ("ptp.v2.mm.priority1", lambda b: b.priority1, _int),
        ("ptp.v2.mm.clockclass", lambda b: b.clockQuality.clock_class, _int),
        ("ptp.v2.mm.clockaccuracy", lambda b: b.clockQuality.clock_accuracy, _int),
        ("ptp.v2.mm.clockvariance", lambda b: b.clockQuality.offset_scaled_log_variance, _int),
        ("ptp.v2.mm.priority2", lambda b: b.priority2, _int),
        ("ptp.v2.mm.clockidentity", lambda b: b.clockIdentity.to_int(), _int),
        ("ptp.v2.mm.domainNumber", lambda b: b.domainNumber, _int),
    ],
    ManagementId.CURRENT_DATA_SET: [
        ("ptp.v2.mm.stepsRemoved", lambda b: b.stepsRemoved, _int),
        ("ptp.v2.mm.offset.ns", lambda b: b.offsetFromMaster, None),
        ("ptp.v2.mm.pathDelay.ns", lambda b: b.meanPathDelay, None),
    ],
    ManagementId.PARENT_DATA_SET: [
        ("ptp.v2.mm.parentclockidentity", lambda b: b.parentPortIdentity.clock_identity.to_int(), _int),
        ("ptp.v2.mm.parentsourceportid", lambda b: b.parentPortIdentity.port_number, _int),
        ("ptp.v2.mm.parentstats", lambda b: _flag(b.flags, "parentStats"), _int),
        ("ptp.v2.mm.observedParentOffsetScaledLogVariance", lambda b: b.observedParentOffsetScaledLogVariance, _int),
        ("ptp.v2.mm.observedParentClockPhaseChangeRate", lambda b: b.observedParentClockPhaseChangeRate, _int),
        ("ptp.v2.mm.grandmasterPriority1", lambda b: b.grandmasterPriority1, _int),
        ("ptp.v2.mm.grandmasterclockclass", lambda b: b.grandmasterClockQuality.clock_class, _int),
        ("ptp.v2.mm.grandmasterclockaccuracy", lambda b: b.grandmasterClockQuality.clock_accuracy, _int),
        ("ptp.v2.mm.grandmasterclockvariance", lambda b: b.grandmasterClockQuality.offset_scaled_log_variance, _int),
        ("ptp.v2.mm.grandmasterPriority2", lambda b: b.grandmasterPriority2, _int),
        ("ptp.v2.mm.grandmasterclockidentity", lambda b: b.grandmasterIdentity.to_int(), _int),
    ],
    ManagementId.TIME_PROPERTIES_DATA_SET: [
        ("ptp.v2.mm.currentutcoffset", lambda b: b.currentUtcOffset, _int),
        ("ptp.v2.mm.li61", lambda b: _flag(b.flags, "leap61"), _int),
        ("ptp.v2.mm.li59", lambda b: _flag(b.flags, "leap59"), _int),
        ("ptp.v2.mm.CurrentUTCOffsetValid", lambda b: _flag(b.flags, "currentUtcOffsetValid"), _int),
        ("ptp.v2.mm.ptptimescale", lambda b: _flag(b.flags, "ptpTimescale"), _int),
        ("ptp.v2.mm.timeTraceable", lambda b: _flag(b.flags, "timeTraceable"), _int),
        ("ptp.v2.mm.frequencyTraceable", lambda b: _flag(b.flags, "frequencyTraceable"), _int),
        ("ptp.v2.mm.timesource", lambda b: b.timeSource, _int),
    ],
    ManagementId.PORT_DATA_SET: [
        ("ptp.v2.mm.clockidentity", lambda b: b.portIdentity.clock_identity.to_int(), _int),
        ("ptp.v2.mm.PortNumber", lambda b: b.portIdentity.port_number, _int),
        ("ptp.v2.mm.portState", lambda b: b.portState, _int),
        ("ptp.v2.mm.logMinDelayReqInterval", lambda b: b.logMinDelayReqInterval, _int),
        ("ptp.v2.mm.peerMeanPathDelay.ns", lambda b: b.peerMeanPathDelay, None),
        ("ptp.v2.mm.logAnnounceInterval", lambda b: b.logAnnounceInterval, _int),
        ("ptp.v2.mm.announceReceiptTimeout", lambda b: b.announceReceiptTimeout, _int),
        ("ptp.v2.mm.logSyncInterval", lambda b: b.logSyncInterval, _int),
        ("ptp.v2.mm.delayMechanism", lambda b: b.delayMechanism, _int),
        ("ptp.v2.mm.logMinPdelayReqInterval", lambda b: b.logMinPdelayReqInterval, _int),
        ("ptp.v2.mm.versionNumber", lambda b: b.versionNumber, _int),
    ],
    ManagementId.PRIORITY1: [("ptp.v2.mm.priority1", lambda b: b.priority1, _int)],
    ManagementId.PRIORITY2: [("ptp.v2.mm.priority2", lambda b: b.priority2, _int)],
    ManagementId.DOMAIN: [("ptp.v2.mm.domainNumber", lambda b: b.domainNumber, _int)],
    ManagementId.SLAVE_ONLY: [("ptp.v2.mm.SlavOnly", lambda b: _flag(b.flags, "slaveOnly"), _int)],
    ManagementId.LOG_ANNOUNCE_INTERVAL: [("ptp.v2.mm.logAnnounceInterval", lambda b: b.logAnnounceInterval, _int)],
    ManagementId.ANNOUNCE_RECEIPT_TIMEOUT: [
        ("ptp.v2.mm.announceReceiptTimeout", lambda b: b.announceReceiptTimeout, _int)
    ],
    ManagementId.LOG_SYNC_INTERVAL: [("ptp.v2.mm.logSyncInterval", lambda b: b.logSyncInterval, _int)],
    ManagementId.VERSION_NUMBER: [("ptp.v2.mm.versionNumber", lambda b: b.versionNumber, _int)],
    ManagementId.TIME: [
        ("ptp.v2.mm.currentTime.seconds", lambda b: b.currentTime.seconds, _int),
        ("ptp.v2.mm.currentTime.nanoseconds", lambda b: b.currentTime.nanoseconds, _int),
    ],
    ManagementId.CLOCK_ACCURACY: [("ptp.v2.mm.clockaccuracy", lambda b: b.clockAccuracy, _int)],
    ManagementId.UTC_PROPERTIES: [
        ("ptp.v2.mm.currentutcoffset", lambda b: b.currentUtcOffset, _int),
        ("ptp.v2.mm.li61", lambda b: _flag(b.flags, "leap61"), _int),
        ("ptp.v2.mm.li59", lambda b: _flag(b.flags, "leap59"), _int),
        ("ptp.v2.mm.CurrentUTCOffsetValid", lambda b: _flag(b.flags, "currentUtcOffsetValid"), _int),
    ],
    ManagementId.TRACEABILITY_PROPERTIES: [
        ("ptp.v2.mm.timeTraceable", lambda b: _flag(b.flags, "timeTraceable"), _int),
        ("ptp.v2.mm.frequencyTraceable", lambda b: _flag(b.flags, "frequencyTraceable"), _int),
    ],
    ManagementId.TIMESCALE_PROPERTIES: [
        ("ptp.v2.mm.ptptimescale", lambda b: _flag(b.flags, "ptpTimescale"), _int),
        ("ptp.v2.mm.timesource", lambda b: b.timeSource, _int),
    ],
    ManagementId.DELAY_MECHANISM: [("ptp.v2.mm.delayMechanism", lambda b: b.delayMechanism, _int)],
    ManagementId.LOG_MIN_PDELAY_REQ_INTERVAL: [
        ("ptp.v2.mm.logMinPdelayReqInterval", lambda b: b.logMinPdelayReqInterval, _int)
    ],
}


@dataclass
class CaptureReport:
    """What ``compare_capture`` looked at, for tests that want more than the mismatch list."""

    mismatches: list[str] = field(default_factory=list)
    frames: int = 0
    ptp_frames: int = 0
    message_types: dict[str, int] = field(default_factory=dict)
    tlv_types: dict[str, int] = field(default_factory=dict)
    management_ids: dict[str, int] = field(default_factory=dict)
    transports: dict[str, int] = field(default_factory=dict)
    sequence_ids: list[int] = field(default_factory=list)


def tshark_json(pcap: Path | str) -> list[dict[str, Any]]:
    """tshark's full dissection of a capture (duplicate keys merged into lists)."""
    out = subprocess.run(
        ["tshark", "-r", str(pcap), "-T", "json", "--no-duplicate-keys"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def flatten(tree: Any, out: dict[str, list[Any]] | None = None) -> dict[str, list[Any]]:
    """Every leaf of a tshark JSON tree: field name -> values in document order."""
    out = {} if out is None else out
    if isinstance(tree, dict):
        for key, value in tree.items():
            if isinstance(value, (dict, list)):
                if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
                    out.setdefault(key, []).extend(value)
                else:
                    flatten(value, out)
            else:
                out.setdefault(key, []).append(value)
    elif isinstance(tree, list):
        for item in tree:
            flatten(item, out)
    return out


def _first(t: dict[str, list[Any]], key: str) -> str | None:
    values = t.get(key)
    return values[0] if values else None


class _Frame:
    """One frame's comparison, collecting mismatches with the frame number in front."""

    def __init__(self, number: int, report: CaptureReport) -> None:
        self.number = number
        self.report = report

    def bad(self, text: str) -> None:
        self.report.mismatches.append(f"frame {self.number}: {text}")

    def eq(self, what: str, ours: Any, theirs: Any) -> None:
        if ours != theirs:
            self.bad(f"{what}: ours {ours!r} != tshark {theirs!r}")


def compare_capture(pcap_path: Path | str) -> list[str]:
    """Mismatches between tshark and our codecs over every PTP frame of a capture."""
    return compare_capture_report(pcap_path).mismatches


def compare_capture_report(pcap_path: Path | str) -> CaptureReport:
    report = CaptureReport()
    dissections = tshark_json(pcap_path)
    with PcapReader(str(pcap_path)) as reader:  # type: ignore[no-untyped-call]
        frames = list(reader)
    report.frames = len(frames)
    if len(dissections) != len(frames):
        report.mismatches.append(f"tshark saw {len(dissections)} frames, scapy {len(frames)}")
        return report
    for number, (pkt, dissection) in enumerate(zip(frames, dissections, strict=True), start=1):
        layers = dissection["_source"]["layers"]
        _compare_frame(_Frame(number, report), pkt, layers)
    if report.ptp_frames == 0:
        report.mismatches.append("no PTP frame in the capture")
    return report


def _compare_frame(f: _Frame, pkt: Packet, layers: dict[str, Any]) -> None:
    everything = flatten(layers)
    if "_ws.malformed" in everything:
        f.bad("tshark: malformed packet")
    for severity in everything.get("_ws.expert.severity", []):
        if _int(severity) >= PI_ERROR:
            f.bad(f"tshark expert error: {everything.get('_ws.expert.message')}")
    linktype = conf.l2types.layer2num.get(type(pkt), 1)
    found = ptp_in_frame(bytes(pkt.original), linktype)
    if found is None:
        if "ptp" in layers:
            f.bad("tshark sees PTP where we see none")
        return
    if "ptp" not in layers:
        f.bad(f"tshark sees no PTP in a {found.transport} frame")
        return
    f.report.ptp_frames += 1
    f.report.transports[found.transport] = f.report.transports.get(found.transport, 0) + 1
    payload = found.payload
    t = flatten(layers["ptp"])

    # scapy: the frame dissects down to PTP, and the PTP layer rebuilds to the captured octets.
    ours = pkt.getlayer(PTP)
    if ours is None:
        f.bad("scapy did not dissect PTP in this frame")
        return
    f.eq("scapy rebuild of the PTP octets", bytes(ours).hex(), payload.hex())

    # fast codec: decodes, re-encodes the same octets, agrees with scapy field by field.
    try:
        msg = fast.decode(payload)
    except PtpParseError as exc:
        f.bad(f"fast codec rejected it: {exc}")
        msg = None
    if msg is not None:
        f.eq("fast re-encode", fast.encode(msg).hex(), payload[: msg.message_length].hex())
        for problem in compare_fast_scapy(msg, ours):
            f.bad(f"fast vs scapy: {problem}")
    _compare_with_tshark(f, ours, msg, t)


def _compare_with_tshark(f: _Frame, ptp: Any, msg: fast.Message | None, t: dict[str, list[Any]]) -> None:
    def tv(key: str, conv: Callable[[str], Any] = _int) -> Any:
        value = _first(t, key)
        return None if value is None else conv(value)

    mtype = ptp.messageType
    name = MessageType(mtype).name if mtype in MessageType._value2member_map_ else hex(mtype)
    f.report.message_types[name] = f.report.message_types.get(name, 0) + 1
    f.report.sequence_ids.append(ptp.sequenceId)

    # Common header, from scapy and (where decoded) from the fast codec.
    views: list[tuple[str, dict[str, Any]]] = [("scapy", _scapy_header(ptp))]
    if msg is not None:
        views.append(("fast", _fast_header(msg)))
    theirs = {
        "majorSdoId": tv("ptp.v2.majorsdoid"),
        "messageType": tv("ptp.v2.messagetype"),
        "minorVersionPTP": tv("ptp.v2.minorversionptp"),
        "versionPTP": tv("ptp.v2.versionptp"),
        "messageLength": tv("ptp.v2.messagelength"),
        "domainNumber": tv("ptp.v2.domainnumber"),
        "minorSdoId": tv("ptp.v2.minorsdoid"),
        "flagField": tv("ptp.v2.flags"),
        "correctionField": _interval(t, "ptp.v2.correction.ns"),
        "messageTypeSpecific": tv("ptp.v2.messagetypespecific"),
        "clockIdentity": tv("ptp.v2.clockidentity"),
        "sourcePortNumber": tv("ptp.v2.sourceportid"),
        "sequenceId": tv("ptp.v2.sequenceid"),
        "controlField": tv("ptp.v2.controlfield"),
        "logMessageInterval": tv("ptp.v2.logmessageperiod"),
    }
    for who, view in views:
        for key, value in theirs.items():
            f.eq(f"{who} header {key}", view[key], value)
        for tkey, bit in TSHARK_FLAGS.items():
            f.eq(f"{who} flag {tkey}", int(bool(view["flagField"] & bit)), tv(tkey))

    body = ptp.payload
    expected_body = BODY_CLASSES.get(mtype)
    if expected_body is None or not isinstance(body, expected_body):
        f.bad(f"scapy did not dissect the {name} body ({type(body).__name__})")
        return
    if mtype in TSHARK_BODY:
        prefix, rpi, rpn = TSHARK_BODY[mtype]
        ts_field = body.fields_desc[0].name
        stamps = [("scapy", getattr(body, ts_field))]
        if isinstance(msg, fast._Stamped):
            stamps.append(("fast", msg.timestamp))
        for who, ts in stamps:
            f.eq(f"{who} {ts_field} seconds", ts.seconds, tv(prefix + ".seconds"))
            f.eq(f"{who} {ts_field} nanoseconds", ts.nanoseconds, tv(prefix + ".nanoseconds"))
        if rpi is not None and rpn is not None:
            pids = [("scapy", body.requestingPortIdentity)]
            if isinstance(msg, fast._Requesting):
                pids.append(("fast", msg.requesting_port_identity))
            for who, pid in pids:
                f.eq(f"{who} requestingPortIdentity clock", pid.clock_identity.to_int(), tv(rpi))
                f.eq(f"{who} requestingPortIdentity port", pid.port_number, tv(rpn))
    if mtype == MessageType.ANNOUNCE:
        _compare_announce(f, body, msg, tv)
    elif mtype in (MessageType.SIGNALING, MessageType.MANAGEMENT):
        prefix = "ptp.v2.sig" if mtype == MessageType.SIGNALING else "ptp.v2.mm"
        target = body.targetPortIdentity
        f.eq("targetPortIdentity clock", target.clock_identity.to_int(), tv(prefix + ".targetportidentity"))
        f.eq("targetPortIdentity port", target.port_number, tv(prefix + ".targetportid"))
        if isinstance(msg, (fast.SignalingMsg, fast.ManagementMsg)):
            f.eq("fast targetPortIdentity", msg.target_port_identity, target)
        if mtype == MessageType.MANAGEMENT:
            f.eq("startingBoundaryHops", body.startingBoundaryHops, tv("ptp.v2.mm.startingboundaryhops"))
            f.eq("boundaryHops", body.boundaryHops, tv("ptp.v2.mm.boundaryhops"))
            f.eq("actionField", body.actionField, tv("ptp.v2.mm.action"))
    _compare_tlvs(f, mtype, body, t)


def _scapy_header(p: Any) -> dict[str, Any]:
    return {
        "majorSdoId": p.majorSdoId,
        "messageType": p.messageType,
        "minorVersionPTP": p.minorVersionPTP,
        "versionPTP": p.versionPTP,
        "messageLength": p.messageLength,
        "domainNumber": p.domainNumber,
        "minorSdoId": p.minorSdoId,
        "flagField": int(p.flagField),
        "correctionField": p.correctionField,
        "messageTypeSpecific": p.messageTypeSpecific,
        "clockIdentity": p.sourcePortIdentity.clock_identity.to_int(),
        "sourcePortNumber": p.sourcePortIdentity.port_number,
        "sequenceId": p.sequenceId,
        "controlField": p.controlField,
        "logMessageInterval": p.logMessageInterval,
    }


def _fast_header(m: fast.Message) -> dict[str, Any]:
    return {
        "majorSdoId": m.major_sdo_id,
        "messageType": m.message_type,
        "minorVersionPTP": m.minor_version,
        "versionPTP": m.version,
        "messageLength": m.message_length,
        "domainNumber": m.domain,
        "minorSdoId": m.minor_sdo_id,
        "flagField": m.flags,
        "correctionField": m.correction,
        "messageTypeSpecific": m.message_type_specific,
        "clockIdentity": m.source_port_identity.clock_identity.to_int(),
        "sourcePortNumber": m.source_port_identity.port_number,
        "sequenceId": m.sequence_id,
        "controlField": m.control,
        "logMessageInterval": m.log_message_interval,
    }


def _compare_announce(f: _Frame, body: Any, msg: fast.Message | None, tv: Callable[..., Any]) -> None:
    q = body.grandmasterClockQuality
    ours = {
        "ptp.v2.an.origincurrentutcoffset": body.currentUtcOffset,
        "ptp.v2.an.priority1": body.grandmasterPriority1,
        "ptp.v2.an.grandmasterclockclass": q.clock_class,
        "ptp.v2.an.grandmasterclockaccuracy": q.clock_accuracy,
        "ptp.v2.an.grandmasterclockvariance": q.offset_scaled_log_variance,
        "ptp.v2.an.priority2": body.grandmasterPriority2,
        "ptp.v2.an.grandmasterclockidentity": body.grandmasterIdentity.to_int(),
        "ptp.v2.an.localstepsremoved": body.stepsRemoved,
        "ptp.v2.timesource": body.timeSource,
    }
    if isinstance(msg, fast.AnnounceMsg):
        fq = msg.grandmaster_clock_quality
        fast_view = {
            "ptp.v2.an.origincurrentutcoffset": msg.current_utc_offset,
            "ptp.v2.an.priority1": msg.grandmaster_priority1,
            "ptp.v2.an.grandmasterclockclass": fq.clock_class,
            "ptp.v2.an.grandmasterclockaccuracy": fq.clock_accuracy,
            "ptp.v2.an.grandmasterclockvariance": fq.offset_scaled_log_variance,
            "ptp.v2.an.priority2": msg.grandmaster_priority2,
            "ptp.v2.an.grandmasterclockidentity": msg.grandmaster_identity.to_int(),
            "ptp.v2.an.localstepsremoved": msg.steps_removed,
            "ptp.v2.timesource": msg.time_source,
        }
        for key, value in fast_view.items():
            f.eq(f"fast {key}", value, tv(key))
    for key, value in ours.items():
        f.eq(f"scapy {key}", value, tv(key))


def _compare_tlvs(f: _Frame, mtype: int, body: Any, t: dict[str, list[Any]]) -> None:
    tlvs = list(getattr(body, "tlvs", []))
    for tlv in tlvs:
        tname = TlvType(tlv.tlvType).name if tlv.tlvType in TlvType._value2member_map_ else hex(tlv.tlvType)
        f.report.tlv_types[tname] = f.report.tlv_types.get(tname, 0) + 1
    if mtype not in TSHARK_TLV_TYPE:
        return  # tshark 4.0 does not list TLVs of other message types
    f.eq("TLV types", sorted(tlv.tlvType for tlv in tlvs), sorted(_int(v) for v in t.get(TSHARK_TLV_TYPE[mtype], [])))
    f.eq(
        "TLV lengths",
        sorted(tlv.lengthField for tlv in tlvs),
        sorted(_int(v) for v in t.get(TSHARK_TLV_LENGTH[mtype], [])),
    )
    if mtype == MessageType.SIGNALING:
        unicast = [x for x in tlvs if x.tlvType in (TlvType.REQUEST_UNICAST_TRANSMISSION,
                                                    TlvType.GRANT_UNICAST_TRANSMISSION)]  # fmt: skip
        negotiation = [x for x in tlvs if TlvType.REQUEST_UNICAST_TRANSMISSION <= x.tlvType
                       <= TlvType.ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION]  # fmt: skip
        f.eq("unicast messageType", sorted(x.messageType for x in negotiation),
             sorted(_int(v) for v in t.get("ptp.v2.sig.tlv.messageType", [])))  # fmt: skip
        f.eq("unicast logInterMessagePeriod", sorted(x.logInterMessagePeriod for x in unicast),
             sorted(_int(v) for v in t.get("ptp.v2.sig.tlv.logInterMessagePeriod", [])))  # fmt: skip
        f.eq("unicast durationField", sorted(x.durationField for x in unicast),
             sorted(_int(v) for v in t.get("ptp.v2.sig.tlv.durationField", [])))  # fmt: skip
        grants = [x for x in tlvs if x.tlvType == TlvType.GRANT_UNICAST_TRANSMISSION]
        f.eq("grant renewalInvited", sorted(int(bool(x.flags.renewalInvited)) for x in grants),
             sorted(_int(v) for v in t.get("ptp.v2.sig.tlv.renewalInvited", [])))  # fmt: skip
    for tlv in tlvs:
        if isinstance(tlv, TLVPathTrace):
            f.eq("pathSequence", [c.to_int() for c in tlv.pathSequence],
                 [_int(v) for v in t.get("ptp.v2.an.pathsequence", [])])  # fmt: skip
        elif isinstance(tlv, TLVAlternateTimeOffsetIndicator):
            f.eq("ATOI keyField", tlv.keyField, _int(_first(t, "ptp.v2.an.atoi.keyField") or "-1"))
            f.eq("ATOI currentOffset", tlv.currentOffset, _int(_first(t, "ptp.v2.an.atoi.currentOffset") or "0"))
            f.eq("ATOI jumpSeconds", tlv.jumpSeconds, _int(_first(t, "ptp.v2.an.atoi.jumpSeconds") or "0"))
            f.eq("ATOI timeOfNextJump", tlv.timeOfNextJump.to_bytes(6, "big"),
                 _octets(_first(t, "ptp.v2.an.atoi.timeOfNextJump") or ""))  # fmt: skip
            f.eq("ATOI displayName", tlv.displayName.decode(), _first(t, "ptp.v2.an.atoi.displayName") or "")
        elif type(tlv) is TLVOrganizationExtension and mtype == MessageType.ANNOUNCE:
            f.eq("organizationId", tlv.organizationId, _int(_first(t, "ptp.v2.an.oe.organizationId") or "-1"))
            f.eq("organizationSubType", tlv.organizationSubType,
                 _int(_first(t, "ptp.v2.an.oe.organizationSubType") or "-1"))  # fmt: skip
        elif isinstance(tlv, TLVManagement):
            f.report.management_ids[_mid_name(tlv.managementId)] = (
                f.report.management_ids.get(_mid_name(tlv.managementId), 0) + 1
            )
            f.eq("managementId", tlv.managementId, _int(_first(t, "ptp.v2.mm.managementId") or "-1"))
            data = tlv.payload
            if not isinstance(data, NoPayload):
                f.eq("management dataField", bytes(data).hex(), _octets(_first(t, "ptp.v2.mm.data") or "").hex())
                for key, get, conv in MANAGEMENT_FIELDS.get(tlv.managementId, []):
                    if conv is None:
                        theirs = _interval(t, key)
                    else:
                        raw = _first(t, key)
                        theirs = None if raw is None else conv(raw)
                    try:
                        ours = get(data)
                    except AttributeError:
                        f.bad(f"management {_mid_name(tlv.managementId)}: data set did not dissect ({data!r})")
                        break
                    f.eq(f"management {_mid_name(tlv.managementId)} {key}", ours, theirs)
        elif isinstance(tlv, TLVManagementErrorStatus):
            f.report.management_ids[_mid_name(tlv.managementId)] = (
                f.report.management_ids.get(_mid_name(tlv.managementId), 0) + 1
            )
            f.eq("managementErrorId", tlv.managementErrorId, _int(_first(t, "ptp.v2.mm.managementErrorId") or "-1"))
            f.eq("error managementId", tlv.managementId, _int(_first(t, "ptp.v2.mm.managementId") or "-1"))
            shown = _first(t, "ptp.v2.mm.displayData")
            f.eq("displayData", None if tlv.displayData is None else tlv.displayData.decode(), shown)


def _mid_name(mid: int) -> str:
    return ManagementId(mid).name if mid in ManagementId._value2member_map_ else hex(mid)
