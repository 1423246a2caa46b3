# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge bench ptp-delay`: how many unicast Delay_Req a grandmaster answers, ours vs ptp4l.

A star lab of two hosts: h1 runs our grandmaster (`ptpbridge run --clock
sim`, hybrid: unicast Delay_Resp to unicast Delay_Req), then ptp4l as a
master with `hybrid_e2e 1` (masterOnly; `free_running 1`: a master never
steers anyway), with the same intervals (8 Sync/s); h2 runs the load
generator (`ptpbridge.bench.ptp_loadgen`, its own process, many source
addresses on its interface). Measured for each:

* the highest Delay_Req rate answered with <= 0.1% loss;
* the Sync intervals (kernel receive stamps at the generator) during the
  heaviest step answered in full: they must stay within +-10% of nominal.

Ratio: ours / ptp4l, above 1 is better.
"""

from __future__ import annotations

import argparse
from typing import Any

from ptpbridge.bench.lab_bench import add_load_arguments, add_sources, run_lab_bench, run_loadgen

DESCRIPTION = "PTP grandmaster: unicast Delay_Req rate answered, ours vs ptp4l hybrid_e2e, in a namespace lab"

SERVERS = ("ptpbridge", "ptp4l")
LOG_SYNC_INTERVAL = -3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_load_arguments(parser, max_rate=200_000)
    parser.add_argument("--start-rate", type=float, default=2000, help="first rate tried (req/s)")
    parser.add_argument("--max-seconds", type=float, default=35, help="time limit per master (s)")


def loadgen(host: Any, request: dict[str, Any], timeout: float) -> dict[str, Any]:
    return run_loadgen(host, "ptpbridge.bench.ptp_loadgen", request, timeout)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    import nslab
    from nslab.peers import Ptp4l, Ptp4lConfig
    from ptpbridge.bench.ptp_lab import PtpbridgeGm, ptp_config

    results: dict[str, Any] = {}
    with nslab.Lab("star", hosts=2) as lab:
        h1, h2 = lab["h1"], lab["h2"]
        sources = add_sources(h2, args.sources)
        request = {"sources": sources, "interface": h2.ifname, "log_sync_interval": LOG_SYNC_INTERVAL,
                   "step_s": args.step_seconds, "start_rate": args.start_rate, "max_rate": args.max_rate,
                   "max_seconds": args.max_seconds}
        ours = PtpbridgeGm(h1, ptp_config(hybrid=True, log_sync_interval=LOG_SYNC_INTERVAL)).start()
        try:
            ours.wait_for_port_state("MASTER", timeout=20)
            results["ptpbridge"] = loadgen(h2, {**request, "server": h1.ipv4}, args.max_seconds + 60)
            results["ptpbridge"]["status"] = ours.ptp()["ports"][0]
        finally:
            ours.stop()
        peer = Ptp4l(h1, Ptp4lConfig(role="master", log_sync_interval=LOG_SYNC_INTERVAL,
                                     extra={"hybrid_e2e": "1"}), name="ptp4l-master").start()
        try:
            peer.wait_for_state("MASTER", timeout=20)
            results["ptp4l"] = loadgen(h2, {**request, "server": h1.ipv4}, args.max_seconds + 60)
        finally:
            peer.stop()
    return results


def _sync_text(sync: dict[str, Any]) -> str:
    if not sync.get("count"):
        return "no Sync seen"
    return (f"{sync['count']} intervals, mean {sync['mean_ns'] / 1e6:.2f} ms ({sync['mean_error_pct']:+.2f}%), "
            f"min {sync['min_ns'] / 1e6:.2f} ms, max {sync['max_ns'] / 1e6:.2f} ms, "
            f"{sync['within_10pct']}/{sync['count']} within +-10%")


def table(results: dict[str, Any], sources: int) -> str:
    ours, peer = results["ptpbridge"], results["ptp4l"]
    ratio = ours["best_rate"] / peer["best_rate"] if peer["best_rate"] else float("nan")
    lines = [f"PTP Delay_Req benchmark: lab star of 2 hosts, veth + bridge, kernel software timestamps, "
             f"{sources} source addresses, unicast Delay_Req (hybrid), 8 Sync/s",
             f"{'':<40}  {'ptpbridge':>10}  {'ptp4l':>10}  {'ours/ptp4l':>10}",
             f"{'max rate, <= 0.1% loss (req/s)':<40}  {ours['best_rate']:>10,}  {peer['best_rate']:>10,}  "
             f"{ratio:>10.2f}"]
    for name in SERVERS:
        r = results[name]
        lines.append(f"{name}: limited by {r['limited_by']}; during the heaviest flood answered in full:")
        lines.append(f"  Sync sent (Follow_Up preciseOriginTimestamps): {_sync_text(r['sync_at_best'])}")
        lines.append(f"  Sync received at h2 (kernel stamps): {_sync_text(r['sync_arrivals_at_best'])}")
        lines.append(f"  steps (target -> achieved, loss %): " + ", ".join(
            f"{s['target']}->{s['achieved']} {100 * s['loss']:.2f}%" for s in r["steps"]))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    return run_lab_bench("ptp-delay", args, measure, lambda results: table(results, args.sources))
