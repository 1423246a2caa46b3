# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge sources`: every reference and NTP source, read like `chronyc sources`.

First column: the mode (^ an NTP server, # a local reference: ptp, system, gnss,
local); second: the state (* selected, + candidate, - outlier pruned by
clustering, x falseticker, ? unreachable or unusable, ~ standby local).
"Last sample" is the newest measured offset, the reference minus our
clock on every row (ntp, ptp, system and gnss alike), as chronyc's column;
`--json` also has the clock filter's estimate (`offset_ns`), delay and
jitter.
"""

from __future__ import annotations

import argparse
from typing import Any

from ptpbridge.cli.query import add_query_arguments, show
from ptpbridge.timebase import NS_PER_S

HEADER = ("MS", "Name/IP address", "Ref", "Stratum", "Poll", "Reach", "LastRx", "Last sample", "Delay", "Jitter",
          "State")


def register(sub: Any) -> None:
    parser = sub.add_parser("sources", help="list the time references and NTP sources (like chronyc sources)")
    add_query_arguments(parser)
    parser.set_defaults(func=run)


def format_ns(ns: int | None, signed: bool = True) -> str:
    """chronyc-style: the value in the largest unit that keeps it readable (ns, us, ms, s)."""
    if ns is None:
        return "-"
    sign = ("+" if ns >= 0 else "-") if signed else ""
    value = abs(ns)
    for unit, size in (("ns", 1), ("us", 1_000), ("ms", 1_000_000)):
        if value < 10_000 * size:
            return f"{sign}{value // size}{unit}"
    return f"{sign}{value // NS_PER_S}s"


def format_age(ns: int | None) -> str:
    if ns is None:
        return "-"
    seconds = max(0, ns) // NS_PER_S
    for unit, size in (("d", 86400), ("h", 3600), ("m", 600)):
        if seconds >= size * (10 if unit == "m" else 1):
            return f"{seconds // (60 if unit == 'm' else size)}{unit}"
    return str(seconds)


def row_cells(row: dict[str, Any]) -> tuple[str, ...]:
    mode = "^" if row["kind"] in ("server", "pool") else "#"
    name = row["address"] if row.get("address") and row["kind"] == "pool" else row["name"]
    if row["kind"] in ("server", "pool") and row.get("address") and row["address"] != row["name"]:
        name = f"{row['name']} ({row['address']})"
    reach = "-" if row.get("reach") is None else str(row["reach"])
    return (mode + str(row["symbol"]), str(name), str(row.get("reference") or "-"),
            "-" if row.get("stratum") is None else str(row["stratum"]),
            "-" if row.get("poll") is None else str(row["poll"]), reach, format_age(row.get("last_rx_age_ns")),
            format_ns(row.get("last_offset_ns")), format_ns(row.get("delay_ns"), signed=False),
            format_ns(row.get("jitter_ns"), signed=False),
            str(row["state"]) + (f" ({row['reason']})" if row.get("reason") else ""))


def render(result: dict[str, Any]) -> str:
    rows = [HEADER, *(row_cells(r) for r in result["sources"])]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    left = {0, 1, 2, 10}
    lines = ["  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in rows]
    lines.insert(1, "=" * len(lines[0]))
    return "\n".join(line.rstrip() for line in lines)


def run(args: argparse.Namespace) -> int:
    return show(args, "sources", render, unknown="the daemon follows no references (no [[reference]] in its config)")
