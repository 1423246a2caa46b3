# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge bench ntp`: our NTP server against chronyd, same lab, same run.

A star lab of three hosts: h1 runs `ptpbridge run --clock sim` (a
zero-error simulated clock, so served UTC is the lab's true time), h2 runs
chronyd (`-x`, `local stratum 1`, `allow all`, no ratelimit, `-u root`),
h3 runs the load generator (its own process, many source addresses on its
interface) and then two chronyd clients. Measured for each server:

* the highest request rate answered with <= 0.1% loss;
* the transmit-timestamp error, basic and interleaved: the generator's
  kernel RX timestamp of a reply minus the server's transmit timestamp of
  it (both on the one kernel clock; this includes the wire time, a few us
  on veth, the same for both servers);
* the offset a chronyd client (minpoll -4) measures, basic and xleave: RMS,
  split into mean (the bias) and standard deviation, and the round-trip
  delay it saw (its spread is both ends' timestamp noise).

`--only PART` (repeatable) runs just that part, e.g. `--only client` in
about --rms-seconds plus the lab set-up, to iterate on accuracy quickly.

Ratios are ours / chronyd: above 1 is better for the rate, below 1 for errors.
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

from ptpbridge.bench.lab_bench import add_load_arguments, add_sources, run_lab_bench, run_loadgen

DESCRIPTION = "NTP server: request rate and timestamp error, ours vs chronyd, in a namespace lab"

SERVERS = ("ptpbridge", "chronyd")
# The bench's parts, each runnable alone (--only): `client` takes ~rms-seconds, `rate` most of the time.
PARTS = ("accuracy", "rate", "client")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, default=2, help="our NTP worker processes (default 2)")
    add_load_arguments(parser, max_rate=250_000)
    parser.add_argument("--accuracy-count", type=int, default=300, help="requests per accuracy run")
    parser.add_argument("--rms-seconds", type=float, default=20.0, help="chronyd client run time (s)")
    parser.add_argument("--only", choices=PARTS, action="append",
                        help="run only this part (repeatable; default all): " + ", ".join(PARTS))


def _loadgen(host: Any, request: dict[str, Any], timeout: float) -> dict[str, Any]:
    return run_loadgen(host, "ptpbridge.bench.ntp_loadgen", request, timeout)


def _rms_us(values: list[int]) -> float:
    return math.sqrt(math.fsum(v * v for v in values) / len(values)) / 1000 if values else math.nan


def _stats_us(values: list[int]) -> dict[str, float]:
    """RMS, mean and standard deviation (us): RMS^2 = mean^2 + std^2 splits bias from noise."""
    if not values:
        return {"rms_us": math.nan, "mean_us": math.nan, "std_us": math.nan}
    mean = math.fsum(values) / len(values)
    var = math.fsum((v - mean) ** 2 for v in values) / len(values)
    return {"rms_us": _rms_us(values), "mean_us": mean / 1000, "std_us": math.sqrt(var) / 1000}


def _client_rms(lab: Any, seconds: float) -> dict[str, dict[str, float]]:
    """Offset RMS seen by chronyd clients: basic over IPv4, xleave over IPv6, both servers at once."""
    from nslab.peers import Chronyd

    h1, h2, h3 = lab["h1"], lab["h2"], lab["h3"]
    runs = {
        "basic": Chronyd.client(h3, [h1.ipv4, h2.ipv4], minpoll=-4, maxpoll=-4, name="client-basic"),
        "xleave": Chronyd.client(h3, [h1.ipv6, h2.ipv6], minpoll=-4, maxpoll=-4, xleave=True,
                                 name="client-xleave"),
    }
    names = {h1.ipv4: "ptpbridge", h1.ipv6: "ptpbridge", h2.ipv4: "chronyd", h2.ipv6: "chronyd"}
    out: dict[str, dict[str, float]] = {name: {} for name in SERVERS}
    try:
        for client in runs.values():
            client.start()
        time.sleep(seconds)
    finally:
        for client in runs.values():
            client.stop()
    for mode, client in runs.items():
        samples: dict[str, list[Any]] = {}
        for m in client.measurements():
            samples.setdefault(m.address, []).append(m)
        for address, found in samples.items():
            name = names.get(address)
            if name is None:
                continue
            steady = found[8:]  # skip the iburst start
            for key, value in _stats_us([m.offset_ns for m in steady]).items():
                out[name][f"{mode}_{key}"] = value
            # The round-trip delay the client saw: its spread is the timestamps' noise, both ends.
            delays = _stats_us([m.delay_ns for m in steady])
            out[name][f"{mode}_delay_mean_us"] = delays["mean_us"]
            out[name][f"{mode}_delay_std_us"] = delays["std_us"]
            out[name][f"{mode}_samples"] = len(steady)
            out[name][f"{mode}_interleaved"] = sum(1 for m in steady if m.interleaved)
    return out


def measure(args: argparse.Namespace) -> dict[str, Any]:
    import nslab
    from nslab.peers import Chronyd
    from ptpbridge.bench.loadgen import parse_rcvbuf_errors
    from ptpbridge.bench.ntp_lab import PtpbridgeNtp, ntp_config

    parts = set(args.only or PARTS)
    results: dict[str, Any] = {name: {} for name in SERVERS}
    with nslab.Lab("star", hosts=3) as lab:
        h1, h2, h3 = lab["h1"], lab["h2"], lab["h3"]
        sources = add_sources(h3, args.sources)
        ours = PtpbridgeNtp(h1, ntp_config(workers=args.workers)).start()
        peer = Chronyd.server(h2, stratum=1, allow=["all"]).start()
        try:
            peer.wait_ready()
            targets = {"ptpbridge": (h1, h1.ipv4), "chronyd": (h2, h2.ipv4)}
            if "accuracy" in parts:
                for name, (host, address) in targets.items():
                    for interleaved in (False, True):
                        acc = _loadgen(h3, {"phase": "accuracy", "server": address, "source": h3.ipv4,
                                            "interleaved": interleaved, "count": args.accuracy_count,
                                            "max_seconds": 20}, 60)
                        results[name]["interleaved" if interleaved else "basic"] = acc
            if "rate" in parts:
                for name, (host, address) in targets.items():
                    before = parse_rcvbuf_errors(host.run(["cat", "/proc/net/snmp"], check=True).stdout)
                    rate = _loadgen(h3, {"phase": "rate", "server": address, "sources": sources,
                                         "step_s": args.step_seconds, "max_rate": args.max_rate,
                                         "max_seconds": 40}, 90)
                    after = parse_rcvbuf_errors(host.run(["cat", "/proc/net/snmp"], check=True).stdout)
                    rate["server_drops"] = after - before
                    results[name]["rate"] = rate
            if "client" in parts:
                for name, figures in _client_rms(lab, args.rms_seconds).items():
                    results[name]["client"] = figures
            results["ptpbridge"]["status"] = ours.ntp()
        finally:
            peer.stop()
            ours.stop()
    return results


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


_BEFORE_DEPARTURE = "  basic: transmit timestamp before departure (us)"


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None or not theirs or math.isnan(ours) or math.isnan(theirs):
        return "-"
    return f"{ours / theirs:.2f}"


def table(results: dict[str, Any], workers: int) -> str:
    """The rows of the parts that ran; the chronyd-client rows split RMS into mean (bias) and std (noise)."""
    ours, peer = results["ptpbridge"], results["chronyd"]

    def err(r: dict[str, Any], mode: str, key: str) -> float | None:
        e = r.get(mode, {}).get("error", {})
        return e[key] / 1000 if key in e else None

    rows: list[tuple[str, float | None, float | None, int]] = []
    no_ratio: set[str] = set()  # rows whose ratio means nothing (a signed difference)
    if "rate" in ours:
        rows.append(("max rate, <= 0.1% loss (req/s)", ours["rate"]["best_rate"], peer["rate"]["best_rate"], 0))
    if "basic" in ours:
        rows += [
            ("TX timestamp error, basic: mean (us)", err(ours, "basic", "mean_ns"), err(peer, "basic", "mean_ns"), 1),
            ("TX timestamp error, basic: std (us)", err(ours, "basic", "std_ns"), err(peer, "basic", "std_ns"), 1),
            ("TX timestamp error, interleaved: mean (us)", err(ours, "interleaved", "mean_ns"),
             err(peer, "interleaved", "mean_ns"), 1),
            ("TX timestamp error, interleaved: std (us)", err(ours, "interleaved", "std_ns"),
             err(peer, "interleaved", "std_ns"), 1),
            # The interleaved error is the wire alone (kernel TX stamp to the generator's RX stamp);
            # what a basic reply adds to it is how far its transmit timestamp falls before the packet
            # leaves: a basic client takes half of it as offset, with the path's own asymmetry.
            (_BEFORE_DEPARTURE,
             _difference(err(ours, "basic", "mean_ns"), err(ours, "interleaved", "mean_ns")),
             _difference(err(peer, "basic", "mean_ns"), err(peer, "interleaved", "mean_ns")), 1),
        ]
        no_ratio.add(_BEFORE_DEPARTURE)
    if "client" in ours:
        a, b = ours["client"], peer["client"]
        for mode in ("basic", "xleave"):
            rows.append((f"chronyd client offset RMS, {mode} (us)", a.get(f"{mode}_rms_us"),
                         b.get(f"{mode}_rms_us"), 1))
            for key, label in (("mean_us", "offset mean"), ("std_us", "offset std"),
                               ("delay_mean_us", "delay mean"), ("delay_std_us", "delay std")):
                rows.append((f"  {mode}: {label} (us)", a.get(f"{mode}_{key}"), b.get(f"{mode}_{key}"), 1))
    width = max(len(r[0]) for r in rows)
    lines = [f"NTP server benchmark: lab star of 3 hosts, veth + bridge, kernel software timestamps; "
             f"ptpbridge with {workers} worker(s), chronyd -x local stratum 1",
             f"{'':<{width}}  {'ptpbridge':>11}  {'chronyd':>11}  {'ours/chronyd':>12}"]
    for label, x, y, digits in rows:
        ratio = "-" if label in no_ratio else _ratio(x, y)
        lines.append(f"{label:<{width}}  {_fmt(x, digits):>11}  {_fmt(y, digits):>11}  {ratio:>12}")
    for name in SERVERS:
        r = results[name]
        notes = []
        if "rate" in r:
            notes.append(f"rate limited by {r['rate']['limited_by']}, server UDP drops {r['rate']['server_drops']}")
        if "interleaved" in r:
            il = r["interleaved"]
            count = il["error"].get("count", 0)
            notes.append(f"interleaved samples {count}/{il['basic_replies'] + count} "
                         f"(basic fallbacks {il['basic_replies']}, lost {il['lost']})")
        if "client" in r:
            c = r["client"]
            notes.append(f"chronyd-client samples basic {c.get('basic_samples', 0)}, interleaved "
                         f"{c.get('xleave_interleaved', 0)}/{c.get('xleave_samples', 0)}")
        lines.append(f"{name}: " + "; ".join(notes))
    lines.append("rate: higher is better (ratio > 1 ours better); errors and RMS: lower is better (ratio < 1 ours better)")
    lines.append("targets (issue 6): rate ratio >= 1.0; interleaved error mean <= chronyd's (ratio <= 1.0); "
                 "chronyd-client RMS ratio <= 1.2 (aim 1.0)")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    return run_lab_bench("ntp", args, measure, lambda results: table(results, args.workers))
