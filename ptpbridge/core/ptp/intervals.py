# SPDX-License-Identifier: GPL-2.0-or-later
"""Message intervals: PTP states them as log2 seconds; the core counts integer ns."""

from __future__ import annotations

from typing import Final

from ptpbridge.timebase import NS_PER_S

# The range we accept for any logXxxInterval (1588-2019 allows -128..127 on
# the wire; profiles use -7..+4 or so). 2^-9 s is the shortest exact in ns.
LOG_INTERVAL_MIN: Final = -9
LOG_INTERVAL_MAX: Final = 16
# The shortest Sync interval the two-step master path is tested at (128 Sync/s).
LOG_SYNC_INTERVAL_MIN: Final = -7


def log_interval_ns(log_interval: int) -> int:
    """2^log_interval seconds in integer ns (exact from 2^-9 s upwards)."""
    if not LOG_INTERVAL_MIN <= log_interval <= LOG_INTERVAL_MAX:
        raise ValueError(f"log interval {log_interval} outside {LOG_INTERVAL_MIN}..{LOG_INTERVAL_MAX}")
    if log_interval >= 0:
        return NS_PER_S << log_interval
    return NS_PER_S >> -log_interval


def valid_log_interval(log_interval: int) -> bool:
    return LOG_INTERVAL_MIN <= log_interval <= LOG_INTERVAL_MAX
