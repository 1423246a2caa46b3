# SPDX-License-Identifier: GPL-2.0-or-later
"""Plain-data views of dissected PTP layers, for ``ptpbridge decode`` and logs.

``message_dict`` turns a scapy ``PTP`` layer chain into JSON-able dicts
(header, body, TLVs with their data sets); ``message_line`` prints the same
as one ``key=value`` line.
"""

# scapy's Packet API is untyped.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import json
from typing import Any

from scapy.fields import FlagValue
from scapy.packet import NoPayload, Packet, Raw

from ptpbridge.wire.ptp.constants import MessageType
from ptpbridge.wire.ptp.fields import Held, PTPTextField
from ptpbridge.wire.ptp.layers import PTP
from ptpbridge.wire.ptp.tlvs import MANAGEMENT_ID_NAMES, TLV_TYPE_NAMES, PTPTLV
from ptpbridge.wire.ptp.values import ClockIdentity, ClockQuality, PortIdentity, Timestamp

_SKIP = frozenset({"tlvs"})


def _value(field: Any, value: Any) -> Any:
    if isinstance(value, Held):
        value = value.value
    if isinstance(value, Timestamp):
        return {"seconds": value.seconds, "nanoseconds": value.nanoseconds}
    if isinstance(value, ClockQuality):
        return {
            "clockClass": value.clock_class,
            "clockAccuracy": value.clock_accuracy,
            "offsetScaledLogVariance": value.offset_scaled_log_variance,
        }
    if isinstance(value, (PortIdentity, ClockIdentity)):
        return str(value)
    if isinstance(value, FlagValue):
        return {"value": int(value), "set": [n for n in str(value).split("+") if n]}
    if isinstance(value, bytes):
        if isinstance(field, PTPTextField):
            return value.decode("utf-8", "replace")
        return value.hex()
    if isinstance(value, list):
        return [_value(None, v) for v in value]
    if value is None or isinstance(value, (int, str)):
        return value
    return str(value)


def layer_fields(layer: Packet) -> dict[str, Any]:
    """The layer's own fields (not its payload) as plain data."""
    return {f.name: _value(f, layer.getfieldval(f.name)) for f in layer.fields_desc if f.name not in _SKIP}


def _tlv_dict(tlv: Packet) -> dict[str, Any]:
    if not isinstance(tlv, PTPTLV):
        return {"tlvType": None, "name": "malformed", "raw": bytes(tlv).hex()}
    out: dict[str, Any] = {"name": TLV_TYPE_NAMES.get(tlv.tlvType, f"0x{tlv.tlvType:04x}")}
    out.update(layer_fields(tlv))
    if "managementId" in out:
        out["managementIdName"] = MANAGEMENT_ID_NAMES.get(out["managementId"], f"0x{out['managementId']:04x}")
    data = tlv.payload
    if not isinstance(data, NoPayload):
        if isinstance(data, Raw):
            out["data"] = {"raw": bytes(data).hex()}
        else:
            out["data"] = {"name": data.name, **layer_fields(data)}
            if not isinstance(data.payload, NoPayload):
                out["data"]["trailing"] = bytes(data.payload).hex()
    return out


def message_dict(ptp: Packet) -> dict[str, Any]:
    """``{"type", "header", "body", "tlvs", "trailing"}`` for one dissected PTP message."""
    out: dict[str, Any] = {}
    if not isinstance(ptp, PTP):
        return {"type": "malformed", "raw": bytes(ptp).hex()}
    try:
        out["type"] = MessageType(ptp.messageType).name
    except ValueError:
        out["type"] = f"0x{ptp.messageType:x}"
    out["header"] = layer_fields(ptp)
    body = ptp.payload
    trailing = b""
    if isinstance(body, NoPayload) or isinstance(body, Raw):
        out["body"] = None
        out["tlvs"] = []
        trailing = bytes(body) if isinstance(body, Raw) else b""
    else:
        out["body"] = layer_fields(body)
        out["tlvs"] = [_tlv_dict(t) for t in body.tlvs]
        rest = body.payload
        trailing = b"" if isinstance(rest, NoPayload) else bytes(rest)
    if trailing:
        out["trailing"] = trailing.hex()
    return out


def _flat(prefix: str, value: Any) -> list[str]:
    if isinstance(value, dict):
        if "set" in value and "value" in value:
            return [f"{prefix}={'+'.join(value['set']) or '0'}"]
        if "seconds" in value and "nanoseconds" in value:
            return [f"{prefix}={value['seconds']}.{value['nanoseconds']:09d}"]
        parts: list[str] = []
        for k, v in value.items():
            parts += _flat(f"{prefix}.{k}" if prefix else k, v)
        return parts
    if isinstance(value, list):
        return [f"{prefix}=[{','.join(str(v) for v in value)}]"]
    if isinstance(value, str) and (not value or any(c in value for c in ' ="')):
        return [f"{prefix}={json.dumps(value)}"]
    return [f"{prefix}={value}"]


def message_line(d: dict[str, Any]) -> str:
    """One line ``TYPE key=value ...`` from ``message_dict`` output."""
    parts = [d.get("type", "?")]
    parts += _flat("", d.get("header") or {})
    parts += _flat("", d.get("body") or {})
    for i, tlv in enumerate(d.get("tlvs") or []):
        parts += _flat(f"tlv{i}", tlv)
    if d.get("trailing"):
        parts.append(f"trailing={d['trailing']}")
    return " ".join(parts)
