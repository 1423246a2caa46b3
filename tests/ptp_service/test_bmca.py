# SPDX-License-Identifier: GPL-2.0-or-later
"""BMCA against a real ptp4l master: a better master takes over; when it stops, we are back.

The bound for taking over again is the one the standard gives: the
announce receipt timeout (announceReceiptTimeout announce intervals
without the better master's Announce), plus one announce interval for
PRE_MASTER's qualification; measured from the moment ptp4l is stopped, so
the interval already under way at that moment is inside the bound too,
and a generous slack absorbs a busy machine.
"""

from __future__ import annotations

import time

import pytest

import nslab
from nslab.pytest_plugin import MakeLab
from nslab.peers import Ptp4l, Ptp4lConfig

from .helpers import LOG_ANNOUNCE, grandmaster, wait_until

pytestmark = [pytest.mark.netns, pytest.mark.peers]

ANNOUNCE_RECEIPT_TIMEOUT = 3
SLACK_S = 2.0


@pytest.fixture(scope="module")
def lab(make_module_lab: MakeLab) -> nslab.Lab:
    return make_module_lab("star", hosts=2)


def test_better_master_takes_over_and_we_return(lab: nslab.Lab) -> None:
    h1, h2 = lab["h1"], lab["h2"]
    with grandmaster(h1, priority1=128, log_announce_interval=LOG_ANNOUNCE,
                     announce_receipt_timeout=ANNOUNCE_RECEIPT_TIMEOUT) as gm:
        gm.wait_for_port_state("MASTER", timeout=20)
        better = Ptp4l(h2, Ptp4lConfig(role="master", priority1=64, log_announce_interval=LOG_ANNOUNCE,
                                       announce_receipt_timeout=ANNOUNCE_RECEIPT_TIMEOUT), name="better")
        with better:
            better.wait_for_state("MASTER", timeout=20)
            ptp = wait_until("our port leaving MASTER",
                             lambda: p if (p := gm.ptp())["ports"][0]["state"] != "MASTER" else None)
            # It stays out while the better master announces.
            time.sleep(1.0)
            during = gm.ptp()
            stopped_at = time.monotonic()
        back_at = gm.wait_for_port_state("MASTER", timeout=20)
        after = gm.ptp()
    assert ptp["ports"][0]["state"] in ("UNCALIBRATED", "SLAVE", "PASSIVE"), ptp
    assert during["ports"][0]["state"] in ("UNCALIBRATED", "SLAVE"), during
    assert not during["is_grandmaster"] and during["grandmaster"]["priority1"] == 64
    assert during["grandmaster"]["identity"] != during["clock_identity"]
    assert during["steps_removed"] == 1
    interval_s = 2.0 ** LOG_ANNOUNCE
    bound_s = ANNOUNCE_RECEIPT_TIMEOUT * interval_s + interval_s + SLACK_S
    assert back_at - stopped_at < bound_s, (back_at - stopped_at, bound_s)
    assert after["is_grandmaster"] and after["grandmaster"]["identity"] == after["clock_identity"]
    assert after["ports"][0]["announce_receipt_timeouts"] >= 1
