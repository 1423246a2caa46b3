# SPDX-License-Identifier: GPL-2.0-or-later
"""Acceptance 3 in a lab: every reference lost, holdover, degraded class, recovery without a step,
seen by a ptp4l slave (pmc) and a chronyd client (root dispersion, leap indicator)."""

from __future__ import annotations

from typing import Any

import pytest

from ptpbridge.bench.refs_holdover import biggest_jump_ns, format_holdover, run_holdover

pytestmark = [pytest.mark.netns, pytest.mark.peers]


def test_holdover_degrades_and_recovers(make_lab: Any) -> None:
    lab = make_lab("star", hosts=3)
    r = run_holdover(lab.host_list, budget_s=10, degraded_class=52)
    print()
    print(format_holdover(r))
    ev = r["events"]
    # Lost after 4 missed 1-s polls; the slave sees class 7 within an announce interval (0.25 s)
    # of our change, plus pmc's and this loop's own latency.
    assert "ours_holdover" in ev and ev["ours_holdover"] < 10
    assert "pmc_7" in ev and ev["pmc_7"] - ev["ours_holdover"] < 2.0
    assert "ours_degraded" in ev and ev["ours_degraded"] - ev["ours_holdover"] >= 10 - 0.5
    assert "pmc_52" in ev and ev["pmc_52"] - ev["ours_degraded"] < 2.0
    assert "recovered" in ev
    assert r["steps_during"] == 0
    jump, gap = biggest_jump_ns(r["errors"])
    assert jump <= (gap + 0.5) * r["max_frequency_ppb"]  # never faster than a slew at the servo's limit
    timeline = r["timeline"]
    held = [d for t, state, _, _, d in timeline if state == "holdover"]
    assert held and held[-1] > held[0]  # root dispersion grows while holding over
    # The chronyd client: root dispersion grows through the holdover (15 ppm over 10 s is 150 us),
    # then the leap indicator says unsynchronised (chrony logs it as '?') after the budget.
    seen = [(leap, d) for _, leap, _, d in r["client"]]
    # (our server also says '?' before its first lock; the degradation is the '?' after an 'N')
    first_unsync = next(i for i in range(1, len(seen)) if seen[i][0] == "?" and seen[i - 1][0] == "N")
    holding = [d for leap, d in seen[max(0, first_unsync - 8):first_unsync] if leap == "N"]
    assert len(holding) >= 4 and holding[-1] - holding[0] > 50_000, holding
    assert seen[-1][0] == "N"  # synchronised again after the recovery
