# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared pieces of the slave tests: our daemon as a slave in a lab host, and status sampling."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from nslab.host import Host
from ptpbridge.bench.ptp_follow import PtpbridgeSlave, slave_config

# Software timestamps on a busy 2-core machine: a few us is normal, 50 us is a real fault.
TE_BOUND_NS = 50_000
UTC_OFFSET_NS = 37_000_000_000


@contextmanager
def our_slave(host: Host, name: str = "slave", **config: Any) -> Iterator[PtpbridgeSlave]:
    """examples/lab-slave.toml (updated by ``config``) in ``host``; stopped by pid."""
    slave = PtpbridgeSlave(host, slave_config(**config), name=name)
    slave.start()
    try:
        yield slave
    finally:
        slave.stop()


def wait_converged(slave: PtpbridgeSlave, bound_ns: int, timeout: float) -> dict[str, Any]:
    """The status once the port is SLAVE and |true time error| is under ``bound_ns``."""
    deadline = time.monotonic() + timeout
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        last = slave.ptp()
        error = last["slave"]["true_time_error_ns"]
        if last["ports"][0]["state"] == "SLAVE" and abs(error) < bound_ns:
            return last
        time.sleep(0.2)
    raise AssertionError(f"not SLAVE within {bound_ns} ns of the truth in {timeout} s; last status "
                         f"{last.get('slave')}; log:\n{slave.log()[-3000:]}")
