# SPDX-License-Identifier: GPL-2.0-or-later
"""`[ptp] slave_only` (ptp4l's slaveOnly) and `delay_asymmetry_ns`, against pmc and a ptp4l grandmaster.

Alone on the segment a slave-only clock never becomes MASTER (an ordinary
clock with the same settings would after the announce receipt timeout);
pmc over the network reads slaveOnly 1 and clockClass 255; once a ptp4l
grandmaster appears it is followed. A configured delay asymmetry moves the
clock by the asymmetry (our true time error shifts by +asymmetry: the
offset we compute is reduced by it, and the servo drives that to zero),
while the mean path delay stays what it was.
"""

from __future__ import annotations

import sys
import time

import pytest

from nslab.peers import Ptp4l, Ptp4lConfig, pmc
from nslab.pytest_plugin import MakeLab

from .helpers import TE_BOUND_NS, our_slave, wait_converged

pytestmark = [pytest.mark.netns, pytest.mark.peers]

ASYMMETRY_NS = 40_000  # far beyond the lab's own few-us asymmetry and noise


def test_slave_only_never_masters_and_follows_a_grandmaster(make_lab: MakeLab) -> None:
    lab = make_lab("pair")
    with our_slave(lab["h2"], ptp_keys={"slave_only": True}) as slave:
        # 3 x 125 ms announce receipt timeout, many times over: still not MASTER.
        time.sleep(2.0)
        ptp = slave.ptp()
        assert ptp["ports"][0]["state"] == "LISTENING", ptp["ports"][0]
        (dds,) = pmc(lab["h1"], ["GET DEFAULT_DATA_SET"], transport="UDPv4")
        assert dds["slaveOnly"] == 1 and dds["clockClass"] == 255
        config = Ptp4lConfig(role="master", log_sync_interval=-4, log_min_delay_req_interval=-4)
        with Ptp4l(lab["h1"], config, name="gm"):
            wait_converged(slave, TE_BOUND_NS, timeout=30)
            # `ptpbridge status` (the human table) shows the slave port and its filter counters.
            shown = lab["h2"].run([sys.executable, "-m", "ptpbridge", "status", "--control", str(slave.control)],
                                  check=True).stdout
            assert "PTP slave port 1" in shown and "rejected as outliers" in shown, shown
            assert "true time error" in shown, shown
        # The grandmaster is gone: back to listening, never MASTER.
        deadline = time.monotonic() + 5
        states = set()
        while time.monotonic() < deadline:
            states.add(slave.port_state())
            time.sleep(0.2)
        assert "MASTER" not in states and "PRE_MASTER" not in states, states


def test_delay_asymmetry_shifts_the_clock_not_the_path_delay(make_lab: MakeLab) -> None:
    lab = make_lab("pair")
    config = Ptp4lConfig(role="master", log_sync_interval=-4, log_min_delay_req_interval=-4)
    means = {}
    delays = {}
    with Ptp4l(lab["h1"], config, name="gm"):
        for asymmetry in (0, ASYMMETRY_NS):
            keys = {"delay_asymmetry_ns": asymmetry}
            with our_slave(lab["h2"], name=f"slave{asymmetry}", ptp_keys=keys) as slave:
                slave.wait_for_port_state("SLAVE", timeout=40)
                time.sleep(3)  # the servo pulls the asymmetry in by frequency (no step after lock)
                errors = []
                for _ in range(20):
                    errors.append(slave.true_time_error_ns())
                    time.sleep(0.1)
                means[asymmetry] = sum(errors) / len(errors)
                delays[asymmetry] = slave.slave()["ports"][0]["mean_path_delay_ns"]
    shift = means[ASYMMETRY_NS] - means[0]
    assert abs(shift - ASYMMETRY_NS) < ASYMMETRY_NS / 4, means
    assert abs(delays[ASYMMETRY_NS] - delays[0]) < 20_000, delays
