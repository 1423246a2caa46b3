# SPDX-License-Identifier: GPL-2.0-or-later
"""Acceptance 1 and 5 in a lab: three upstream servers, one 50 ms wrong; sources and tracking.

The scenario of `ptpbridge bench refs` (h1, h2 chronyd serving true time,
h3 our daemon serving a SimulatedClock 50 ms ahead, h4 our daemon following
all three, h5 a chronyd client of the same three), with generous bounds:
the accuracy figures themselves belong to the benchmark.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import pytest

from ptpbridge.bench.refs import run_scenario
from ptpbridge.bench.refs_lab import PtpbridgeRefs

pytestmark = [pytest.mark.netns, pytest.mark.peers]

US = 1_000


def _cli(ours: PtpbridgeRefs, *args: str) -> str:
    res = subprocess.run([sys.executable, "-m", "ptpbridge", *args, "--control", str(ours.control)],
                         capture_output=True, text=True, timeout=30, check=False)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_falseticker_marked_and_ignored_clock_follows_the_truechimers(make_lab: Any) -> None:
    lab = make_lab("star", hosts=5)
    h3 = lab["h3"]
    seen: dict[str, Any] = {}

    def inspect(ours: PtpbridgeRefs) -> None:
        seen["sources_text"] = _cli(ours, "sources")
        seen["sources_json"] = json.loads(_cli(ours, "sources", "--json"))
        seen["tracking_text"] = _cli(ours, "tracking")
        seen["tracking_json"] = json.loads(_cli(ours, "tracking", "--json"))

    r = run_scenario(lab.host_list, seconds=20, settle=10, inspect=inspect)
    print(f"\nfirst selection {r['first_selection_s']:.1f} s, falseticker marked {r['falseticker_marked_s']} s, "
          f"ours |TE| RMS {r['ours_rms_ns'] / US:.1f} us (max {r['ours_max_ns'] / US:.1f} us), "
          f"chronyd |TE| RMS {r['chronyd_rms_ns'] / US:.1f} us")
    print(seen["sources_text"])
    print(seen["tracking_text"])
    assert r["first_selection_s"] < 10
    assert r["falseticker_marked_s"] is not None and r["falseticker_symbol"] == "x"
    assert r["stayed_selected"]
    assert r["ours_samples"] >= 20 and not math.isnan(r["ours_rms_ns"])
    assert r["ours_rms_ns"] < 100 * US and r["ours_max_ns"] < 1_000 * US
    # Acceptance 5: the same rows in text and JSON, chronyc's symbols.
    rows = {row["address"]: row for row in seen["sources_json"]["sources"]}
    assert rows[h3.ipv4]["symbol"] == "x" and rows[h3.ipv4]["state"] == "falseticker"
    symbols = sorted(row["symbol"] for row in rows.values())
    assert symbols == ["*", "+", "x"]
    text_lines = seen["sources_text"].splitlines()
    assert text_lines[0].split()[:2] == ["MS", "Name/IP"]
    for address, row in rows.items():
        line = next(line for line in text_lines if address in line)
        assert line.startswith("^" + row["symbol"]), line
    t = seen["tracking_json"]
    assert t["state"] == "locked" and t["clock_class"] == 6 and t["stratum"] == 2
    assert t["reference_id"] in (lab["h1"].ipv4, lab["h2"].ipv4)
    text = seen["tracking_text"]
    for label in ("Reference", "Stratum", "Clock class", "Frequency", "Residual freq", "Skew", "Root delay",
                  "Root dispersion", "Leap status", "Holdover"):
        assert any(line.startswith(label) for line in text.splitlines()), label
    assert f"refid {t['reference_id']}" in text and "Stratum         : 2" in text
