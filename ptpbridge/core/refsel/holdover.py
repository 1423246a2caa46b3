# SPDX-License-Identifier: GPL-2.0-or-later
"""The clock's state from "is a reference steering it, locked": locked, holdover, degraded, ...

LOCKED while a selected reference steers and the servo is locked. When that
ends the clock holds over (HOLDOVER) for the budget, then is DEGRADED; with
a `local` reference configured it is LOCAL instead (announced at the local
stratum and class, as chrony's `local` directive does). A clock that never
locked is FREERUN (or LOCAL). A relock returns to LOCKED at once.
"""

from __future__ import annotations

import enum


class ClockState(enum.Enum):
    LOCKED = "locked"
    HOLDOVER = "holdover"
    DEGRADED = "degraded"
    LOCAL = "local"
    FREERUN = "free-run"


class HoldoverTracker:
    """Holdover timing; time is monotonic ns given by the caller."""

    def __init__(self, budget_ns: int, has_local: bool) -> None:
        if budget_ns < 0:
            raise ValueError("holdover budget cannot be negative")
        self.budget_ns = budget_ns
        self.has_local = has_local
        self.lost_at_ns: int | None = None
        self.ever_locked = False
        self.state = ClockState.LOCAL if has_local else ClockState.FREERUN

    def holdover_ns(self, now_ns: int) -> int | None:
        """Time since the last lock ended (None while locked or before the first lock)."""
        return None if self.lost_at_ns is None else now_ns - self.lost_at_ns

    def update(self, now_ns: int, locked: bool) -> ClockState:
        if locked:
            self.ever_locked = True
            self.lost_at_ns = None
            self.state = ClockState.LOCKED
        elif not self.ever_locked:
            self.state = ClockState.LOCAL if self.has_local else ClockState.FREERUN
        else:
            if self.lost_at_ns is None:
                self.lost_at_ns = now_ns
            if now_ns - self.lost_at_ns < self.budget_ns:
                self.state = ClockState.HOLDOVER
            else:
                self.state = ClockState.LOCAL if self.has_local else ClockState.DEGRADED
        return self.state
