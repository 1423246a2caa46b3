# SPDX-License-Identifier: GPL-2.0-or-later
"""Rejecting spikes before they reach a fit: a residual gate with a robust, self-tuning scale.

Why: software timestamps on a busy host are mostly good to a few hundred
ns, but now and then a packet waits tens of microseconds in a queue or for
a CPU.  Those delays are one-sided and far outside the ordinary noise, and a
least-squares fit weighs each of them like ordinary points: one 50 us spike
moves a 64-point fit by about a microsecond, so a clock that could be held
well under 1 us keeps being thrown out of it.  A path-delay filter sees only
the delay; a spike on the master-to-slave leg changes the offset alone, so
the servo must judge each offset against what its fit predicted.

The rule: a residual (measured minus predicted offset) is a spike when it is
more than ``GATE_SIGMAS`` robust standard deviations from zero.  The scale is
1.4826 x the median |residual| of the last ``GATE_HISTORY`` samples (the
median of absolute deviations estimates a gaussian sigma and ignores up to
half of the samples being spikes), never below ``GATE_FLOOR_NS``, so a
nearly noise-free source (hardware stamps, a simulation) is not made to
reject its own rounding.  Every residual, rejected or not, enters the
history, so the scale follows a real change of the noise level; and after
``GATE_MAX_REJECTS`` rejections in a row the gate gives way, because a run
that long is not a spike but a real change (a master's step, a frequency
jump) that the fit must see.
"""

from __future__ import annotations

from collections import deque

from ptpbridge.core.stats import MAD_TO_SIGMA

# Residuals beyond this many robust sigmas are spikes.
GATE_SIGMAS = 4.0
# |residuals| remembered for the scale; the gate judges only once it has this many.
GATE_HISTORY = 32
GATE_MIN_HISTORY = 8
# A residual this small is never a spike, whatever the scale.
GATE_FLOOR_NS = 200.0
# Consecutive rejections after which the next residual is accepted anyway.
GATE_MAX_REJECTS = 4


class SpikeGate:
    """Decides, residual by residual, whether a sample is a spike to leave out of the fit."""

    def __init__(self) -> None:
        self._history: deque[float] = deque(maxlen=GATE_HISTORY)
        self._run = 0
        self.rejected = 0

    def scale_ns(self) -> float | None:
        """The robust sigma of recent residuals (None until enough were seen)."""
        if len(self._history) < GATE_MIN_HISTORY:
            return None
        ordered = sorted(self._history)
        middle = len(ordered) // 2
        median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        return MAD_TO_SIGMA * median

    def limit_ns(self) -> float | None:
        """The largest |residual| accepted now (None: everything is accepted)."""
        scale = self.scale_ns()
        return None if scale is None else max(GATE_SIGMAS * scale, GATE_FLOOR_NS)

    def admits(self, residual_ns: float) -> bool:
        """Whether a sample with this residual may enter the fit; counts rejections."""
        limit = self.limit_ns()
        self._history.append(abs(residual_ns))
        if limit is None or abs(residual_ns) <= limit or self._run >= GATE_MAX_REJECTS:
            self._run = 0
            return True
        self._run += 1
        self.rejected += 1
        return False

    def clear(self) -> None:
        """Forget the residuals (a new fit predicts differently); the count stays."""
        self._history.clear()
        self._run = 0
