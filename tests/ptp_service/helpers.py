# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared pieces of the PTP service tests: our grandmaster in a lab host, and polling."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from nslab.host import Host
from ptpbridge.bench.ptp_lab import PtpbridgeGm, ptp_config
from tests.polling import wait_until

__all__ = ["LOG_ANNOUNCE", "LOG_SYNC", "grandmaster", "wait_until"]

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


