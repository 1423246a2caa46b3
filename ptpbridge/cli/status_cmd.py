"""`ptpbridge status`: ask the running daemon, print JSON or a chronyc-like table."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from ptpbridge.config.models import DEFAULT_CONTROL_SOCKET
from ptpbridge.daemon.control import ControlError, request
from ptpbridge.timebase import NS_PER_S

CLOCK_KINDS = {"phc": "PTP hardware clock", "system": "system clock, read-only", "sim": "simulated PHC"}


def register(sub: Any) -> None:
    parser = sub.add_parser("status", help="show the running daemon's state")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--control", type=Path, default=DEFAULT_CONTROL_SOCKET, metavar="PATH",
                        help=f"control socket (default {DEFAULT_CONTROL_SOCKET})")
    parser.set_defaults(func=run)


def format_time(ns: int, timescale: str) -> str:
    seconds, frac = divmod(ns, NS_PER_S)
    stamp = dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return f"{stamp}.{frac:09d} {timescale.upper()}"


def format_ns(ns: int) -> str:
    """Signed offset, exact, in the largest unit that keeps it readable (like chronyc)."""
    sign = "-" if ns < 0 else "+"
    magnitude = abs(ns)
    for unit, scale, digits in (("s", NS_PER_S, 9), ("ms", 1_000_000, 6), ("us", 1_000, 3)):
        if magnitude >= scale:
            whole, frac = divmod(magnitude, scale)
            return f"{sign}{whole}.{frac:0{digits}d} {unit}"
    return f"{sign}{magnitude} ns"


def rows_for(status: dict[str, Any]) -> list[tuple[str, str]]:
    clock = status["clock"]
    daemon = status["daemon"]
    rows = [
        ("Clock", f"{clock['name']} ({CLOCK_KINDS.get(clock['kind'], clock['kind'])})"),
        ("Time", format_time(clock["time_ns"], clock["timescale"])),
        ("Frequency", f"{clock['frequency_ppb']:+.3f} ppb"),
        ("Offset to system", f"{format_ns(clock['offset_to_system_ns'])} "
                             f"({clock['offset_method']}, delay {clock['offset_delay_ns']} ns)"),
    ]
    if clock.get("true_time_error_ns") is not None:
        rows.append(("True time error", format_ns(clock["true_time_error_ns"])))
    rows += [
        ("UTC offset", f"{daemon['utc_offset_s']} s"),
        ("Uptime", f"{daemon['uptime_s']:.1f} s"),
        ("Daemon", f"ptpbridge {daemon['version']}, pid {daemon['pid']}"),
    ]
    return rows


def render(status: dict[str, Any]) -> str:
    rows = rows_for(status)
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}} : {value}" for name, value in rows)


def run(args: argparse.Namespace) -> int:
    try:
        status = request(args.control, "status")
    except ControlError as exc:
        print(f"ptpbridge: {exc}", file=sys.stderr)
        return 1
    if args.json:
        json.dump(status, sys.stdout, indent=2)
        print()
    else:
        print(render(status))
    return 0
