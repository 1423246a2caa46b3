# SPDX-License-Identifier: GPL-2.0-or-later
"""Decode NTP packets with tshark (Wireshark's dissector) for cross-checks."""

from __future__ import annotations

import calendar
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import wrpcap

_MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)}
_TIME = re.compile(r"(\w{3})\s+(\d+), (\d{4}) (\d\d):(\d\d):(\d\d)\.(\d{9}) UTC")
_EXPERT_ERROR = 0x00800000


def tshark_path() -> str | None:
    return shutil.which("tshark")


@dataclass
class Dissected:
    """One packet's NTP fields as tshark sees them: raw hex `value` and `show` per field name."""

    values: dict[str, list[str]] = field(default_factory=dict)
    shows: dict[str, list[str]] = field(default_factory=dict)
    malformed: bool = False
    expert_errors: list[str] = field(default_factory=list)

    def value(self, name: str) -> str:
        return self.values[name][0]

    def show(self, name: str) -> str:
        return self.shows[name][0]


def tshark_time_to_utc_ns(show: str) -> int:
    """tshark's absolute time string ('Jan 15, 2027 08:00:00.123456788 UTC') as UTC ns."""
    m = _TIME.fullmatch(show)
    if m is None:
        raise ValueError(f"unexpected tshark time {show!r}")
    mon, day, year, hh, mm, ss, frac = m.groups()
    secs = calendar.timegm((int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss), 0, 0, 0))
    return secs * 1_000_000_000 + int(frac)


def dissect(payloads: list[bytes], workdir: Path, port: int = 123) -> list[Dissected]:
    """Write UDP/123 packets to a pcap and return tshark's dissection of each."""
    frames = [
        Ether() / IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=port, dport=port) / Raw(p)
        for p in payloads
    ]
    pcap = workdir / "ntp.pcap"
    wrpcap(str(pcap), frames)
    out = subprocess.run(
        ["tshark", "-n", "-r", str(pcap), "-T", "pdml"], capture_output=True, check=True, timeout=120
    ).stdout
    root = ET.fromstring(out)
    result: list[Dissected] = []
    for packet in root.iter("packet"):
        d = Dissected()
        for f in packet.iter("field"):
            name = f.get("name", "")
            if name == "_ws.malformed":
                d.malformed = True
            if name == "_ws.expert.severity" and int(f.get("show", "0")) >= _EXPERT_ERROR:
                d.expert_errors.append(f.get("showname", ""))
            if name.startswith("ntp."):
                d.values.setdefault(name, []).append(f.get("value", ""))
                d.shows.setdefault(name, []).append(f.get("show", ""))
        for proto in packet.iter("proto"):
            if proto.get("name") == "_ws.malformed":
                d.malformed = True
        result.append(d)
    return result
