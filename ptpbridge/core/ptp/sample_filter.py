# SPDX-License-Identifier: GPL-2.0-or-later
"""Sample filtering on a slave port: a windowed path delay and a robust outlier gate.

Software timestamps on a busy host have a heavy tail: a softirq that runs
late adds tens of microseconds to one packet and nothing to the next. Two
small filters keep that tail out of the servo:

* ``DelayFilter``: the mean path delay used for offsets is the median (or
  minimum) of the last N measured delays, as ptp4l's ``delay_filter
  moving_median`` does; one late Delay_Req moves nothing.
* ``OutlierGate``: a sample further from the median of the recently
  accepted ones than ``threshold`` x the scaled median absolute deviation
  (MAD x 1.4826, the standard deviation of a normal spread) is rejected and
  counted. The rule is robust: the outliers it rejects do not widen it. It
  cannot lock itself out: after ``max_consecutive`` rejections in a row the
  level has really moved (a new path, a servo transient) and the window
  restarts from the new value. A floor keeps a near-zero MAD from rejecting
  ordinary noise.

Both work on integer nanoseconds and hold a few dozen values; pure, no clock.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

from ptpbridge.core.stats import MAD_TO_SIGMA


class DelayFilterMode(enum.Enum):
    MEDIAN = "median"
    MINIMUM = "minimum"
    NONE = "none"


def median(values: list[int]) -> int:
    """The median of a non-empty list (the lower middle for an even count: stays an integer)."""
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


@dataclass(frozen=True, slots=True)
class GateSettings:
    """The outlier rule. ``threshold`` 0 turns the gate off."""

    threshold: float = 5.0  # in scaled MADs
    window: int = 16
    min_samples: int = 12  # accept everything until the window holds this many
    floor_ns: int = 1_000  # never reject closer than this to the median
    max_consecutive: int = 4  # then accept and restart the window

    def __post_init__(self) -> None:
        if self.threshold < 0:
            raise ValueError("outlier threshold must be >= 0 (0: off)")
        if not 2 <= self.min_samples <= self.window:
            raise ValueError("outlier gate needs 2 <= min_samples <= window")
        if self.floor_ns < 0 or self.max_consecutive < 1:
            raise ValueError("outlier gate floor_ns >= 0 and max_consecutive >= 1")


class OutlierGate:
    """Accepts or rejects one sample at a time against the recent accepted ones."""

    def __init__(self, settings: GateSettings) -> None:
        self.settings = settings
        self._window: deque[int] = deque(maxlen=settings.window)
        self._consecutive = 0
        self.accepted = 0
        self.rejected = 0
        self.restarts = 0

    def reset(self) -> None:
        """Forget the window (new parent, clock step); the counters stay."""
        self._window.clear()
        self._consecutive = 0

    def limit_ns(self) -> int | None:
        """How far from the median a sample may be now (None: the gate accepts anything)."""
        s = self.settings
        if s.threshold == 0 or len(self._window) < s.min_samples:
            return None
        values = list(self._window)
        mid = median(values)
        mad = median([abs(v - mid) for v in values])
        return max(s.floor_ns, round(s.threshold * MAD_TO_SIGMA * mad))

    def admit(self, value: int) -> bool:
        """True if ``value`` is accepted (and joins the window), False if rejected as an outlier."""
        limit = self.limit_ns()
        if limit is not None and abs(value - median(list(self._window))) > limit:
            self._consecutive += 1
            if self._consecutive <= self.settings.max_consecutive:
                self.rejected += 1
                return False
            # The level moved: start over from here.
            self.restarts += 1
            self._window.clear()
        self._consecutive = 0
        self._window.append(value)
        self.accepted += 1
        return True


class DelayFilter:
    """Windowed median/minimum of measured path delays, behind an outlier gate."""

    def __init__(self, mode: DelayFilterMode, length: int, gate: GateSettings) -> None:
        if length < 1:
            raise ValueError("delay filter length must be >= 1")
        self.mode = mode
        self._window: deque[int] = deque(maxlen=1 if mode is DelayFilterMode.NONE else length)
        self.gate = OutlierGate(gate)
        self.last_raw_ns: int | None = None

    def reset(self) -> None:
        self._window.clear()
        self.gate.reset()
        self.last_raw_ns = None

    @property
    def rejected(self) -> int:
        return self.gate.rejected

    def add(self, raw_ns: int) -> int | None:
        """Take one measured delay; the filtered delay, or None if the raw one was rejected."""
        self.last_raw_ns = raw_ns
        restarts = self.gate.restarts
        if not self.gate.admit(raw_ns):
            return None
        if self.gate.restarts != restarts:
            self._window.clear()  # the path changed: the old delays no longer apply
        self._window.append(raw_ns)
        return self.value()

    def value(self) -> int | None:
        if not self._window:
            return None
        if self.mode is DelayFilterMode.MINIMUM:
            return min(self._window)
        return median(list(self._window))


class MedianWindow:
    """The median of the last few values (status: how long each direction looks, offset included)."""

    def __init__(self, length: int = 64) -> None:
        self._values: deque[int] = deque(maxlen=length)

    def add(self, value: int) -> None:
        self._values.append(value)

    def clear(self) -> None:
        self._values.clear()

    def median(self) -> int | None:
        return median(list(self._values)) if self._values else None
