# SPDX-License-Identifier: GPL-2.0-or-later
"""Driving a namespace-lab benchmark from the root namespace: one way to start, time and load it.

Every lab benchmark needs root, prints its table and how long it took, and
the load benchmarks give the generator host many source addresses and run
a generator module there as its own process, reading back its one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

# Source addresses live in the lab's /24 from .64 up.
_FIRST_SOURCE = 64
MAX_SOURCES = 180


def add_load_arguments(parser: argparse.ArgumentParser, *, max_rate: float) -> None:
    """The options every load benchmark takes: sources, step time, rate ceiling, --json."""
    parser.add_argument("--sources", type=int, default=64,
                        help=f"generator source addresses, 1..{MAX_SOURCES} (default 64)")
    parser.add_argument("--step-seconds", type=float, default=1.0, help="time per rate step (default 1)")
    parser.add_argument("--max-rate", type=float, default=max_rate,
                        help=f"highest rate tried (req/s, default {max_rate:,.0f})")
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON too")


def add_sources(host: Any, count: int) -> list[str]:
    """`count` extra IPv4 addresses on the generator's interface, in the lab's /24 (.64 up)."""
    if not 1 <= count <= MAX_SOURCES:
        raise ValueError(f"--sources must be 1..{MAX_SOURCES} (they live in the lab's /24)")
    prefix = host.ipv4.rsplit(".", 1)[0]
    sources = [f"{prefix}.{_FIRST_SOURCE + i}" for i in range(count)]
    for address in sources:
        host.run(["ip", "addr", "add", f"{address}/32", "dev", host.ifname], check=True)
    return sources


def run_loadgen(host: Any, module: str, request: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run generator `module` in `host` with `request`; its result, the last line it printed."""
    res = host.run([sys.executable, "-m", module, json.dumps(request)], timeout=timeout)
    try:
        result: dict[str, Any] = json.loads(res.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError(f"load generator failed (code {res.returncode}): {res.stdout}{res.stderr}") from None
    return result


def run_lab_bench(name: str, args: argparse.Namespace, measure: Callable[[argparse.Namespace], dict[str, Any]],
                  table: Callable[[dict[str, Any]], str]) -> int:
    """`ptpbridge bench <name>`: refuse without root, measure, print (raw JSON too with --json) and time it."""
    if os.geteuid() != 0:
        print(f"ptpbridge bench {name}: needs root (network namespaces)", file=sys.stderr)
        return 1
    started = time.monotonic()
    results = measure(args)
    if getattr(args, "json", False):
        print(json.dumps(results, indent=2, default=str))
    print(table(results))
    print(f"(bench took {time.monotonic() - started:.0f} s)")
    return 0
