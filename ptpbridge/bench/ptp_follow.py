# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge bench ptp-follow`: our daemon as a PTP slave of a ptp4l grandmaster, beside a ptp4l slave.

A star lab: h1 runs a ptp4l grandmaster on the lab's shared CLOCK_REALTIME
(software timestamps, 8 Sync/s), h2 our daemon as slave steering a
simulated PHC (`examples/lab-slave.toml`: +1 ms, +50 ppm at start), h3 a
ptp4l slave (`guarded`: its servo runs, the shared clock stays still), all
in the same run. Reported per transport/mechanism: our true time error
(the simulated clock against the truth, from `ptpbridge status`) RMS and
max, ptp4l's reported offset RMS, and the ratio. ptp4l can only report its
own estimate; our figure is the real error, so the ratio is if anything
unfair to us.

Announce interval: 2 s by default (`--announce-interval 1`, the default
profile's and ptp4l's). The lab tests run 8 Announces a second for fast
BMCA, but then each Sync of a ptp4l grandmaster is due together with an
Announce, and on this veth lab a packet sent within ~10 us after another
one reaches the slave in ~3 us instead of ~20 (it rides the first one's
softirq run). Whether ptp4l sends Announce or Sync first is settled by its
timers' start and differs from run to run, so every slave's offset carried
a bias of several us in some runs and none in others, whatever the slave.
Slave-side requests travel alone; with Announces 2 s apart so do almost
all Syncs. The figures with `--announce-interval -3` are still there to
compare.

Convergence runs on the `pair` lab by default: grandmaster and slave on
one veth, as on a cable. Across the star's bridge the kernel's software
timestamps scatter each measured offset by about 3.3 us (sigma, measured
with the slave's per-sample debug log against the simulated clock's true
error); on one veth by about 0.6 us. From 3.3 us at 16 samples a second
even a straight line fitted to every sample leaves about 0.5 us (sigma)
after 10 s, so the 1 us bound would measure the bridge, not the servo.
`--converge-lab star` runs them there anyway.

Convergence: per servo kind, a fresh daemon from +1 ms/+50 ppm at 16 Sync/s,
``--repeats`` times (the servos take turns); the time until |true time error|
stays under 1 us (and 10 us), counted from the first sample the servo
received (issue 7's acceptance figure) and from the daemon's start, with
median and worst over the runs.

Failover (`--failover`, ptp_failover.py): the two-gm lab, our grandmaster
and a ptp4l one; the better one stops; the switch time and our true time
error around it.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

from ptpbridge.bench.lab_bench import run_lab_bench
from ptpbridge.bench.ptp_lab import PtpbridgeGm, ptp_config, toml_value

DESCRIPTION = "PTP slave: our true time error following a ptp4l grandmaster vs a ptp4l slave's offset, in a lab"

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lab-slave.toml"
COMBOS = ("udpv4-e2e", "udpv4-p2p", "l2-e2e", "l2-p2p")
SERVOS = ("linreg", "pi", "pi-sw")
NSLAB_TRANSPORT = {"udpv4": "UDPv4", "udpv6": "UDPv6", "l2": "L2"}
# 1 us target, 10 us fallback.
THRESHOLDS_NS = (1_000, 10_000)
# Settle times summarized over the repeats (median, worst).
CONVERGE_KEYS = tuple(f"settle_{t}_ns{origin}_s" for t in THRESHOLDS_NS for origin in ("_from_first", ""))
# Acceptance 2 of issue 7: under 1 us after at most this long from the first sample (target 5 s).
CONVERGE_LIMIT_S = 10.0


def slave_config(transport: str = "udpv4", delay_mechanism: str = "e2e", *, servo: str = "auto",
                 log_sync_interval: int = -4, log_announce_interval: int = -3, time_error_ns: int = 1_000_000,
                 frequency_error_ppb: int = 50_000, ptp_keys: dict[str, Any] | None = None) -> str:
    """examples/lab-slave.toml with the transport, mechanism, servo and start error swapped in,
    and ``ptp_keys`` added to its `[ptp]` table (the file's last)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    swaps = {
        'transport = "udpv4"': f'transport = "{transport}"',
        'delay_mechanism = "e2e"': f'delay_mechanism = "{delay_mechanism}"',
        'servo = "auto"': f'servo = "{servo}"',
        "log_sync_interval = -4": f"log_sync_interval = {log_sync_interval}",
        "log_announce_interval = -3": f"log_announce_interval = {log_announce_interval}",
        "log_min_delay_req_interval = -4": f"log_min_delay_req_interval = {log_sync_interval}",
        "log_min_pdelay_req_interval = -4": f"log_min_pdelay_req_interval = {log_sync_interval}",
        "time_error_ns = 1000000": f"time_error_ns = {time_error_ns}",
        "frequency_error_ppb = 50000": f"frequency_error_ppb = {frequency_error_ppb}",
    }
    for old, new in swaps.items():
        if old not in text:
            raise ValueError(f"{EXAMPLE} no longer has {old!r}")
        text = text.replace(old, new)
    if ptp_keys:
        text += "".join(f"{key} = {toml_value(value)}\n" for key, value in ptp_keys.items())
    return text


class PtpbridgeSlave(PtpbridgeGm):
    """Our daemon with `[discipline] source = "ptp"`: the same process, read for its slave section."""

    def slave(self) -> dict[str, Any]:
        section: dict[str, Any] = self.ptp()["slave"]
        return section

    def true_time_error_ns(self) -> int:
        value = self.slave()["true_time_error_ns"]
        if value is None:
            raise AssertionError("no true time error: the served clock is not simulated")
        return int(value)


def _rms(values: list[int]) -> float:
    return math.sqrt(math.fsum(v * v for v in values) / len(values)) if values else math.nan


def follow_once(hosts: list[Any], combo: str, args: argparse.Namespace) -> dict[str, Any]:
    """One transport/mechanism against one ptp4l grandmaster; each slave collected for args.seconds.

    E2E: both slaves at once (h2 ours, h3 ptp4l). P2P is a link mechanism and a
    bridge is no transparent clock: a third Pdelay responder makes ptp4l go
    FAULTY, so there the two slaves take turns on h2 under the same grandmaster.
    """
    from nslab.peers import Ptp4l, Ptp4lConfig

    transport, mechanism = combo.split("-")
    ptp4l_kw: dict[str, Any] = dict(transport=NSLAB_TRANSPORT[transport], delay_mechanism=mechanism.upper(),
                                    log_sync_interval=-3, log_announce_interval=args.announce_interval)
    gm = Ptp4l(hosts[0], Ptp4lConfig(role="master", **ptp4l_kw), name=f"gm-{combo}").start()
    ours = PtpbridgeSlave(hosts[1], slave_config(transport, mechanism, log_sync_interval=-3,
                                                 log_announce_interval=args.announce_interval,
                                                 ptp_keys=args.slave_keys), name=f"ours-{combo}")
    together = mechanism == "e2e"
    theirs = Ptp4l(hosts[2] if together else hosts[1], Ptp4lConfig(role="slave", guarded=True, **ptp4l_kw),
                   name=f"slave-{combo}")
    result: dict[str, Any] = {"concurrent": together}
    try:
        ours.start()
        if together:
            theirs.start()
        ours.wait_for_port_state("SLAVE", timeout=40)
        time.sleep(args.settle)
        start = time.monotonic()
        errors: list[int] = []
        while time.monotonic() - start < args.seconds:
            errors.append(ours.true_time_error_ns())
            time.sleep(0.1)
        status = ours.slave()
        port = status["ports"][0] if status["ports"] else {}
        mean = math.fsum(errors) / len(errors)
        result.update({"ours_samples": len(errors), "ours_rms_ns": _rms(errors),
                       "ours_max_ns": max(abs(e) for e in errors), "ours_mean_ns": mean,
                       "ours_delay_ns": port.get("mean_path_delay_ns"),
                       "rejected_offsets": port.get("rejected_offsets"), "rejected_delays": port.get("rejected_delays"),
                       **one_way_delays(port, mean)})
        if not together:
            ours.stop()
            theirs.start()
        locked = theirs.wait_for_state("SLAVE", timeout=40).ts
        start = max(start, locked + args.settle)
        time.sleep(max(0.0, start + args.seconds - time.monotonic()))
        end = start + args.seconds
        locked_offsets = [o for o in theirs.offsets() if o.servo_state == 2 and start <= o.ts <= end]
        offsets = [o.offset_ns for o in locked_offsets]
        delays = [o.path_delay_ns for o in locked_offsets]
        result.update({"ptp4l_samples": len(offsets), "ptp4l_rms_ns": _rms(offsets),
                       "ptp4l_max_ns": max((abs(o) for o in offsets), default=math.nan),
                       "ptp4l_mean_ns": math.fsum(offsets) / len(offsets) if offsets else math.nan,
                       "ptp4l_delay_ns": math.fsum(delays) / len(delays) if delays else math.nan})
        return result
    finally:
        theirs.stop()
        ours.stop()
        gm.stop()


def one_way_delays(port: dict[str, Any], true_offset_ns: float) -> dict[str, float | None]:
    """Each direction's median delay as our kernel stamps saw it, from the port's apparent
    delays (offset included) and our mean true offset (the lab knows it; the master counts
    UTC, so its timestamps are utc_correction_ns behind ours)."""
    utc = port.get("utc_correction_ns", 0)
    out: dict[str, float | None] = {}
    for key, name, sign in (("apparent_ms_ns", "sync_ms_ns", -1), ("apparent_sm_ns", "delay_req_sm_ns", 1),
                            ("apparent_pdelay_out_ns", "pdelay_req_sm_ns", 1),
                            ("apparent_pdelay_back_ns", "pdelay_resp_ms_ns", -1)):
        value = port.get(key)
        out[name] = None if value is None else value + sign * (true_offset_ns + utc)
    return out


def converge_once(hosts: list[Any], servo: str, args: argparse.Namespace, run: int = 0) -> dict[str, Any]:
    """A fresh slave from +1 ms/+50 ppm at 16 Sync/s; |true TE| sampled every 0.1 s.

    Times count from two origins: the daemon's start (its process launched) and
    the first sample its servo received (the slave's status reports that instant
    on CLOCK_MONOTONIC, which every lab namespace shares with us). The time in
    between is the port's start-up (listening for Announces, BMCA, the first
    Sync and Delay_Req exchange), not the servo's work.
    """
    from nslab.peers import Ptp4l, Ptp4lConfig

    gm: Any
    if args.converge_master == "ptpbridge":
        gm = PtpbridgeGm(hosts[0], ptp_config(log_sync_interval=-4, log_min_delay_req_interval=-4,
                                              log_announce_interval=args.announce_interval),
                         name=f"gm-{servo}-{run}").start()
    else:
        gm = Ptp4l(hosts[0], Ptp4lConfig(role="master", log_sync_interval=-4, log_min_delay_req_interval=-4,
                                         log_announce_interval=args.announce_interval),
                   name=f"gm-{servo}-{run}").start()
    ours = PtpbridgeSlave(hosts[1], slave_config(servo=servo, log_announce_interval=args.announce_interval,
                                                 ptp_keys=args.slave_keys), name=f"conv-{servo}-{run}")
    series: list[tuple[float, int]] = []
    first_sample_ns: int | None = None
    try:
        if args.converge_master == "ptpbridge":
            gm.wait_for_port_state("MASTER", timeout=20)
        else:
            gm.wait_for_state("MASTER", timeout=20)
        t0_ns = time.monotonic_ns()
        ours.start()
        while (time.monotonic_ns() - t0_ns) / 1e9 < args.converge_seconds:
            before = time.monotonic_ns()
            slave = ours.slave()
            after = time.monotonic_ns()
            if slave["true_time_error_ns"] is None:
                raise AssertionError("no true time error: the served clock is not simulated")
            series.append(((before + after) / 2e9 - t0_ns / 1e9, int(slave["true_time_error_ns"])))
            if first_sample_ns is None and slave.get("first_sample_monotonic_ns") is not None:
                first_sample_ns = int(slave["first_sample_monotonic_ns"])
            time.sleep(0.1)
    finally:
        ours.stop()
        gm.stop()
    first_s = None if first_sample_ns is None else (first_sample_ns - t0_ns) / 1e9
    out: dict[str, Any] = {"samples": len(series), "first_sample_s": first_s}
    for threshold in THRESHOLDS_NS:
        from_start = settle_time(series, threshold)
        out[f"settle_{threshold}_ns_s"] = from_start
        out[f"settle_{threshold}_ns_from_first_s"] = (
            None if from_start is None or first_s is None else max(0.0, from_start - first_s))
    tail = [e for t, e in series if t >= args.converge_seconds / 2]
    out["tail_rms_ns"] = _rms(tail)
    # Signed: a path asymmetry the slave cannot measure shows here as a standing error.
    out["tail_mean_ns"] = math.fsum(tail) / len(tail) if tail else math.nan
    return out


def settle_time(series: list[tuple[float, int]], threshold_ns: int) -> float | None:
    """When |error| went under threshold for good (the time after its last excursion), or None."""
    if not series or abs(series[-1][1]) >= threshold_ns:
        return None
    last_bad = None
    for index, (_, error) in enumerate(series):
        if abs(error) >= threshold_ns:
            last_bad = index
    return 0.0 if last_bad is None else series[last_bad + 1][0]


def summarize(runs: list[dict[str, Any]], key: str) -> dict[str, float | None]:
    """Median and worst of one settle time over the runs (a run that never settled is worst: None)."""
    values = sorted(math.inf if r[key] is None else r[key] for r in runs)
    if not values:
        return {"median": None, "worst": None}

    def finite(v: float) -> float | None:
        return None if math.isinf(v) else v

    middle = len(values) // 2
    med = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
    return {"median": finite(med), "worst": finite(values[-1])}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--combos", default=",".join(COMBOS),
                        help=f"transport-mechanism pairs, comma-separated (default {','.join(COMBOS)})")
    parser.add_argument("--servos", default=",".join(SERVOS),
                        help=f"servo kinds for the convergence runs (default {','.join(SERVOS)}; '' skips)")
    parser.add_argument("--seconds", type=float, default=15.0, help="collection per combination (default 15)")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after SLAVE before collecting (default 3)")
    parser.add_argument("--converge-seconds", type=float, default=15.0,
                        help="observation per servo from the start (default 15)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="convergence runs per servo, the servos taking turns (default 1)")
    parser.add_argument("--announce-interval", type=int, default=1,
                        help="logAnnounceInterval of the grandmaster and the slaves (default 1, ptp4l's and the "
                             "default profile's; the lab tests' -3 makes the grandmaster's Syncs ride its Announces)")
    parser.add_argument("--converge-lab", choices=("pair", "star"), default="pair",
                        help="convergence runs on one veth between grandmaster and slave (pair, default) or "
                             "across the star's bridge")
    parser.add_argument("--converge-master", choices=("ptp4l", "ptpbridge"), default="ptp4l",
                        help="grandmaster of the convergence runs (default ptp4l; ptpbridge: ours on a "
                             "zero-error simulated clock, whose Syncs leave like our slave's Delay_Reqs)")
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON too")
    parser.add_argument("--slave-key", action="append", default=[], metavar="KEY=VALUE",
                        help="an extra [ptp] key for our slave, TOML value (e.g. delay_filter=\"minimum\"); repeatable")
    parser.add_argument("--failover", action="store_true",
                        help="instead: the two-gm failover runs (both directions), switch time and max |TE|")
    parser.add_argument("--log-sync-interval", type=int, default=-3,
                        help="failover runs: logSyncInterval of both grandmasters (default -3, 8 Sync/s)")
    parser.add_argument("--failover-settle", type=float, default=20.0,
                        help="failover runs: seconds in SLAVE before the sampling and the stop (default 20: a "
                             "grandmaster fails under a settled slave, whose frequency estimate carries the holdover)")
    parser.add_argument("--before-seconds", type=float, default=3.0,
                        help="failover runs: true time error sampled this long before the stop (default 3)")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    import nslab

    results: dict[str, Any] = {"follow": {}, "converge": {}}
    if args.combo_list:
        with nslab.Lab("star", hosts=3) as lab:
            for combo in args.combo_list:
                results["follow"][combo] = follow_once(lab.host_list, combo, args)
    runs: dict[str, list[dict[str, Any]]] = {servo: [] for servo in args.servo_list}
    if args.servo_list:
        with (nslab.Lab("pair") if args.converge_lab == "pair" else nslab.Lab("star", hosts=3)) as lab:
            for run in range(args.repeats):
                for servo in args.servo_list:
                    runs[servo].append(converge_once(lab.host_list, servo, args, run))
        for servo, servo_runs in runs.items():
            results["converge"][servo] = {
                "runs": servo_runs,
                **{f"{key}_{stat}": value for key in CONVERGE_KEYS
                   for stat, value in summarize(servo_runs, key).items()}}
    return results


def _us(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value / 1000:.3f}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def table(results: dict[str, Any], args: argparse.Namespace) -> str:
    lines = follow_table(results, args) if results["follow"] else []
    if results["converge"]:
        lines += converge_table(results["converge"], args)
    return "\n".join(lines)


def follow_table(results: dict[str, Any], args: argparse.Namespace) -> list[str]:
    """Per transport/mechanism: our true time error beside the ptp4l slave's offset, and one-way delays."""
    lines = [f"PTP follow: ptp4l grandmaster (software timestamps, 8 Sync/s, logAnnounceInterval "
             f"{args.announce_interval}); our slave's TRUE time error vs a guarded ptp4l slave's reported offset; "
             f"{args.seconds:.0f} s after {args.settle:.0f} s settling",
             f"{'combo':<10} {'ours RMS us':>11} {'ours max us':>11} {'ours mean':>9} {'ptp4l RMS':>9} "
             f"{'ptp4l max':>9} {'ptp4l mean':>10} {'delay us':>8} {'RMS ours/ptp4l':>14}"]
    if args.slave_keys:
        lines.insert(1, "our slave's extra [ptp] keys: " + ", ".join(f"{k} = {v}" for k, v in args.slave_keys.items()))
    for combo, r in results["follow"].items():
        ratio = r["ours_rms_ns"] / r["ptp4l_rms_ns"] if r["ptp4l_rms_ns"] else math.nan
        lines.append(f"{combo:<10} {_us(r['ours_rms_ns']):>11} {_us(r['ours_max_ns']):>11} "
                     f"{_us(r['ours_mean_ns']):>9} {_us(r['ptp4l_rms_ns']):>9} {_us(r['ptp4l_max_ns']):>9} "
                     f"{_us(r.get('ptp4l_mean_ns')):>10} "
                     f"{_us(r['ptp4l_delay_ns']):>8} {ratio:>14.2f}")
    lines.append("One-way delays our kernel stamps saw (median, us; apparent delay corrected by our mean true "
                 "offset): a difference between the directions is an asymmetry the slave cannot see")
    for combo, r in results["follow"].items():
        parts = [f"{label} {_us(r.get(key))}" for label, key in (
            ("Sync m->s", "sync_ms_ns"), ("Delay_Req s->m", "delay_req_sm_ns"),
            ("Pdelay_Req s->m", "pdelay_req_sm_ns"), ("Pdelay_Resp m->s", "pdelay_resp_ms_ns"))
            if r.get(key) is not None]
        parts.append(f"rejected offsets {r.get('rejected_offsets')}, delays {r.get('rejected_delays')}")
        lines.append(f"  {combo:<10} " + ", ".join(parts))
    return lines


def converge_table(converge: dict[str, Any], args: argparse.Namespace) -> list[str]:
    """Per servo: settle times from the first sample (the acceptance figure) and from the daemon's
    start, median and worst over the runs, and each run's figure."""
    lines = [f"Convergence from +1 ms / +50 ppm at 16 Sync/s (UDPv4 E2E, {args.converge_master} grandmaster, "
             f"{args.converge_lab} lab), "
             f"{args.converge_seconds:.0f} s observed, "
             f"{args.repeats} run(s) per servo: time until |true TE| stays under 1 us (10 us)",
             "  'first': from the first sample the servo received (the acceptance figure, limit "
             f"{CONVERGE_LIMIT_S:.0f} s, target 5 s); 'start': from the daemon's start (adds the port's start-up)",
             f"{'servo':<7} {'<1us first med':>14} {'worst':>6} {'<1us start med':>14} {'worst':>6} "
             f"{'<10us first med':>15} {'1st sample':>10} {'<= limit':>8} {'tail RMS us':>11} {'tail mean':>9}  "
             "runs (<1 us from first)"]
    for servo, r in converge.items():
        runs = r["runs"]
        within = sum(1 for run in runs if run["settle_1000_ns_from_first_s"] is not None
                     and run["settle_1000_ns_from_first_s"] <= CONVERGE_LIMIT_S)
        firsts = [run["first_sample_s"] for run in runs if run["first_sample_s"] is not None]
        first = sorted(firsts)[len(firsts) // 2] if firsts else None
        tails = sorted(run["tail_rms_ns"] for run in runs)
        means = sorted(run.get("tail_mean_ns", math.nan) for run in runs)
        each = " ".join(_short(run["settle_1000_ns_from_first_s"]) for run in runs)
        lines.append(f"{servo:<7} {_never(r['settle_1000_ns_from_first_s_median']):>14} "
                     f"{_never(r['settle_1000_ns_from_first_s_worst']):>6} "
                     f"{_never(r['settle_1000_ns_s_median']):>14} {_never(r['settle_1000_ns_s_worst']):>6} "
                     f"{_never(r['settle_10000_ns_from_first_s_median']):>15} {_seconds(first):>10} "
                     f"{f'{within}/{len(runs)}':>8} {_us(tails[len(tails) // 2]):>11} "
                     f"{_us(means[len(means) // 2]):>9}  {each}")
    lines.append("  (tail: the second half of the observation, median over the runs; a standing tail mean is "
                 "the lab's path asymmetry, which no servo can see)")
    return lines


def _never(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


def _short(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f}"


def parse_slave_keys(items: list[str]) -> dict[str, Any]:
    """`KEY=VALUE` pairs (VALUE in TOML) for the slave's [ptp] table; ValueError names a bad one."""
    import tomllib

    keys: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--slave-key {item!r}: not KEY=VALUE")
        try:
            keys[key.strip()] = tomllib.loads(f"v = {value.strip()}")["v"]
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"--slave-key {item!r}: {exc}") from None
    return keys


def run(args: argparse.Namespace) -> int:
    try:
        args.slave_keys = parse_slave_keys(args.slave_key)
    except ValueError as exc:
        print(f"ptpbridge bench ptp-follow: {exc}", file=sys.stderr)
        return 2
    if args.failover:
        from ptpbridge.bench import ptp_failover

        return run_lab_bench("ptp-follow --failover", args, ptp_failover.measure,
                             lambda results: ptp_failover.table(results, args))
    args.combo_list = [c for c in args.combos.split(",") if c]
    args.servo_list = [s for s in args.servos.split(",") if s]
    if args.repeats < 1:
        print("ptpbridge bench ptp-follow: --repeats must be >= 1", file=sys.stderr)
        return 2
    bad = [c for c in args.combo_list if c not in COMBOS] + [s for s in args.servo_list if s not in SERVOS]
    if bad:
        print(f"ptpbridge bench ptp-follow: unknown {', '.join(bad)} (combos {', '.join(COMBOS)}; "
              f"servos {', '.join(SERVOS)})", file=sys.stderr)
        return 2
    return run_lab_bench("ptp-follow", args, measure, lambda results: table(results, args))
