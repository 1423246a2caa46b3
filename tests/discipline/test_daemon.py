# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge run` with `[discipline]`, as a user runs it: a real process, control socket, signals.

The served clock is simulated on CLOCK_REALTIME, so its true time error is
known exactly; CLOCK_REALTIME itself is only read.
"""

from __future__ import annotations

import math
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ptpbridge.daemon.control import request
from ptpbridge.daemon.drift_file import read_drift

PTPBRIDGE = [sys.executable, "-m", "ptpbridge"]
BOUND_NS = 10_000  # generous: the exact simulated clock settles within nanoseconds
SIM_100PPM = "[clock.sim]\nfrequency_error_ppb = 100000\ntime_error_ns = {error}\n"


@contextmanager
def daemon(tmp_path: Path, config_text: str, *extra: str) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    config = tmp_path / "c.toml"
    config.write_text(config_text)
    control = tmp_path / "control.sock"
    proc = subprocess.Popen([*PTPBRIDGE, "run", "--config", str(config), "--control", str(control),
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not control.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"daemon did not come up: {proc.communicate(timeout=5)}")
            time.sleep(0.05)
        yield proc, control
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    return stderr


def status(control: Path) -> dict[str, Any]:
    reply = request(control, "status")
    assert isinstance(reply, dict)
    return reply


def test_follows_the_system_clock_and_writes_the_drift_file(tmp_path: Path) -> None:
    drift = tmp_path / "drift"
    text = SIM_100PPM.format(error=1_000_000) + f'[discipline]\nsource = "system"\ndrift_file = "{drift}"\n'
    with daemon(tmp_path, text) as (proc, control):
        start = time.monotonic()
        while abs(status(control)["clock"]["true_time_error_ns"]) >= BOUND_NS:
            assert time.monotonic() - start < 30, status(control)
            time.sleep(0.25)
        converged_s = time.monotonic() - start
        errors = []
        hold_until = time.monotonic() + 10
        while time.monotonic() < hold_until:
            errors.append(status(control)["clock"]["true_time_error_ns"])
            time.sleep(0.2)
        final = status(control)
        # The drift file appears once the servo has locked (for a few samples).
        deadline = time.monotonic() + 15
        while not drift.exists():
            assert time.monotonic() < deadline, final["discipline"]
            time.sleep(0.2)
        written = read_drift(drift, 500_000.0)
        stop(proc)
    rms = math.sqrt(sum(e * e for e in errors) / len(errors))
    print(f"\nsystem discipline: |TE| < {BOUND_NS} ns after {converged_s:.1f} s; "
          f"then {len(errors)} readings over 10 s: RMS {rms:.1f} ns, max {max(map(abs, errors))} ns")
    assert all(abs(e) < BOUND_NS for e in errors), errors
    d = final["discipline"]
    assert d["source"] == "system" and d["last_source"] == "CLOCK_REALTIME"
    assert d["state"] in ("locked", "locked_stable")
    assert d["steps"] == 1 and d["errors"] == 0
    assert d["true_time_error_ns"] is not None
    # The adjustment cancels +100 ppm: about -100000 ppb, in Clock.adjust_frequency's sign.
    assert final["clock"]["frequency_ppb"] < -99_000
    assert written is not None and abs(written + 100_000) < 1_000, written
    assert abs(read_drift(drift, 500_000.0) + 100_000) < 1_000  # type: ignore[operator]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.toml", "drift"]  # no temporaries


def test_restart_applies_the_drift_file_before_the_first_sample(tmp_path: Path) -> None:
    drift = tmp_path / "drift"
    drift.write_text("-99950.000\n")
    # A 64 s poll: only the start-up sample happens during the test, so the
    # clock's frequency can only come from the file.
    text = SIM_100PPM.format(error=0) + (f'[discipline]\nsource = "system"\nlog_poll_interval = 6\n'
                                         f'drift_file = "{drift}"\n')
    with daemon(tmp_path, text) as (proc, control):
        first = status(control)
        time.sleep(2.0)
        later = status(control)
        stderr = stop(proc)
    d = first["discipline"]
    assert d["initial_frequency_ppb"] == -99_950.0 and d["initial_frequency_from"] == "drift-file"
    assert d["drift_file"]["loaded_ppb"] == -99_950.0 and d["drift_file"]["load_error"] is None
    assert first["clock"]["frequency_ppb"] == -99_950.0
    # 50 ppb of error left over 2 s is 100 ns; without the file it would be 200 us.
    assert abs(later["clock"]["true_time_error_ns"]) < 5_000
    assert f"applied -99950.000 ppb from drift file {drift}" in stderr


def test_corrupt_drift_file_is_a_warning_and_start_continues(tmp_path: Path) -> None:
    drift = tmp_path / "drift"
    drift.write_text("{not a number}\n")
    text = SIM_100PPM.format(error=0) + f'[discipline]\nsource = "system"\ndrift_file = "{drift}"\n'
    with daemon(tmp_path, text) as (proc, control):
        time.sleep(1.5)
        d = status(control)["discipline"]
        stderr = stop(proc)
    assert d["drift_file"]["load_error"] == "not a frequency in ppb: '{not a number}'"
    assert d["initial_frequency_from"] == "clock"
    assert d["samples"] >= 1
    # Only the discipline's own warnings: others (an expired leap-seconds file) are not this test's.
    warnings = [line for line in stderr.splitlines() if " WARNING ptpbridge.discipline" in line]
    assert len(warnings) == 1 and f"drift file {drift}: not a frequency in ppb" in warnings[0], stderr


def test_refuses_to_discipline_the_system_clock(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[discipline]\nsource = "system"\n')
    control = tmp_path / "control.sock"
    result = subprocess.run([*PTPBRIDGE, "run", "--config", str(config), "--clock", "system",
                             "--control", str(control)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert 'ptpbridge: discipline: source = "system" would steer the system clock' in result.stderr
    assert "Traceback" not in result.stderr
    assert not control.exists()


def test_serving_the_system_clock_free_running_still_starts(tmp_path: Path) -> None:
    with daemon(tmp_path, "", "--clock", "system") as (proc, control):
        d = status(control)["discipline"]
        stop(proc)
    assert d["source"] == "none" and d["state"] == "free-run"


def test_status_table_shows_the_discipline(tmp_path: Path) -> None:
    drift = tmp_path / "drift"
    text = SIM_100PPM.format(error=0) + f'[discipline]\nsource = "system"\ndrift_file = "{drift}"\n'
    with daemon(tmp_path, text) as (proc, control):
        time.sleep(1.0)
        result = subprocess.run([*PTPBRIDGE, "status", "--control", str(control)],
                                capture_output=True, text=True, timeout=30)
        stop(proc)
    assert result.returncode == 0, result.stderr
    rows = {name.strip(): value for name, value in
            (line.split(" : ", 1) for line in result.stdout.splitlines())}
    assert rows["Discipline"].startswith("system (CLOCK_REALTIME every 1 s), servo linreg, ")
    assert rows["Servo samples"].startswith(("1,", "2,", "3,"))
    assert f"{drift}: none at start; 0 writes" in result.stdout
