# SPDX-License-Identifier: GPL-2.0-or-later
"""Our daemon follows a real ptp4l grandmaster in a lab, from +1 ms / +50 ppm at 16 Sync/s.

The grandmaster runs on the lab's shared CLOCK_REALTIME (UTC, ARB timescale
announced); our simulated PHC runs on TAI, so reaching a small true time
error also proves the ARB-as-UTC rule (without it the clock would land 37 s off).
"""

from __future__ import annotations

import time

import pytest

from nslab.peers import Ptp4l, Ptp4lConfig
from nslab.pytest_plugin import MakeLab
from .helpers import TE_BOUND_NS, UTC_OFFSET_NS, our_slave, wait_converged


@pytest.mark.parametrize(("transport", "mechanism"), [("udpv4", "e2e"), ("l2", "p2p")])
def test_follows_ptp4l_grandmaster(make_lab: MakeLab, transport: str, mechanism: str) -> None:
    lab = make_lab("pair")
    gm_host, slave_host = lab["h1"], lab["h2"]
    nslab_transport = {"udpv4": "UDPv4", "l2": "L2"}[transport]
    config = Ptp4lConfig(role="master", transport=nslab_transport, delay_mechanism=mechanism.upper(),
                         log_sync_interval=-4, log_min_delay_req_interval=-4, log_min_pdelay_req_interval=-4)
    with Ptp4l(gm_host, config, name="gm"), our_slave(slave_host, transport=transport,
                                                      delay_mechanism=mechanism) as slave:
        assert slave.true_time_error_ns() > 900_000  # it really starts 1 ms off
        ptp = wait_converged(slave, TE_BOUND_NS, timeout=30)
        status = slave.status()
        discipline = status["discipline"]
        assert discipline["steps"] == 1  # one step at start, then frequency only
        port = ptp["slave"]["ports"][0]
        assert ptp["slave"]["master_timescale"].startswith("arb")
        assert port["utc_correction_ns"] == UTC_OFFSET_NS
        assert 0 < port["mean_path_delay_ns"] < 1_000_000
        # It stays there: a few seconds of status, never off by more than the bound.
        errors = []
        end = time.monotonic() + 3
        while time.monotonic() < end:
            errors.append(slave.true_time_error_ns())
            time.sleep(0.2)
        assert max(abs(e) for e in errors) < TE_BOUND_NS, errors
        assert slave.port_state() == "SLAVE"
        # By now the servo has taken out the clock's +50 ppm.
        assert -60_000 < slave.slave()["frequency_ppb"] < -40_000
        assert slave.slave()["log_sync_interval"] == -4  # inferred from the Sync arrivals
        assert slave.status()["discipline"]["steps"] == 1
