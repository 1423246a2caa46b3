# SPDX-License-Identifier: GPL-2.0-or-later
"""The last good frequency, for holdover: an average of what the servo applied while locked.

A servo's output mixes the frequency correction with a term that removes
the remaining phase error; held forever, that term would keep moving the
clock. Averaged over many locked samples the phase terms cancel and what is
left is the clock's frequency correction, which is what holdover keeps.
"""

from __future__ import annotations

import math
from collections import deque


class FrequencyMemory:
    """Mean of the last `window` locked frequency outputs (ppb)."""

    def __init__(self, window: int = 16) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self._values: deque[float] = deque(maxlen=window)

    def note_locked(self, frequency_ppb: float) -> None:
        self._values.append(frequency_ppb)

    def forget(self) -> None:
        self._values.clear()

    @property
    def samples(self) -> int:
        return len(self._values)

    @property
    def frequency_ppb(self) -> float | None:
        """The frequency to hold; None before any locked sample."""
        return sum(self._values) / len(self._values) if self._values else None

    def spread_ppb(self) -> float | None:
        """Standard deviation of the window (a skew figure for `tracking`)."""
        n = len(self._values)
        if n < 2:
            return None
        mean = sum(self._values) / n
        return math.sqrt(sum((v - mean) ** 2 for v in self._values) / (n - 1))
