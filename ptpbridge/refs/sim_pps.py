# SPDX-License-Identifier: GPL-2.0-or-later
"""A stand-in PPS input: EXTTS events at the true second boundaries, stamped by a SimulatedClock.

The edge of second S reaches the "PHC" ``delay_ns`` after S (a cable), and
the event carries the simulated clock's exact reading at that base instant
(``from_system_ns``), plus seeded gaussian noise; its error against the
truth is therefore known exactly.  Noise and dropouts are drawn from a
generator seeded by (seed, second), so a second's fate does not depend on
how often or in what order anyone polls.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection

from phc.phc_clock import ExttsEdge, ExttsEvent
from phc.sim_clock import SimulatedClock
from ptpbridge.timebase import NS_PER_S


def _realtime_ns() -> int:
    return time.clock_gettime_ns(time.CLOCK_REALTIME)


class SimulatedPps:
    """Pulses per second as a PHC's external-timestamp channel would report them."""

    def __init__(self, clock: SimulatedClock, *, index: int = 0, noise_ns: float = 0.0,
                 delay_ns: int = 0, dropout_rate: float = 0.0, drop_seconds: Collection[int] = (),
                 seed: int = 0, time_source: Callable[[], int] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if noise_ns < 0 or not 0.0 <= dropout_rate <= 1.0 or not 0 <= delay_ns < NS_PER_S:
            raise ValueError("noise >= 0, dropout rate in [0, 1], delay in [0, 1 s) please")
        self.clock = clock
        self.index = index
        self.noise_ns = float(noise_ns)
        self.delay_ns = int(delay_ns)
        self.dropout_rate = float(dropout_rate)
        self.drop_seconds = frozenset(drop_seconds)
        self._seed = seed
        self._source = time_source or _realtime_ns
        self._sleep = sleep
        start = self._source() - self.delay_ns
        self._next_s = -(-start // NS_PER_S)  # the first boundary not yet passed
        self.dropped = 0

    def event_for(self, utc_s: int) -> ExttsEvent | None:
        """The event for the pulse of POSIX second ``utc_s``; None if that pulse drops out."""
        rng = random.Random(f"{self._seed}:pps:{utc_s}")
        if utc_s in self.drop_seconds or rng.random() < self.dropout_rate:
            return None
        noise = round(rng.gauss(0.0, self.noise_ns)) if self.noise_ns else 0
        stamp = self.clock.from_system_ns(utc_s * NS_PER_S + self.delay_ns) + noise
        return ExttsEvent(index=self.index, time_ns=stamp, flags=int(ExttsEdge.RISING_EDGE))

    def true_edge_ns(self, utc_s: int) -> int:
        """The base (CLOCK_REALTIME) instant the edge of ``utc_s`` reaches the clock."""
        return utc_s * NS_PER_S + self.delay_ns

    def next_edge_ns(self) -> int:
        """The base instant the next edge not yet reported reaches the clock (when to poll again)."""
        return self._next_s * NS_PER_S + self.delay_ns

    def poll(self, now_ns: int | None = None) -> list[ExttsEvent]:
        """Events of every edge up to ``now_ns`` (default: the time source) not reported yet."""
        now = self._source() if now_ns is None else now_ns
        events: list[ExttsEvent] = []
        while self._next_s * NS_PER_S + self.delay_ns <= now:
            event = self.event_for(self._next_s)
            if event is None:
                self.dropped += 1
            else:
                events.append(event)
            self._next_s += 1
        return events

    def read_extts(self, timeout: float | None = None) -> list[ExttsEvent]:
        """PhcClock.read_extts's contract: waits up to ``timeout`` s (None: block) for events."""
        deadline = None if timeout is None else self._source() + int(timeout * NS_PER_S)
        while True:
            events = self.poll()
            now = self._source()
            if events or (deadline is not None and now >= deadline):
                return events
            due = self._next_s * NS_PER_S + self.delay_ns
            if deadline is not None:
                due = min(due, deadline)
            self._sleep(max(0, due - now) / NS_PER_S)
