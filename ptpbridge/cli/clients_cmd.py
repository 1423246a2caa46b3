# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge clients`: the NTP server's client table, like `chronyc clients`."""

from __future__ import annotations

import argparse
from typing import Any

from ptpbridge.cli.query import add_query_arguments, show
from ptpbridge.timebase import NS_PER_S

# NTP association modes (RFC 5905 figure 10), as a client table shows them.
MODE_NAMES = {0: "reserved", 1: "sym-active", 2: "sym-passive", 3: "client", 4: "server",
              5: "broadcast", 6: "control", 7: "private"}
HEADER = ("Address", "Requests", "Drops", "Interleaved", "Mode", "Key", "Last seen")


def register(sub: Any) -> None:
    parser = sub.add_parser("clients", help="list the NTP server's clients")
    add_query_arguments(parser)
    parser.set_defaults(func=run)


def format_age(ns: int) -> str:
    """Time since the last request, in the largest whole unit (like chronyc's LastRx)."""
    seconds = max(0, ns) // NS_PER_S
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def mode_text(mode: int, version: int) -> str:
    if mode < 0:
        return "-"
    return f"v{version} {MODE_NAMES.get(mode, str(mode))}"


def rows_for(result: dict[str, Any]) -> list[tuple[str, ...]]:
    now = int(result["now_utc_ns"])
    clients = sorted(result["clients"], key=lambda c: -int(c["last_seen_utc_ns"]))
    return [
        (str(c["address"]), str(c["requests"]), str(c["drops"]), str(c["interleaved"]),
         mode_text(int(c["last_mode"]), int(c["last_version"])),
         "-" if c.get("last_key_id") is None else str(c["last_key_id"]),
         format_age(now - int(c["last_seen_utc_ns"])))
        for c in clients
    ]


def render(result: dict[str, Any]) -> str:
    rows = [HEADER, *rows_for(result)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
             for row in rows]
    lines.insert(1, "  ".join("=" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def run(args: argparse.Namespace) -> int:
    return show(args, "ntp_clients", render, unknown="the daemon runs no NTP server (no [ntp] in its config)")
