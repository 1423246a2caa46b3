# SPDX-License-Identifier: GPL-2.0-or-later
"""`ptpbridge sources` and `tracking` against a real daemon process (no network needed):
a `system` reference (CLOCK_REALTIME, read only) steering a simulated clock, and a `local` one."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from ptpbridge.cli.sources_cmd import format_ns
from ptpbridge.daemon.control import request
from tests.discipline.test_daemon import PTPBRIDGE, daemon, stop

CONFIG = """
[clock.sim]
time_error_ns = 2000000
frequency_error_ppb = 30000

[[reference]]
type = "system"
poll = -2

[[reference]]
type = "local"
stratum = 10
clock_class = 187

[holdover]
budget_s = 30
"""


def _cli(control: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PTPBRIDGE, *args, "--control", str(control)], capture_output=True, text=True,
                          timeout=30, check=False)


def test_sources_and_tracking_text_and_json(tmp_path: Path) -> None:
    with daemon(tmp_path, CONFIG) as (proc, control):
        deadline = time.monotonic() + 30
        while request(control, "tracking")["state"] != "locked":
            assert time.monotonic() < deadline, request(control, "tracking")
            time.sleep(0.1)
        sources = _cli(control, "sources")
        sources_json = _cli(control, "sources", "--json")
        tracking = _cli(control, "tracking")
        tracking_json = _cli(control, "tracking", "--json")
        stop(proc)
    print(sources.stdout, tracking.stdout, sep="\n")
    assert sources.returncode == tracking.returncode == 0, sources.stderr + tracking.stderr
    rows = json.loads(sources_json.stdout)["sources"]
    assert [(r["kind"], r["symbol"], r["state"]) for r in rows] == [
        ("system", "*", "selected"), ("local", "~", "standby")]
    lines = sources.stdout.splitlines()
    assert lines[0].split()[:3] == ["MS", "Name/IP", "address"] and set(lines[1]) == {"="}
    assert lines[2].split()[:2] == ["#*", "system"] and lines[3].split()[:2] == ["#~", "local"]
    t = json.loads(tracking_json.stdout)
    assert (t["state"], t["selected"], t["clock_class"], t["stratum"], t["reference_id"]) == (
        "locked", "system", 6, 2, "SYS")
    assert t["holdover_ns"] is None and t["true_time_error_ns"] is not None
    text = {k.strip(): v for k, v in (line.split(" : ", 1) for line in tracking.stdout.splitlines()
                                      if " : " in line)}
    assert text["Reference"].strip() == "system (system, refid SYS)"
    assert text["Stratum"].strip() == "2" and text["Clock class"].startswith("6 (accuracy")
    assert text["Leap status"].strip() == "Normal" and text["Holdover"].strip() == "-"
    assert text["Frequency"].endswith(("fast", "slow"))


def test_a_daemon_without_references_says_so(tmp_path: Path) -> None:
    with daemon(tmp_path, "[clock.sim]\n") as (proc, control):
        res = _cli(control, "sources")
        stop(proc)
    assert res.returncode == 1 and "follows no references" in res.stderr


def test_offsets_read_like_chronyc() -> None:
    assert [format_ns(v) for v in (None, 0, 9_999, -12_345, 49_012_885, 12_000_000_000)] == [
        "-", "+0ns", "+9999ns", "-12us", "+49ms", "+12s"]
