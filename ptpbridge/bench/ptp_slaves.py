# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge bench ptp-slaves`: the same ptp4l slaves following our grandmaster, then ptp4l's.

A star lab: h1 runs our grandmaster (`ptpbridge run --clock sim`, a
zero-error simulated PHC), then a ptp4l master (software timestamps,
masterOnly) on the same host, so both sit at the same place on the
bridge; each further host runs a ptp4l slave (software timestamps,
`guarded`: the servo runs and the port reaches SLAVE while a seccomp
filter keeps the shared clock still). Both masters use the same intervals
(8 Sync/s, 8 Announce/s): slaves start fresh for each, lock, settle, then
their "master offset" lines (servo state s2) are collected for a fixed
time. Reported per slave and master: offset RMS and max
|offset|, mean path delay; ratio ours/ptp4l (below 1: ours better).

The lab's kernel path is not symmetric (both masters' slaves show a mean
offset of several microseconds, the same sign for both), and that mean
moves with the machine's load, which dominates the RMS. So the masters
take turns in rounds ordered ABBA (ours, ptp4l, ptp4l, ours, ...): a
load that drifts during the run weighs on both alike. Each master's
figures pool its samples over all its rounds; the per-round ratios are
printed too, so their spread is visible.

Both masters and slaves read one kernel clock, so a slave's offset is the
whole error chain: master timestamps, the wire, the slave's timestamps
and its servo, which ptp4l runs with the lab's fast PI constants.

`--disciplined` (issue 7, acceptance 4): our grandmaster's simulated PHC
starts 1 ms off and runs +100 ppm fast, and `[discipline] source =
"system"` makes it follow CLOCK_REALTIME (phc2sys in reverse), so the
slaves see a steered clock instead of a perfect one; its own true time
error is sampled during each round and reported too.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from ptpbridge.bench.lab_bench import run_lab_bench

DESCRIPTION = "PTP grandmaster: ptp4l slaves' offset RMS following ours vs a ptp4l grandmaster, in a namespace lab"

LOG_SYNC_INTERVAL = -3
MASTERS = ("ptpbridge", "ptp4l")
# --disciplined: the grandmaster's PHC error before the discipline steers it.
DISCIPLINED_CLOCK = {"time_error_ns": 1_000_000, "frequency_error_ppb": 100_000}
DISCIPLINED_START = (f"{DISCIPLINED_CLOCK['time_error_ns'] / 1e6:+g} ms/"
                     f"{DISCIPLINED_CLOCK['frequency_error_ppb'] / 1e3:+g} ppm")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--slaves", type=int, default=2, help="ptp4l slaves (default 2)")
    parser.add_argument("--seconds", type=float, default=25.0, help="offsets collected per master (default 25)")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after SLAVE before collecting (default 3)")
    parser.add_argument("--transport", choices=("UDPv4", "UDPv6", "L2"), default="UDPv4")
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds per master, taken in ABBA order (default 2)")
    parser.add_argument("--disciplined", action="store_true",
                        help=f"our grandmaster's PHC starts {DISCIPLINED_START} off and follows "
                             "CLOCK_REALTIME ([discipline] source = \"system\")")


def _rms(values: list[int]) -> float:
    return math.sqrt(math.fsum(v * v for v in values) / len(values)) if values else math.nan


def follow(master_start: Any, slaves_hosts: list[Any], args: argparse.Namespace) -> dict[str, dict[str, list[int]]]:
    """Start the master, then fresh slaves; collect their locked offsets and path delays for args.seconds."""
    from nslab.peers import Ptp4l, Ptp4lConfig

    stop_master = master_start()
    slaves = [Ptp4l(h, Ptp4lConfig(role="slave", transport=args.transport, guarded=True,
                                   log_sync_interval=LOG_SYNC_INTERVAL), name=f"slave-{h.name}")
              for h in slaves_hosts]
    out: dict[str, dict[str, list[int]]] = {}
    try:
        for slave in slaves:
            slave.start()
        locked_at = {s.host.name: s.wait_for_state("SLAVE", timeout=40).ts for s in slaves}
        time.sleep(args.settle + args.seconds)
        for slave in slaves:
            name = slave.host.name
            start = locked_at[name] + args.settle
            samples = [o for o in slave.offsets() if o.servo_state == 2 and o.ts >= start]
            samples = [o for o in samples if o.ts <= start + args.seconds]
            out[name] = {"offsets": [o.offset_ns for o in samples],
                         "delays": [o.path_delay_ns for o in samples]}
    finally:
        for slave in slaves:
            slave.stop()
        stop_master()
    return out


def measure(args: argparse.Namespace) -> dict[str, Any]:
    import nslab
    from nslab.peers import Ptp4l, Ptp4lConfig
    from ptpbridge.bench.ptp_lab import PtpbridgeGm, ptp_config

    transport = {"UDPv4": "udpv4", "UDPv6": "udpv6", "L2": "l2"}[args.transport]
    results: dict[str, Any] = {}
    with nslab.Lab("star", hosts=1 + args.slaves) as lab:
        h1 = lab["h1"]
        slave_hosts = lab.host_list[1:]

        def ours() -> Any:
            config = ptp_config(transport=transport, log_sync_interval=LOG_SYNC_INTERVAL)
            if args.disciplined:
                config = disciplined_config(config)
            gm = PtpbridgeGm(h1, config).start()
            gm.wait_for_port_state("MASTER", timeout=20)
            if args.disciplined:  # the slaves start on a locked grandmaster, as after any restart
                gm.wait_for("the discipline locked", lambda: gm.status()["discipline"]["state"]
                            in ("locked", "locked_stable") or None, 30)
                return sample_true_error(gm, results.setdefault("gm_true_te_ns", []))
            return gm.stop

        def theirs() -> Any:
            gm = Ptp4l(h1, Ptp4lConfig(role="master", transport=args.transport,
                                       log_sync_interval=LOG_SYNC_INTERVAL), name="ptp4l-master").start()
            gm.wait_for_state("MASTER", timeout=20)
            return gm.stop

        starts = {"ptpbridge": ours, "ptp4l": theirs}
        rounds: list[tuple[str, dict[str, dict[str, list[int]]]]] = []
        for master in abba_order(args.rounds):
            rounds.append((master, follow(starts[master], slave_hosts, args)))
    for master in MASTERS:
        pooled: dict[str, dict[str, list[int]]] = {}
        for who, per_slave in rounds:
            if who != master:
                continue
            for name, raw in per_slave.items():
                into = pooled.setdefault(name, {"offsets": [], "delays": []})
                into["offsets"] += raw["offsets"]
                into["delays"] += raw["delays"]
        results[master] = {name: summarize(raw) for name, raw in pooled.items()}
    results["rounds"] = [(master, {name: summarize(raw) for name, raw in per_slave.items()})
                         for master, per_slave in rounds]
    return results


def disciplined_config(config: str) -> str:
    """``config`` (ptp_config's) with the simulated PHC off by DISCIPLINED_CLOCK, following the system clock."""
    from ptpbridge.bench.lab_daemon import SIM_CLOCK_TOML

    if not config.startswith(SIM_CLOCK_TOML):
        raise ValueError("ptp_config no longer starts with SIM_CLOCK_TOML")
    clock = "[clock.sim]\n" + "".join(f"{key} = {value}\n" for key, value in DISCIPLINED_CLOCK.items())
    return clock + config[len(SIM_CLOCK_TOML):] + '\n[discipline]\nsource = "system"\n'


def sample_true_error(gm: Any, into: list[int], period_s: float = 0.2) -> Callable[[], None]:
    """Read our grandmaster's true time error every period_s until the returned stop() (which stops it too)."""
    done = threading.Event()

    def poll() -> None:
        while not done.wait(period_s):
            value = gm.status()["clock"]["true_time_error_ns"]
            if value is not None:
                into.append(int(value))

    thread = threading.Thread(target=poll, name="gm-true-te", daemon=True)
    thread.start()

    def stop() -> None:
        done.set()
        thread.join()
        gm.stop()

    return stop


def abba_order(rounds: int) -> list[str]:
    """Ours, ptp4l, ptp4l, ours, ours, ...: ``rounds`` turns each, a linear drift weighing on both alike."""
    order: list[str] = []
    for turn in range(rounds):
        order += list(MASTERS) if turn % 2 == 0 else list(reversed(MASTERS))
    return order


def summarize(raw: dict[str, list[int]]) -> dict[str, Any]:
    """One slave under one master: sample count, offset RMS / max / mean, mean path delay."""
    offsets, delays = raw["offsets"], raw["delays"]
    return {"samples": len(offsets), "rms_ns": _rms(offsets),
            "max_ns": max((abs(v) for v in offsets), default=math.nan),
            "mean_ns": math.fsum(offsets) / len(offsets) if offsets else math.nan,
            "std_ns": statistics.pstdev(offsets) if offsets else math.nan,
            "path_delay_ns": math.fsum(delays) / len(delays) if delays else math.nan}


def _us(value: float) -> str:
    return "-" if math.isnan(value) else f"{value / 1000:.3f}"


def table(results: dict[str, Any], args: argparse.Namespace) -> str:
    lines = [f"PTP slave benchmark: ptp4l slaves (software timestamps, guarded servo) over {args.transport} E2E, "
             f"8 Sync/s, {args.rounds} round(s) per master (ABBA), {args.seconds:.0f} s of offsets per round "
             f"after {args.settle:.0f} s settling",
             *([] if not args.disciplined else [disciplined_line(results.get("gm_true_te_ns", []))]),
             f"{'slave':<8} {'master':<10} {'samples':>7} {'RMS us':>9} {'max us':>9} {'mean us':>9} "
             f"{'std us':>9} {'delay us':>9}"]
    for name in results["ptpbridge"]:
        for master in MASTERS:
            r = results[master][name]
            lines.append(f"{name:<8} {master:<10} {r['samples']:>7} {_us(r['rms_ns']):>9} {_us(r['max_ns']):>9} "
                         f"{_us(r['mean_ns']):>9} {_us(r['std_ns']):>9} {_us(r['path_delay_ns']):>9}")
        ours, theirs = results["ptpbridge"][name], results["ptp4l"][name]
        rms = ours["rms_ns"] / theirs["rms_ns"] if theirs["rms_ns"] else math.nan
        peak = ours["max_ns"] / theirs["max_ns"] if theirs["max_ns"] else math.nan
        lines.append(f"{name:<8} {'ours/ptp4l':<10} {'':>7} {rms:>9.2f} {peak:>9.2f}")
    lines.append(round_ratios(results["rounds"]))
    all_ours = [r["rms_ns"] for r in results["ptpbridge"].values()]
    all_theirs = [r["rms_ns"] for r in results["ptp4l"].values()]
    overall = _rms_of(all_ours) / _rms_of(all_theirs)
    lines.append(f"offset RMS over all slaves, ours/ptp4l: {overall:.2f} (target <= 1.0; lower is better)")
    return "\n".join(lines)


def disciplined_line(errors: list[int]) -> str:
    """What --disciplined adds: our grandmaster's own true time error while it served."""
    peak = max((abs(e) for e in errors), default=math.nan)
    return (f"our grandmaster: simulated PHC from {DISCIPLINED_START} disciplined to CLOCK_REALTIME; its true time "
            f"error over {len(errors)} readings: RMS {_us(_rms(errors))} us, max {_us(peak)} us")


def round_ratios(rounds: list[tuple[str, dict[str, dict[str, Any]]]]) -> str:
    """Each ours-round's RMS over slaves against the ptp4l round next to it (its ABBA partner)."""
    parts = []
    for index in range(0, len(rounds) - 1, 2):
        (first, a), (_, b) = rounds[index], rounds[index + 1]
        ours, theirs = (a, b) if first == "ptpbridge" else (b, a)
        mine = _rms_of([r["rms_ns"] for r in ours.values()])
        other = _rms_of([r["rms_ns"] for r in theirs.values()])
        parts.append(f"{mine / other:.2f}" if other else "-")
    return "per-round ratios ours/ptp4l: " + ", ".join(parts)


def _rms_of(per_slave_rms: list[float]) -> float:
    return math.sqrt(math.fsum(r * r for r in per_slave_rms) / len(per_slave_rms))


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.slaves <= 8:
        print("ptpbridge bench ptp-slaves: --slaves must be 1..8", file=sys.stderr)
        return 2
    if not 1 <= args.rounds <= 10:
        print("ptpbridge bench ptp-slaves: --rounds must be 1..10", file=sys.stderr)
        return 2
    return run_lab_bench("ptp-slaves", args, measure, lambda results: table(results, args))
