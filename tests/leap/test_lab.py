# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 8, acceptance 4: a leap second at a chosen instant, seen by real ptp4l, pmc, chronyd and ntpdig.

The scenario (ptpbridge.bench.leap, also `ptpbridge bench leap`) puts an
inserted leap 50 s ahead with a 25 s announcement window: our daemon in
h1 (grandmaster + NTP server), a guarded ptp4l slave in h2, chronyd (-x)
and ntpdig in h3. Bounds are generous: only the leap bookkeeping is
asserted exactly, never a timing figure.
"""

from __future__ import annotations

import pytest

import nslab
from nslab.pytest_plugin import MakeLab
from ptpbridge.bench.leap import leap_scenario
from ptpbridge.timebase import NS_PER_S

pytestmark = [pytest.mark.netns, pytest.mark.peers]

# ntpdig's offset after the leap is our UTC (TAI - 38) minus the lab's CLOCK_REALTIME (TAI - 37).
NTP_BOUND_NS = 50_000_000
PTP_BOUND_NS = 100_000


@pytest.fixture(scope="module")
def lab(make_module_lab: MakeLab) -> nslab.Lab:
    return make_module_lab("star", hosts=3)


def test_leap_second_end_to_end(lab: nslab.Lab) -> None:
    result = leap_scenario(lab, lead_s=50, window_s=25)
    phases = {s["phase"]: s for s in result["samples"]}
    inside, after = phases["in window"], phases["after leap"]
    before = phases.get("before window")  # taken unless the peers took 20 s to lock
    if before is not None:
        assert (before["ptp_leap61"], before["chrony_leap"], before["ntpdig_leap"]) == (0, 0, 0), before
        assert before["ptp_current_utc_offset"] == 37
    # In the window: pmc on the slave shows leap61 with the old offset; both NTP clients see LI=1.
    assert (inside["ptp_current_utc_offset"], inside["ptp_leap61"], inside["ptp_leap59"]) == (37, 1, 0), inside
    assert inside["ptp_utc_offset_valid"] == 1
    assert (inside["chrony_leap"], inside["ntpdig_leap"], inside["our_leap"]) == (1, 1, "insert"), inside
    assert abs(inside["ntpdig_offset_ns"]) < NTP_BOUND_NS
    # After: the new offset, flags down; NTP's UTC moved back by the inserted second.
    assert (after["ptp_current_utc_offset"], after["ptp_leap61"], after["ptp_leap59"]) == (38, 0, 0), after
    assert (after["chrony_leap"], after["ntpdig_leap"], after["our_utc_offset_s"]) == (0, 0, 38), after
    assert abs(after["ntpdig_offset_ns"] + NS_PER_S) < NTP_BOUND_NS, after
    # The slave stayed SLAVE throughout and applied the new offset (its kernel clock did not leap).
    assert all(s["slave_port_state"] == "SLAVE" for s in result["samples"]), result["samples"]
    assert result["slave_changes_after_lock"] == []
    offsets = result["slave_offsets_last_ns"]
    assert offsets and all(abs(o + NS_PER_S) < PTP_BOUND_NS for o in offsets), offsets
    # Our served clock never stepped: the simulated PHC's true time error is the same zero throughout.
    assert {s["true_time_error_ns"] for s in result["samples"]} == {0}
