# SPDX-License-Identifier: GPL-2.0-or-later
"""Discrete-event scheduler in integer ns: a heap of (time, insertion order, callback)."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable


class Scheduler:
    """Runs callbacks in time order; ties run in the order they were scheduled."""

    def __init__(self, start_ns: int = 0) -> None:
        self.now = start_ns
        self._queue: list[tuple[int, int, Callable[[], None]]] = []
        self._order = itertools.count()

    def at(self, time_ns: int, callback: Callable[[], None]) -> None:
        if time_ns < self.now:
            raise ValueError(f"cannot schedule at {time_ns} ns: the time is already {self.now} ns")
        heapq.heappush(self._queue, (time_ns, next(self._order), callback))

    def after(self, delay_ns: int, callback: Callable[[], None]) -> None:
        self.at(self.now + delay_ns, callback)

    def run_until(self, end_ns: int) -> None:
        """Run everything due up to and including ``end_ns``; the time is then ``end_ns``."""
        queue = self._queue
        while queue and queue[0][0] <= end_ns:
            time_ns, _, callback = heapq.heappop(queue)
            self.now = time_ns
            callback()
        self.now = max(self.now, end_ns)

    def run_for(self, duration_ns: int) -> None:
        self.run_until(self.now + duration_ns)

    def __len__(self) -> int:
        return len(self._queue)
