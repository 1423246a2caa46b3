# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge bench servo`: the servos side by side, and what the drift file buys, in simulated time.

Three parts, all deterministic for a seed and independent of machine load:

1. PTP slave scenarios (core/servo/simulate.py): from +1 ms and +50 ppm,
   ideal / 50 us path jitter / 1% Sync loss / 100 us asymmetry / a busy
   host's software timestamps; convergence time and steady-state RMS of the
   true time error for each servo.
2. The system-clock source: from +1 ms and +100 ppm at one poll a second,
   without and with read noise on the PHC-to-system comparison.  These two
   tables are the evidence behind DEFAULT_SERVO in config/discipline.py.
3. The drift file: the daemon's own ClockDiscipline component, source
   "system", run until it writes its drift file, then "restarted" on a clock
   whose time is still close but whose adjustment was lost (reboot, driver
   reload), once with the file and once without; the first minute's |time
   error| of both.  The peer users would compare with is chrony's driftfile,
   which works the same way, so the comparison here is with/without.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from phc import SimulatedClock
from ptpbridge.config.discipline import DEFAULT_SERVO, DisciplineConfig
from ptpbridge.core.servo import SERVO_KINDS
from ptpbridge.core.servo.simulate import (
    EPOCH_NS,
    Scenario,
    SimulationResult,
    compare,
    standard_scenarios,
)
from ptpbridge.daemon.clock_source import ServedClock
from ptpbridge.daemon.discipline import ClockDiscipline
from ptpbridge.timebase import NS_PER_S, Timebase, Timescale

DESCRIPTION = "servos side by side (PTP scenarios, system-clock source) and the drift file, simulated"

# True time error probes per poll interval in the drift experiment, so the
# error's growth between polls is seen, not only its value at the polls.
_PROBES = 8


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rate", type=int, default=16, metavar="N",
                        help="Sync messages per second in the PTP scenarios (default 16)")
    parser.add_argument("--duration", type=float, default=120.0, metavar="S",
                        help="simulated seconds per PTP scenario (default 120; steady state is the 2nd half)")
    parser.add_argument("--system-duration", type=float, default=300.0, metavar="S",
                        help="simulated seconds per system-clock scenario (default 300)")
    parser.add_argument("--read-noise", type=float, default=200.0, metavar="NS",
                        help="noise (sigma) of one PHC-to-system comparison (default 200 ns)")
    parser.add_argument("--restart-offset", type=int, default=5_000, metavar="NS",
                        help="the clock's time error when the daemon restarts (default 5000 ns)")
    parser.add_argument("--frequency-change", type=float, default=50.0, metavar="PPB",
                        help="oscillator change between writing and reading the drift file (default 50 ppb)")
    parser.add_argument("--seed", type=int, default=1)


def run(args: argparse.Namespace) -> int:
    kinds = list(SERVO_KINDS)
    interval = NS_PER_S // args.rate
    ptp = standard_scenarios(interval, round(args.duration * NS_PER_S), seed=args.seed)
    print(f"PTP slave: {args.rate} Sync/s, {args.duration:g} s from +1 ms and +50 ppm, "
          f"seed {args.seed}; steady state = second half")
    print(side_by_side(compare(ptp, kinds), kinds))
    print("  asym-100us: no servo can see a fixed asymmetry; every one settles at -50 us (its rms)")
    print("  busy-host: software timestamps on a loaded host, 3 us path jitter (~2 us on the offset) "
          "and 2% of packets held ~30 us")
    print()
    system = system_scenarios(round(args.system_duration * NS_PER_S), args.read_noise, args.seed)
    print(f"System-clock source: 1 poll/s, {args.system_duration:g} s from +1 ms and +100 ppm")
    print(side_by_side(compare(system, kinds), kinds))
    print(f"  default servo: {DEFAULT_SERVO['system']} (system), {DEFAULT_SERVO['ptp']} (ptp)")
    print()
    print(drift_experiment(kinds, args.restart_offset, args.frequency_change, args.seed))
    return 0


def system_scenarios(duration_ns: int, read_noise_ns: float, seed: int) -> list[Scenario]:
    """phc2sys in reverse: a +100 ppm clock polled once a second, exact and noisy.

    The simulator's jitter is per one-way path and enters the offset divided
    by sqrt(2); scaling by sqrt(2) makes the offset's noise ``read_noise_ns``.
    """
    ideal = Scenario(name="sys-exact", sync_interval_ns=NS_PER_S, duration_ns=duration_ns,
                     initial_offset_ns=1_000_000, frequency_error_ppb=100_000.0, seed=seed)
    noisy = replace(ideal, name=f"sys-noise-{read_noise_ns:g}ns",
                    path_jitter_ns=read_noise_ns * math.sqrt(2.0))
    return [ideal, noisy]


def side_by_side(results: Sequence[SimulationResult], kinds: Sequence[str]) -> str:
    """One row per scenario; per servo its convergence time and steady-state RMS."""
    by_scenario: dict[str, dict[str, SimulationResult]] = {}
    for r in results:
        by_scenario.setdefault(r.scenario.name, {})[r.servo] = r
    head1 = f"{'':<18} {'':>8}" + "".join(f" | {kind:^20}" for kind in kinds)
    head2 = f"{'scenario':<18} {'within':>8}" + " | converged        rms" * len(kinds)
    lines = [head1, head2]
    for name, row in by_scenario.items():
        threshold = next(iter(row.values())).scenario.convergence_threshold_ns
        cells = []
        for kind in kinds:
            r = row[kind]
            conv = "never" if r.convergence_ns is None else f"{r.convergence_ns / NS_PER_S:.2f} s"
            cells.append(f" | {conv:>9} {format_ns(r.steady_rms_ns):>10}")
        lines.append(f"{name:<18} {format_ns(threshold):>8}" + "".join(cells))
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class RestartResult:
    """The first minute after a restart: mean and max |true time error|, and when it
    stayed under 1 us for good (None: not within the minute)."""

    mean_abs_ns: float
    max_abs_ns: int
    settled_s: float | None


def run_discipline(kind: str, *, offset_ns: int, error_ppb: float, seconds: int,
                   drift_file: Path | None, seed: int) -> list[int]:
    """The daemon's ClockDiscipline (source "system") on a simulated clock in simulated time.

    Returns the true time error at _PROBES instants per poll; stops the
    component cleanly at the end, so it writes its drift file as the daemon does.
    """
    base = [EPOCH_NS]
    timebase = Timebase()
    clock = SimulatedClock(offset_ns=timebase.utc_offset_ns + offset_ns,
                           frequency_error_ppb=error_ppb, seed=seed, time_source=lambda: base[0])
    served = ServedClock(clock, Timescale.TAI)
    config = DisciplineConfig(source="system", servo=kind, drift_file=drift_file)
    discipline = ClockDiscipline(config, served, timebase, realtime_ns=lambda: base[0],
                                 monotonic_ns=lambda: base[0])
    discipline.prepare()
    interval = round(discipline.poll_interval_s * NS_PER_S)
    errors: list[int] = []
    for _ in range(round(seconds * NS_PER_S / interval)):
        discipline.poll_system()
        for _ in range(_PROBES):
            error = served.true_time_error_ns(timebase)
            assert error is not None  # a simulated clock always knows its error
            errors.append(error)
            base[0] += interval // _PROBES
    discipline.finish()
    return errors


def summarize(errors: Sequence[int], probe_interval_s: float) -> RestartResult:
    magnitudes = [abs(e) for e in errors]
    settled: float | None = None
    for i in range(len(magnitudes) - 1, -1, -1):
        if magnitudes[i] >= 1_000:
            settled = (i + 1) * probe_interval_s if i + 1 < len(magnitudes) else None
            break
    else:
        settled = 0.0
    return RestartResult(sum(magnitudes) / len(magnitudes), max(magnitudes), settled)


def drift_experiment(kinds: Sequence[str], restart_offset_ns: int, change_ppb: float,
                     seed: int) -> str:
    error_ppb = 100_000.0
    lines = [
        f"Drift file: a +100 ppm clock disciplined to the system clock for 300 s writes its file; "
        f"then restarts with its",
        f"time {format_ns(restart_offset_ns)} off but its adjustment lost, the oscillator "
        f"{change_ppb:+g} ppb changed; first 60 s, true |time error|",
        f"{'servo':<7} {'mean without':>13} {'mean with':>10} {'ratio':>7} "
        f"{'max without':>12} {'max with':>10} {'ratio':>7} {'<1 us after':>18}",
    ]
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix="ptpbridge-bench-drift-") as tmp:
            path = Path(tmp) / "drift"
            run_discipline(kind, offset_ns=1_000_000, error_ppb=error_ppb, seconds=300,
                           drift_file=path, seed=seed)
            with_file, without = (
                summarize(run_discipline(kind, offset_ns=restart_offset_ns,
                                         error_ppb=error_ppb + change_ppb, seconds=60,
                                         drift_file=drift, seed=seed + 1), 1 / _PROBES)
                for drift in (path, None))
        settle = f"{_seconds(without.settled_s)} / {_seconds(with_file.settled_s)}"
        lines.append(
            f"{kind:<7} {format_ns(without.mean_abs_ns):>13} {format_ns(with_file.mean_abs_ns):>10} "
            f"{_ratio(without.mean_abs_ns, with_file.mean_abs_ns):>7} "
            f"{format_ns(without.max_abs_ns):>12} {format_ns(with_file.max_abs_ns):>10} "
            f"{_ratio(without.max_abs_ns, with_file.max_abs_ns):>7} {settle:>18}")
    lines.append("  (<1 us after: without / with the file)")
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


def _ratio(worse: float, better: float) -> str:
    return "inf" if better == 0 else f"{worse / better:.1f}x"


def format_ns(value: float) -> str:
    if math.isnan(value):
        return "-"
    size = abs(value)
    if size >= 1_000_000:
        return f"{value / 1_000_000:.2f} ms"
    if size >= 1_000:
        return f"{value / 1_000:.2f} us"
    return f"{value:.1f} ns"
