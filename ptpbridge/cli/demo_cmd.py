"""`ptpbridge demo`: the lab `make demo` runs (needs root)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def register(sub: Any) -> None:
    parser = sub.add_parser("demo", help="namespace lab: our grandmaster and NTP server, real clients")
    parser.add_argument("--duration", type=float, default=40.0, metavar="SECONDS",
                        help="how long to show live figures (default 40)")
    parser.add_argument("--no-ntp", action="store_true", help="PTP only")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if os.geteuid() != 0:
        print("ptpbridge: the demo builds network namespaces and needs root", file=sys.stderr)
        return 1
    from ptpbridge.demo.runner import run_demo

    return run_demo(args.duration, ntp=not args.no_ntp)
