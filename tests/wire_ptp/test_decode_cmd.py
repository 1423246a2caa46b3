# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge decode`: every PTP message of a capture, as text or JSON lines, checked against tshark."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import wrpcap, wrpcapng

from .samples import sample_frames

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")


def _decode(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ptpbridge", "decode", *args], capture_output=True, text=True, timeout=120
    )


def _tshark(pcap: Path, *fields: str) -> list[list[str]]:
    argv = ["tshark", "-r", str(pcap), "-Y", "ptp", "-T", "fields", "-E", "separator=\t"]
    for f in fields:
        argv += ["-e", f]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True).stdout
    return [line.split("\t") for line in out.splitlines()]


@pytest.fixture(scope="module")
def mixed_pcap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All samples, with non-PTP frames in between (so frame numbers are not message numbers)."""
    frames = []
    for i, frame in enumerate(sample_frames()):
        if i % 7 == 0:
            frames.append(Ether() / IP(dst="198.18.0.2") / UDP(sport=53, dport=53) / Raw(b"not ptp"))
        frames.append(frame)
    path = tmp_path_factory.mktemp("decode") / "mixed.pcap"
    wrpcap(str(path), frames)
    return path


def test_json_lines_match_tshark(mixed_pcap: Path) -> None:
    result = _decode(str(mixed_pcap), "--json")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    theirs = _tshark(mixed_pcap, "frame.number", "ptp.v2.sequenceid", "ptp.v2.messagetype", "frame.time_epoch")
    assert [r["header"]["sequenceId"] for r in records] == [int(row[1]) for row in theirs]
    assert [r["frame"] for r in records] == [int(row[0]) for row in theirs]
    assert [r["header"]["messageType"] for r in records] == [int(row[2], 0) for row in theirs]
    for r, row in zip(records, theirs, strict=True):
        assert abs(r["time"] - float(row[3])) < 1e-6
        assert r["fast"] == "ok"
        assert r["body"] is not None
    assert {r["transport"] for r in records} == {"udp4", "udp6", "l2"}
    assert any(r["vlan"] == 100 for r in records)
    tlv_names = {t["name"] for r in records for t in r["tlvs"]}
    assert {"PATH_TRACE", "MANAGEMENT", "GRANT_UNICAST_TRANSMISSION", "PAD"} <= tlv_names


def test_text_is_one_line_per_message(mixed_pcap: Path) -> None:
    result = _decode(str(mixed_pcap))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    theirs = _tshark(mixed_pcap, "frame.number", "ptp.v2.sequenceid")
    assert len(lines) == len(theirs)
    for line, (frame, seq) in zip(lines, theirs, strict=True):
        assert line.split()[0] == frame
        assert f" sequenceId={seq} " in line
        assert line.endswith("fast=ok")


def test_pcapng_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "samples.pcapng"
    wrpcapng(str(path), sample_frames()[:12])
    result = _decode(str(path), "--json")
    assert result.returncode == 0, result.stderr
    seqs = [json.loads(line)["header"]["sequenceId"] for line in result.stdout.splitlines()]
    assert seqs == [int(row[0]) for row in _tshark(path, "ptp.v2.sequenceid")]


def test_malformed_message_is_printed_with_the_fast_verdict(tmp_path: Path) -> None:
    path = tmp_path / "short.pcap"
    wrpcap(str(path), [Ether() / IP(dst="224.0.1.129") / UDP(sport=319, dport=319) / Raw(b"\x00\x02" + bytes(20))])
    result = _decode(str(path), "--json")
    assert result.returncode == 0
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["type"] == "malformed"
    assert record["fast"].startswith("error: 22 octets: shorter than the 34-octet PTP header")


@pytest.mark.parametrize("kind", ["missing", "text", "empty", "directory"])
def test_errors_are_one_line_and_exit_1(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "f.pcap"
    if kind == "text":
        path.write_text("hello, not a capture\n")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "directory":
        path.mkdir()
    result = _decode(str(path))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ptpbridge decode: {path}: ")
    assert "Traceback" not in result.stderr
