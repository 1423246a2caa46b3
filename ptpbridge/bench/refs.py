# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge bench refs`: our daemon following three NTP servers, one of them 50 ms wrong.

A star lab of five hosts sharing one CLOCK_REALTIME (the truth): h1 and h2
run chronyd (`local stratum 1`, -x) serving true time, h3 our daemon
serving a SimulatedClock 50 ms ahead, h4 our daemon following all three
(examples/lab-references.toml: a simulated PHC starting 3 ms and 20 ppm
off), h5 a chronyd client (-x) of the same three servers, as the peer users
would pick instead, in the same run.

Reported: time to the first selection (iburst), whether and when h3 is
marked a falseticker, our |true time error| RMS and max over the
measurement window (the simulated clock against the truth), and chronyd's
figure: the RMS of the "System time" its `tracking` reports, the distance
between its estimate of true time and the never-steered (so exactly true)
system clock, i.e. its true time error; the ratio is ours / chronyd's.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from typing import Any

from ptpbridge.bench.lab_bench import run_lab_bench
from ptpbridge.bench.ntp_lab import PtpbridgeNtp, ntp_config
from ptpbridge.bench.refs_holdover import format_holdover, run_holdover
from ptpbridge.bench.refs_lab import PtpbridgeRefs, refs_config

DESCRIPTION = ("NTP references: our true time error following 3 servers (one 50 ms off) "
               "vs a chronyd client's, in a lab")

FALSETICKER_NS = 50_000_000


def falseticker_config() -> str:
    """Our NTP server on a simulated clock 50 ms ahead (stratum 1, so it looks as good as the others)."""
    return ntp_config(stratum=1).replace("time_error_ns = 0", f"time_error_ns = {FALSETICKER_NS}")


def _rms(values: list[int] | list[float]) -> float:
    return math.sqrt(math.fsum(v * v for v in values) / len(values)) if values else math.nan


def chronyc_system_time_ns(chronyd: Any) -> int | None:
    """`chronyc -c tracking` field 5, "System time": how far chronyd's idea of true time is from
    the system clock. With -x chronyd never corrects the (lab-true) system clock, so this is
    exactly chronyd's true time error, the figure comparable to our simulated clock's."""
    try:
        fields = chronyd.chronyc("-c", "tracking").strip().split(",")
        return round(float(fields[4]) * 1e9)
    except (IndexError, ValueError, RuntimeError):
        return None


def run_scenario(hosts: list[Any], seconds: float, settle: float,
                 inspect: Callable[[PtpbridgeRefs], None] | None = None) -> dict[str, Any]:
    """The five-host run; returns the figures. `inspect(ours)` runs before teardown (tests)."""
    from nslab.peers import Chronyd

    h1, h2, h3, h4, h5 = hosts[:5]
    servers = [h1.ipv4, h2.ipv4, h3.ipv4]
    upstream = [Chronyd.server(h, stratum=1, name=f"ntp-{h.name}") for h in (h1, h2)]
    liar = PtpbridgeNtp(h3, falseticker_config(), name="falseticker")
    client = Chronyd.client(h5, servers, minpoll=0, maxpoll=0, name="chronyd-client")
    ours = PtpbridgeRefs(h4, refs_config(servers), name="ours")
    out: dict[str, Any] = {}
    try:
        for c in upstream:
            c.start()
        for c in upstream:
            c.wait_ready()
        liar.start()
        client.start()
        ours.start()
        out["first_selection_s"] = ours.wait_for_selection(timeout=30)
        start = time.monotonic()
        marked = None
        while time.monotonic() - start < 60:
            rows = {r["address"]: r for r in ours.sources() if r.get("address")}
            if rows.get(h3.ipv4, {}).get("symbol") == "x":
                marked = out["first_selection_s"] + time.monotonic() - start
                break
            time.sleep(0.25)
        out["falseticker_marked_s"] = marked
        time.sleep(settle)
        errors: list[int] = []
        chrony: list[int] = []
        selected_ok = True
        begin = time.monotonic()
        while time.monotonic() - begin < seconds:
            t = ours.tracking()
            if t["true_time_error_ns"] is not None:
                errors.append(int(t["true_time_error_ns"]))
            if t["selected"] is None:
                selected_ok = False
            offset = chronyc_system_time_ns(client)
            if offset is not None:
                chrony.append(offset)
            time.sleep(0.5)
        out["sources"] = ours.sources()
        out["tracking"] = ours.tracking()
        out["falseticker_symbol"] = {r.get("address"): r["symbol"] for r in out["sources"]}.get(h3.ipv4)
        out["stayed_selected"] = selected_ok
        out["ours_samples"] = len(errors)
        out["ours_rms_ns"] = _rms(errors)
        out["ours_max_ns"] = max((abs(e) for e in errors), default=math.nan)
        out["ours_mean_ns"] = math.fsum(errors) / len(errors) if errors else math.nan
        out["chronyd_samples"] = len(chrony)
        out["chronyd_rms_ns"] = _rms(chrony)
        out["chronyd_max_ns"] = max((abs(e) for e in chrony), default=math.nan)
        sources = client.chronyc("-c", "sources")
        out["chronyd_falseticker"] = any(line.split(",")[1] == "x" and h3.ipv4 in line
                                         for line in sources.splitlines() if line.count(",") > 2)
        if inspect is not None:
            inspect(ours)
        return out
    finally:
        ours.stop()
        client.stop()
        liar.stop()
        for c in upstream:
            c.stop()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=60.0, help="measurement window (default 60)")
    parser.add_argument("--settle", type=float, default=30.0,
                        help="seconds after the falseticker is marked before measuring (default 30)")
    parser.add_argument("--holdover", action="store_true",
                        help="also run the holdover scenario (lose the reference, degrade, recover; "
                             "seen by a ptp4l slave and a chronyd client)")
    parser.add_argument("--budget", type=float, default=10.0, help="holdover budget for --holdover (default 10 s)")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    import nslab

    with nslab.Lab("star", hosts=5) as lab:
        results = run_scenario(lab.host_list, args.seconds, args.settle)
        if args.holdover:
            results["holdover"] = run_holdover(lab.host_list, budget_s=args.budget)
        return results


def _us(value: float | None) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value / 1000:.1f}"


def table(r: dict[str, Any], args: argparse.Namespace) -> str:
    ratio = r["ours_rms_ns"] / r["chronyd_rms_ns"] if r["chronyd_rms_ns"] else math.nan
    marked = r["falseticker_marked_s"]
    return "\n".join([
        f"NTP references: 2x chronyd (true time) + our server 50 ms off; {args.seconds:.0f} s measured "
        f"after {args.settle:.0f} s settling; kernel software timestamps over veth",
        f"first selection (iburst)        {r['first_selection_s']:.1f} s",
        f"falseticker marked 'x'          {'-' if marked is None else f'{marked:.1f} s'}"
        f" (final symbol {r['falseticker_symbol']!r}; chronyd marks it too: {r['chronyd_falseticker']})",
        f"{'':<18} {'RMS us':>8} {'max us':>8} {'mean us':>8} {'samples':>7}",
        f"{'ours |true TE|':<18} {_us(r['ours_rms_ns']):>8} {_us(r['ours_max_ns']):>8} "
        f"{_us(r['ours_mean_ns']):>8} {r['ours_samples']:>7}",
        f"{'chronyd |true TE|':<18} {_us(r['chronyd_rms_ns']):>8} {_us(r['chronyd_max_ns']):>8} "
        f"{'':>8} {r['chronyd_samples']:>7}",
        f"RMS ratio ours/chronyd          {ratio:.2f}",
    ] + ([format_holdover(r["holdover"])] if "holdover" in r else []))


def run(args: argparse.Namespace) -> int:
    return run_lab_bench("refs", args, measure, lambda results: table(results, args))
