# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks and clamps shared by the servos, so every servo refuses the same bad input."""

from __future__ import annotations

import math

# PTP carries logSyncInterval as int8; a servo only needs a sane range.
_LOG_INTERVAL_RANGE = range(-16, 17)


def clamp_ppb(ppb: float, limit: float) -> float:
    """``ppb`` limited to +/-``limit`` (a PHC refuses anything beyond its max_adj)."""
    return max(-limit, min(limit, ppb))


def checked_interval(seconds: float) -> float:
    """A sync interval in seconds, refused unless finite and positive."""
    value = float(seconds)
    if not math.isfinite(value) or value <= 0.0:
        raise ValueError(f"servo sync interval must be a positive number of seconds, got {seconds!r}")
    return value


def log_interval_seconds(log_interval: int) -> float:
    """2^log_interval seconds, for the PTP way of stating an interval."""
    if log_interval not in _LOG_INTERVAL_RANGE:
        raise ValueError(f"servo log sync interval must be within -16..16, got {log_interval}")
    return math.ldexp(1.0, log_interval)


def checked_max_frequency(ppb: float) -> float:
    """A frequency limit, refused unless finite and positive."""
    value = float(ppb)
    if not math.isfinite(value) or value <= 0.0:
        raise ValueError(f"servo max frequency must be a positive number of ppb, got {ppb!r}")
    return value


def checked_frequency(ppb: float, limit: float) -> float:
    """A seed frequency: must be finite; clamped to the limit like any output."""
    value = float(ppb)
    if not math.isfinite(value):
        raise ValueError(f"servo frequency must be a finite number of ppb, got {ppb!r}")
    return clamp_ppb(value, limit)


def checked_weight(weight: float) -> float:
    """A sample weight: finite and not negative (linuxptp passes 1.0 unless told otherwise)."""
    value = float(weight)
    if not math.isfinite(value) or value < 0.0:
        raise ValueError(f"servo sample weight must be a finite number >= 0, got {weight!r}")
    return value
