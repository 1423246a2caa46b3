# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared pieces of the PTP service tests: our grandmaster in a lab host, and polling."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from nslab.host import Host
from ptpbridge.bench.ptp_lab import PtpbridgeGm, ptp_config

T = TypeVar("T")
# 8 Sync/s and 8 Announce/s (nslab's Ptp4lConfig defaults, which the peers use too).
LOG_SYNC = -3
LOG_ANNOUNCE = -3


@contextmanager
def grandmaster(host: Host, name: str = "ptpbridge", extra: str = "", **ptp: Any) -> Iterator[PtpbridgeGm]:
    """Our daemon with `[ptp]` (lab-fast intervals updated by ``ptp``) in ``host``; stopped by pid."""
    gm = PtpbridgeGm(host, ptp_config(extra, **ptp), name=name)
    gm.start()
    try:
        yield gm
    finally:
        gm.stop()


def wait_until(what: str, probe: Callable[[], T | None], timeout: float = 20.0) -> T:
    """Poll ``probe`` until it returns non-None (a busy machine gets generous timeouts)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout} s")
        time.sleep(0.05)
