# SPDX-License-Identifier: GPL-2.0-or-later
"""A software PHC for labs and tests: known offset, frequency error, wander and noise.

Its time is a piecewise-linear function of a base time source (CLOCK_REALTIME
unless one is injected).  Every frequency change, step or wander update starts
a new segment at the base instant it happened, and all arithmetic is exact
(Fractions), so an adjustment of X ppb held for T ns moves the clock by exactly
X*T/1e9 ns and steps compose without rounding.  Recent segments are kept so a
past packet timestamp maps into the clock exactly as the clock was then.
"""

from __future__ import annotations

import bisect
import errno
import math
import random
import threading
from collections.abc import Callable
from fractions import Fraction

from phc.clock import NS_PER_S, OffsetMeasurement
from phc.errors import PhcOutOfRangeError, require_frequency_in_range
from phc.libc import clock_gettime_ns
from phc.timex_uapi import CLOCK_REALTIME

_PPB = Fraction(1, 1_000_000_000)
# Segments kept for mapping past timestamps (an hour of 1 s wander updates).
_HISTORY = 4096
# Wander steps are rounded to 1e-9 ppb so the exact arithmetic stays small.
_WANDER_QUANTUM = 10**9


def _exact(value: float, target: str, operation: str) -> Fraction:
    """The decimal a caller wrote (0.1 ppb is 1/10, not the nearest binary float)."""
    if isinstance(value, int):
        return Fraction(value)
    if not math.isfinite(value):
        raise PhcOutOfRangeError(target, operation, f"{value} is not a finite number", errno.EINVAL)
    return Fraction(repr(float(value)))


def _realtime_ns() -> int:
    return clock_gettime_ns(CLOCK_REALTIME, "CLOCK_REALTIME")


class SimulatedClock:
    """A deterministic software clock answering the same calls as PhcClock.

    ``offset_ns`` and ``frequency_error_ppb`` are the clock's error against
    the base; ``wander_ppb_per_sqrt_s`` adds a random walk to the frequency,
    updated every ``wander_interval_ns`` of base time; ``read_noise_ns`` is the
    standard deviation of the noise on now_ns() and offset_to_system().
    Randomness comes from ``seed`` only, so equal seeds and equal base times
    give equal clocks.  The time source should not run backwards: changes made
    while it does take effect at the latest base instant seen.
    """

    def __init__(
        self,
        offset_ns: int = 0,
        frequency_error_ppb: float = 0.0,
        wander_ppb_per_sqrt_s: float = 0.0,
        read_noise_ns: float = 0,
        seed: int = 0,
        time_source: Callable[[], int] | None = None,
        name: str = "sim",
        max_adj_ppb: float = 500_000.0,
        wander_interval_ns: int = NS_PER_S,
    ) -> None:
        if wander_interval_ns <= 0:
            raise PhcOutOfRangeError(name, "create", "wander interval must be positive", errno.EINVAL)
        if read_noise_ns < 0 or wander_ppb_per_sqrt_s < 0 or max_adj_ppb < 0:
            raise PhcOutOfRangeError(name, "create", "noise, wander and max_adj must be >= 0",
                                     errno.EINVAL)
        self._name = name
        self._source = time_source or _realtime_ns
        self._max_adj = float(max_adj_ppb)
        self._error = _exact(frequency_error_ppb, name, "create")
        self._adjust = Fraction(0)
        self._adjust_requested = 0.0
        self._wander = Fraction(0)
        self._wander_sigma = float(wander_ppb_per_sqrt_s) * math.sqrt(wander_interval_ns / NS_PER_S)
        self._wander_interval = int(wander_interval_ns)
        self._read_noise = float(read_noise_ns)
        self._wander_rng = random.Random(f"{seed}:wander")
        self._noise_rng = random.Random(f"{seed}:noise")
        self._lock = threading.Lock()
        base = int(self._source())
        # Segment i: from base time _starts[i] the clock reads _values[i] and
        # runs at (1 + _ppb[i] * 1e-9) clock ns per base ns.
        self._starts: list[int] = [base]
        self._values: list[Fraction] = [Fraction(base + int(offset_ns))]
        self._ppb: list[Fraction] = [self._total_ppb()]
        self._next_wander: int | None = base + self._wander_interval if self._wander_sigma else None

    # -- exact model ------------------------------------------------------

    def _total_ppb(self) -> Fraction:
        return self._error + self._wander + self._adjust

    def _segment_value(self, i: int, base: int) -> Fraction:
        return self._values[i] + (base - self._starts[i]) * (1 + self._ppb[i] * _PPB)

    def _append(self, base: int, value: Fraction) -> None:
        self._starts.append(base)
        self._values.append(value)
        self._ppb.append(self._total_ppb())
        if len(self._starts) > 2 * _HISTORY:
            del self._starts[:_HISTORY], self._values[:_HISTORY], self._ppb[:_HISTORY]

    def _advance(self, base: int) -> None:
        """Apply the wander updates due up to ``base`` (the same grid whatever the queries)."""
        while self._next_wander is not None and self._next_wander <= base:
            at = self._next_wander
            value = self._segment_value(len(self._starts) - 1, at)
            step = self._wander_rng.gauss(0.0, self._wander_sigma)
            self._wander += Fraction(round(step * _WANDER_QUANTUM), _WANDER_QUANTUM)
            self._append(at, value)
            self._next_wander = at + self._wander_interval

    def _value_at(self, base: int) -> Fraction:
        self._advance(base)
        i = max(0, bisect.bisect_right(self._starts, base) - 1)
        return self._segment_value(i, base)

    def _change(self, new_value: Callable[[Fraction], Fraction]) -> None:
        """Start a segment now; ``new_value`` maps the clock's value there (step/set)."""
        base = max(int(self._source()), self._starts[-1])
        current = self._value_at(base)
        self._append(base, new_value(current))

    def _noise(self) -> int:
        return round(self._noise_rng.gauss(0.0, self._read_noise)) if self._read_noise else 0

    # -- Clock protocol ---------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def kind(self) -> str:
        return "sim"

    def now_ns(self) -> int:
        with self._lock:
            return math.floor(self._value_at(int(self._source()))) + self._noise()

    def set_time_ns(self, ns: int) -> None:
        with self._lock:
            self._change(lambda _: Fraction(int(ns)))

    def step(self, delta_ns: int) -> None:
        with self._lock:
            self._change(lambda value: value + int(delta_ns))

    def adjust_frequency(self, ppb: float) -> None:
        require_frequency_in_range(self._name, ppb, self._max_adj)
        exact = _exact(ppb, self._name, "adjust_frequency")
        with self._lock:
            self._adjust = exact
            self._adjust_requested = float(ppb)
            self._change(lambda value: value)

    def frequency_ppb(self) -> float:
        """The frequency adjustment in force (like a PHC's), not the true frequency."""
        return self._adjust_requested

    def max_frequency_ppb(self) -> float:
        return self._max_adj

    def offset_to_system(self, samples: int = 5) -> OffsetMeasurement:
        """Clock minus base time; each sample carries read noise, their mean is returned."""
        if samples < 1:
            raise PhcOutOfRangeError(self._name, "offset_to_system", "samples must be >= 1",
                                     errno.EINVAL)
        with self._lock:
            base = int(self._source())
            truth = math.floor(self._value_at(base)) - base
            noise = round(sum(self._noise() for _ in range(samples)) / samples)
        return OffsetMeasurement(offset_ns=truth + noise, delay_ns=0, method="simulated",
                                 samples=samples)

    def from_system_ns(self, realtime_ns: int) -> int:
        """The clock's reading at base instant ``realtime_ns``, noise-free (as a NIC stamps)."""
        with self._lock:
            return math.floor(self._value_at(int(realtime_ns)))

    def close(self) -> None:
        """Nothing to release; present for the Clock protocol."""

    # -- truth for labs ---------------------------------------------------

    def true_offset_ns(self) -> int:
        """Clock minus base time now, without read noise."""
        with self._lock:
            base = int(self._source())
            return math.floor(self._value_at(base)) - base

    def true_frequency_ppb(self) -> float:
        """Frequency against the base now: error + wander + adjustment."""
        with self._lock:
            self._advance(int(self._source()))
            return float(self._total_ppb())

    def __enter__(self) -> SimulatedClock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SimulatedClock(name={self._name!r})"
