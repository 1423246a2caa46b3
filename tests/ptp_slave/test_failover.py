# SPDX-License-Identifier: GPL-2.0-or-later
"""Failover on the two-gm topology: our grandmaster (better priority1) and a ptp4l one.

Our slave follows ours; we stop it; the slave must take the ptp4l
grandmaster as parent within announceReceiptTimeout x announce interval +
1 s (plus slack for a busy machine), without a step, and its true time
error, sampled every 0.2 s throughout, stays small. The two masters agree
only through the timescale rule: ours sends TAI (PTP timescale), ptp4l
sends CLOCK_REALTIME (ARB, taken as UTC).
"""

from __future__ import annotations

import time

from nslab.peers import Ptp4l, Ptp4lConfig
from nslab.pytest_plugin import MakeLab
from ptpbridge.bench.ptp_lab import PtpbridgeGm, ptp_config

from .helpers import TE_BOUND_NS, our_slave, wait_converged

LOG_ANNOUNCE = -3
ANNOUNCE_RECEIPT_TIMEOUT = 3
# The limit, plus slack for status polling and a loaded 2-core machine.
SWITCH_LIMIT_S = ANNOUNCE_RECEIPT_TIMEOUT * 2.0**LOG_ANNOUNCE + 1.0
SLACK_S = 1.5
# The hand-over transient on a busy 2-core machine with software stamps has
# reached 60 us; a step (what this guards against) would be milliseconds.
FAILOVER_TE_BOUND_NS = 200_000


def test_failover_to_ptp4l_without_step(make_lab: MakeLab) -> None:
    lab = make_lab("two-gm", hosts=1)
    ours_config = ptp_config(priority1=100, log_sync_interval=-4, log_min_delay_req_interval=-4,
                             log_announce_interval=LOG_ANNOUNCE,
                             announce_receipt_timeout=ANNOUNCE_RECEIPT_TIMEOUT)
    theirs_config = Ptp4lConfig(role="master", priority1=128, log_sync_interval=-4,
                                log_min_delay_req_interval=-4, log_announce_interval=LOG_ANNOUNCE,
                                announce_receipt_timeout=ANNOUNCE_RECEIPT_TIMEOUT)
    ours = PtpbridgeGm(lab["gm1"], ours_config, name="gm1").start()
    try:
        with Ptp4l(lab["gm2"], theirs_config, name="gm2"), our_slave(lab["c1"]) as slave:
            ours_id = ours.ptp()["clock_identity"]
            wait_converged(slave, TE_BOUND_NS, timeout=30)
            assert slave.ptp()["grandmaster"]["identity"] == ours_id
            time.sleep(2)  # settle on ours
            steps_before = slave.status()["discipline"]["steps"]
            errors: list[int] = []
            stopped = time.monotonic()
            ours.stop()
            switched = None
            while time.monotonic() - stopped < SWITCH_LIMIT_S + SLACK_S + 4:
                ptp = slave.ptp()
                errors.append(ptp["slave"]["true_time_error_ns"])
                gm = ptp["grandmaster"]["identity"]
                if switched is None and gm not in (ours_id, ptp["clock_identity"]):
                    switched = time.monotonic() - stopped
                time.sleep(0.2)
            assert switched is not None, f"never followed the ptp4l grandmaster; log:\n{slave.log()[-3000:]}"
            assert switched < SWITCH_LIMIT_S + SLACK_S
            assert max(abs(e) for e in errors) < FAILOVER_TE_BOUND_NS, errors
            status = slave.status()
            assert status["discipline"]["steps"] == steps_before  # the hand-over did not step
            assert status["discipline"]["resets"] >= 1  # the servo restarted on the new parent
            assert status["ptp"]["ports"][0]["state"] == "SLAVE"
            assert status["ptp"]["slave"]["master_timescale"].startswith("arb")
    finally:
        ours.stop()
