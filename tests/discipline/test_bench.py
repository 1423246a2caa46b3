# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge bench servo` runs, and the drift file does what the bench claims (simulated time)."""

from __future__ import annotations

import subprocess
import sys

from pathlib import Path

from ptpbridge.bench.servo import run_discipline, summarize
from ptpbridge.config.discipline import DEFAULT_SERVO
from ptpbridge.core.servo import SERVO_KINDS


def test_bench_prints_every_servo_and_scenario() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ptpbridge", "bench", "servo", "--duration", "20",
         "--system-duration", "30"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for scenario in ("ideal", "jitter-50us", "loss-1%", "asym-100us", "busy-host", "sys-exact",
                     "sys-noise-200ns"):
        assert f"\n{scenario} " in out, out
    header = next(line for line in out.splitlines() if line.strip().startswith("|"))
    assert [cell.strip() for cell in header.split("|")[1:]] == list(SERVO_KINDS)
    drift_rows = [line.split()[0] for line in out.split("Drift file:")[1].splitlines()[3:-1]]
    assert drift_rows == list(SERVO_KINDS)


def test_drift_file_makes_the_first_minute_ten_times_better(tmp_path: Path) -> None:
    """Acceptance 7 for the default servo: the daemon's component, restarted with and without
    its file on a clock 5 us off whose +100 ppm (now +100.05 ppm) is no longer compensated."""
    kind = DEFAULT_SERVO["system"]
    path = tmp_path / "drift"
    run_discipline(kind, offset_ns=1_000_000, error_ppb=100_000.0, seconds=300, drift_file=path,
                   seed=1)
    assert path.exists()
    results = [summarize(run_discipline(kind, offset_ns=5_000, error_ppb=100_050.0, seconds=60,
                                        drift_file=drift, seed=2), 1 / 8)
               for drift in (path, None)]
    with_file, without = results
    assert without.mean_abs_ns >= 10 * with_file.mean_abs_ns
    assert without.max_abs_ns >= 10 * with_file.max_abs_ns
    assert with_file.max_abs_ns < 10_000  # never far from where it restarted (5 us)
