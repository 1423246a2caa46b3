# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge decode FILE.pcap [--json]`: every PTP message of a capture.

PTP over UDPv4, UDPv6 and Ethernet (with or without 802.1Q tags), from
pcap or pcapng files. Each message is dissected with our scapy layers
(header, body, TLVs and management data sets) and also run through the fast
codec, whose verdict is printed (``fast=ok`` or the parse error), so a
capture doubles as a check of what the daemon would accept. One line per
message, or with ``--json`` one JSON object per line carrying the frame
number and capture time.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "decode",
        help="print every PTP message of a capture (pcap/pcapng)",
        description="Print every PTP message of a capture: UDPv4, UDPv6 and L2, with or without VLAN tags.",
    )
    parser.add_argument("pcap", metavar="FILE.pcap", help="capture file (pcap or pcapng)")
    parser.add_argument("--json", action="store_true", help="one JSON object per message (JSON lines)")
    parser.set_defaults(func=run)


def _fail(path: str, reason: str) -> int:
    print(f"ptpbridge decode: {path}: {reason}", file=sys.stderr)
    return 1


def _frames(path: str) -> Iterator[tuple[int, int, bytes, int]]:
    """(frame number, capture time in ns, frame octets, linktype) for every frame."""
    from scapy.config import conf
    from scapy.utils import PcapReader

    with PcapReader(path) as reader:
        for number, pkt in enumerate(reader, start=1):
            time_ns = int(pkt.time * 1_000_000_000)
            yield number, time_ns, bytes(pkt.original), conf.l2types.layer2num.get(type(pkt), 1)


def records(path: str) -> Iterator[dict[str, Any]]:
    """One plain-data record per PTP message of the capture."""
    from ptpbridge.wire.ptp import fast
    from ptpbridge.wire.ptp.describe import message_dict
    from ptpbridge.wire.ptp.errors import PtpParseError
    from ptpbridge.wire.ptp.frames import ptp_in_frame
    from ptpbridge.wire.ptp.layers import PTP

    for number, time_ns, frame, linktype in _frames(path):
        found = ptp_in_frame(frame, linktype)
        if found is None:
            continue
        record: dict[str, Any] = {
            "frame": number,
            "time": time_ns / 1e9,
            "time_ns": time_ns,
            "transport": found.transport,
            "src": found.src,
            "dst": found.dst,
            "vlan": found.vlan,
        }
        record.update(message_dict(PTP(found.payload)))
        try:
            fast.decode(found.payload)
            record["fast"] = "ok"
        except PtpParseError as exc:
            record["fast"] = f"error: {exc}"
        yield record


def _line(record: dict[str, Any]) -> str:
    from ptpbridge.wire.ptp.describe import message_line

    where = f"{record['src']} > {record['dst']}" + (f" vlan {record['vlan']}" if record["vlan"] is not None else "")
    fast_verdict = "fast=ok" if record["fast"] == "ok" else f"fast={record['fast']!r}"
    seconds, nanoseconds = divmod(record["time_ns"], 1_000_000_000)
    return (
        f"{record['frame']} {seconds}.{nanoseconds:09d} {record['transport']} {where} "
        f"{message_line(record)} {fast_verdict}"
    )


def _write(out: TextIO, text: str) -> None:
    out.write(text + "\n")


def run(args: argparse.Namespace) -> int:
    path = str(args.pcap)
    p = Path(path)
    if not p.exists():
        return _fail(path, "no such file")
    if p.is_dir():
        return _fail(path, "is a directory")
    try:
        with p.open("rb"):
            pass
    except OSError as exc:
        return _fail(path, exc.strerror or str(exc))
    try:
        for record in records(path):
            _write(sys.stdout, json.dumps(record) if args.json else _line(record))
    except BrokenPipeError:  # e.g. `| head`: stop quietly
        sys.stdout = open("/dev/null", "w")  # noqa: SIM115  (let the interpreter flush somewhere)
        return 0
    except Exception as exc:  # scapy's reader: not a capture, truncated capture, ...
        return _fail(path, f"not a readable pcap/pcapng capture ({exc})")
    return 0
