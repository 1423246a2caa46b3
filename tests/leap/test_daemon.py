# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge run` with a lab leap a few seconds ahead: the status walks through window and leap.

A real daemon process and its control socket (no network needed): the
leap section shows Normal, then "Insert second" inside the window, then
TAI - UTC 38; the simulated clock's true time error stays exactly zero,
since the served clock runs on TAI and never steps. A damaged leap file is
reported in the same section and the daemon runs on.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PTPBRIDGE = [sys.executable, "-m", "ptpbridge"]


@contextmanager
def daemon(tmp_path: Path, time_toml: str) -> Iterator[Path]:
    config = tmp_path / "leap.toml"
    config.write_text("[clock.sim]\ntime_error_ns = 0\n" + time_toml)
    control = tmp_path / "control.sock"
    proc = subprocess.Popen([*PTPBRIDGE, "run", "--config", str(config), "--clock", "sim",
                             "--control", str(control)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not control.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no control socket"
            time.sleep(0.05)
        yield control
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def status(control: Path) -> dict[str, Any]:
    out = subprocess.run([*PTPBRIDGE, "status", "--json", "--control", str(control)],
                         capture_output=True, text=True, timeout=20, check=True)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def wait_for(control: Path, predicate: Any, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        current = status(control)
        if predicate(current["leap"]):
            return current
        assert time.monotonic() < deadline, current["leap"]
        time.sleep(0.2)


def test_lab_leap_walks_through_window_and_leap(tmp_path: Path) -> None:
    at_s = math.ceil(time.time()) + 8
    at = dt.datetime.fromtimestamp(at_s, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with daemon(tmp_path, f"[time]\nleap_window_s = 4\n[time.lab_leap]\nat_utc = {at}\n") as control:
        first = status(control)
        inside = wait_for(control, lambda leap: leap["leap"] == "insert", 20)
        after = wait_for(control, lambda leap: leap["utc_offset_s"] == 38, 20)
        text = subprocess.run([*PTPBRIDGE, "status", "--control", str(control)],
                              capture_output=True, text=True, timeout=20, check=True).stdout
    if time.time() < at_s - 4:  # the first look normally comes well before the window
        assert first["leap"]["leap"] == "none"
    assert first["leap"]["lab"] is True and first["leap"]["problems"] == []
    assert inside["leap"]["utc_offset_s"] == 37
    assert inside["leap"]["next_leap"]["utc_ns"] == at_s * 1_000_000_000
    assert after["leap"]["leap"] == "none" and after["daemon"]["utc_offset_s"] == 38
    assert [s["clock"]["true_time_error_ns"] for s in (first, inside, after)] == [0, 0, 0]
    assert "Leap status      : Normal" in text and "LAB LEAP" in text


def test_a_damaged_leap_file_is_reported_and_not_fatal(tmp_path: Path) -> None:
    bad = tmp_path / "leap-seconds.list"
    bad.write_text("#$\t3676924800\n#@\t3992025600\n1483228800 37\n#h 0 0 0 0 0\n")
    with daemon(tmp_path, f'[time]\nleapfile = "{bad}"\n') as control:
        leap = status(control)["leap"]
        text = subprocess.run([*PTPBRIDGE, "status", "--control", str(control)],
                              capture_output=True, text=True, timeout=20, check=True).stdout
    assert leap["source"] is None and leap["utc_offset_s"] == 37 and leap["leap"] == "none"
    (problem,) = leap["problems"]
    assert problem.startswith(f"{bad}:4: bad hash")
    assert "Leap problem" in text and "bad hash" in text
