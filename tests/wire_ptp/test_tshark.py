# SPDX-License-Identifier: GPL-2.0-or-later
"""Wireshark agrees with what our layers build: every message type and TLV, over every transport."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import wrpcap

from ptpbridge.wire.ptp.constants import ManagementId, MessageType, TlvType

from . import tshark_compare
from .samples import MANAGEMENT_RESPONSES, sample_frames, sample_messages
from .tshark_compare import compare_capture, compare_capture_report

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")

# Every TLV and management data set the layer defines, so a sample list that lost one fails here.
EXPECTED_TLVS = {
    "MANAGEMENT", "MANAGEMENT_ERROR_STATUS", "ORGANIZATION_EXTENSION", "ORGANIZATION_EXTENSION_PROPAGATE",
    "ORGANIZATION_EXTENSION_DO_NOT_PROPAGATE", "REQUEST_UNICAST_TRANSMISSION", "GRANT_UNICAST_TRANSMISSION",
    "CANCEL_UNICAST_TRANSMISSION", "ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION", "PATH_TRACE",
    "ALTERNATE_TIME_OFFSET_INDICATOR", "PAD",
}  # fmt: skip


@pytest.fixture(scope="module")
def samples_pcap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tshark") / "samples.pcap"
    wrpcap(str(path), sample_frames())
    return path


def test_every_sample_agrees_with_tshark(samples_pcap: Path) -> None:
    report = compare_capture_report(samples_pcap)
    assert report.mismatches == []
    assert report.ptp_frames == report.frames == len(sample_frames())
    assert set(report.message_types) == {t.name for t in MessageType}
    assert EXPECTED_TLVS <= set(report.tlv_types)
    from ptpbridge.wire.ptp.tlvs import MANAGEMENT_BODIES

    assert {ManagementId(m).name for m in MANAGEMENT_BODIES} <= set(report.management_ids)
    assert len(MANAGEMENT_RESPONSES) == len(MANAGEMENT_BODIES)
    assert set(report.transports) == {"udp4", "udp6", "l2"}


def test_vlan_tagged_frames_are_in_the_capture(samples_pcap: Path) -> None:
    out = tshark_compare.tshark_json(samples_pcap)
    vlan = [d for d in out if "vlan" in d["_source"]["layers"] and "ptp" in d["_source"]["layers"]]
    assert len(vlan) >= 2


def test_ethernet_padding_is_not_part_of_the_message(tmp_path: Path) -> None:
    """A real NIC pads a 58-octet L2 Sync frame to 60: both sides must ignore the two octets."""
    sync = sample_messages()[0]
    frame = bytes(Ether(dst="01:1b:19:00:00:00", type=0x88F7) / sync) + b"\x00\x00"
    path = tmp_path / "padded.pcap"
    wrpcap(str(path), [Ether(frame)])
    assert compare_capture(path) == []


def test_the_comparison_catches_disagreement(samples_pcap: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Change one value in tshark's output: compare_capture must report exactly that field."""
    real = tshark_compare.tshark_json

    def doctored(pcap: Any) -> Any:
        out = real(pcap)
        out[0]["_source"]["layers"]["ptp"]["ptp.v2.sequenceid"] = "1"
        return out

    monkeypatch.setattr(tshark_compare, "tshark_json", doctored)
    problems = compare_capture(samples_pcap)
    assert problems and all(p.startswith("frame 1:") and "sequenceId" in p for p in problems)


def test_malformed_frames_are_reported(tmp_path: Path) -> None:
    announce = bytes(sample_messages()[8])
    assert announce[0] & 15 == MessageType.ANNOUNCE
    path = tmp_path / "truncated.pcap"
    wrpcap(str(path), [Ether() / IP(dst="224.0.1.129") / UDP(sport=320, dport=320) / announce[:50]])
    problems = compare_capture(path)
    assert any("malformed" in p or "rejected" in p for p in problems)


def test_capture_without_ptp_is_a_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "none.pcap"
    wrpcap(str(path), [Ether() / IP() / UDP(sport=53, dport=53)])
    assert compare_capture(path) == ["no PTP frame in the capture"]


def test_every_tlv_type_has_a_sample() -> None:
    types = {t.tlvType for m in sample_messages() for t in getattr(m.payload, "tlvs", [])}
    assert {TlvType[name] for name in EXPECTED_TLVS} <= types
