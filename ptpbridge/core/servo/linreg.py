# SPDX-License-Identifier: GPL-2.0-or-later
"""A servo that fits a line to the clock's free-running phase over an adaptive window.

Why: a PI loop forgets a noisy measurement within a few samples, so its
time error follows the measurement noise.  A least-squares line through the
last n offsets estimates the offset and the frequency error with the noise
averaged over all n, and a window that grows while the clock is steady (and
shrinks when it is not) gets that benefit without lagging behind real change.
The idea is linuxptp's linreg servo (Miroslav Lichvar); this version differs
in the bookkeeping:

* Each sample becomes a point (x, p): x is the reference time of the sample
  (local time minus offset, so our own steps do not move it), p the measured
  offset minus the phase our own corrections added since the window began
  (each frequency adjustment times the reference time it was in force, plus
  steps).  So p is the phase the clock would have had free-running, the fit
  never sees the loop's own actions, and under the Clock protocol's additive
  model the slope is the clock's frequency error exactly.
* Windows of 4, 8, ... max_points points keep exact integer sums, updated in
  O(1) per sample; the fit is exact rational arithmetic rounded once.
* Every window's previous fit predicts each new point; a moving average of
  the prediction error picks the window: the largest whose error is within
  5% of the best (linuxptp's rule), so white noise leads to long windows and
  wander or a frequency change to short ones.

The output cancels the fitted frequency error and removes the fitted offset
over one sync interval (windows up to 16 points) or log2(n)/2 intervals
(larger ones, whose estimates are smoother), as linuxptp does.

Limit: a line assumes a constant frequency.  With little measurement noise
and strong random-walk wander (several ppb per sqrt(s)) the window choice
errs long and a slow PI (linuxptp's software gains) does as well or better.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from ptpbridge.core.servo.api import ServoConfig, ServoOutput, ServoState
from ptpbridge.core.servo.base import ServoBase
from ptpbridge.core.servo.limits import checked_weight, clamp_ppb
from ptpbridge.timebase import NS_PER_S
_MIN_POINTS = 4
# Prediction error: plain mean over the first updates, then an exponential
# average; windows within this ratio of the best error count as equal.
_ERR_INITIAL_UPDATES = 10
_ERR_SMOOTH = 0.02
_ERR_EQUAL = 1.05


@dataclass(frozen=True, slots=True)
class RegressionEstimate:
    """What the last fit said: the clock's offset now (ns, after any step we asked
    for), its free-running frequency error (ppb), and the window it came from."""

    offset_ns: float
    frequency_error_ppb: float
    points: int


class _Window:
    """Exact sums over the newest ``size`` points and the line they fit."""

    __slots__ = ("size", "log2", "sx", "sp", "sxx", "sxp", "slope", "x_mean", "p_mean",
                 "err", "err_updates")

    def __init__(self, log2: int) -> None:
        self.log2 = log2
        self.size = 1 << log2
        self.clear()

    def clear(self) -> None:
        self.sx = self.sp = self.sxx = self.sxp = 0
        self.slope: float | None = None  # fitted dp/dx; None until the window is full
        self.x_mean = 0.0
        self.p_mean = 0.0
        self.err = 0.0
        self.err_updates = 0

    def add(self, x: int, p: int, sign: int) -> None:
        self.sx += sign * x
        self.sp += sign * p
        self.sxx += sign * x * x
        self.sxp += sign * x * p

    def fit(self) -> None:
        n = self.size
        spread = n * self.sxx - self.sx * self.sx
        if spread <= 0:  # every x equal: no line (cannot happen with rising local times)
            self.slope = None
            return
        # Python divides big integers with one correct rounding.
        self.slope = (n * self.sxp - self.sx * self.sp) / spread
        self.x_mean = self.sx / n
        self.p_mean = self.sp / n

    def predict(self, x: int) -> float:
        assert self.slope is not None
        return self.p_mean + self.slope * (x - self.x_mean)

    def track_error(self, error: float) -> None:
        if self.err_updates < _ERR_INITIAL_UPDATES:
            self.err = (self.err * self.err_updates + error) / (self.err_updates + 1)
            self.err_updates += 1
        else:
            self.err += _ERR_SMOOTH * (error - self.err)


def _best(windows: list[_Window]) -> _Window | None:
    """The largest window whose prediction error is within 5% of the best so far."""
    best: _Window | None = None
    for w in windows:
        if w.slope is None:
            continue
        if best is None or (w.err_updates >= _ERR_INITIAL_UPDATES and w.err < best.err * _ERR_EQUAL):
            best = w
    return best


class LinRegServo(ServoBase):
    """Adaptive-window linear regression servo (see the module notes)."""

    def __init__(
        self,
        max_frequency_ppb: float,
        *,
        config: ServoConfig | None = None,
        sync_interval_s: float = 1.0,
        initial_frequency_ppb: float = 0.0,
        max_points: int = 1024,
    ) -> None:
        if max_points < _MIN_POINTS or max_points & (max_points - 1):
            raise ValueError(f"linreg max_points must be a power of two >= {_MIN_POINTS}, "
                             f"got {max_points}")
        super().__init__(max_frequency_ppb, config, sync_interval_s, initial_frequency_ppb)
        top = max_points.bit_length() - 1
        self._windows = [_Window(k) for k in range(_MIN_POINTS.bit_length() - 1, top + 1)]
        self._points: deque[tuple[int, int]] = deque(maxlen=max_points + 1)
        self._origin: int | None = None  # reference time of the window's first point
        self._last_x = 0  # x of the previous point
        self._correction = 0.0  # phase (ns) our adjustments and steps added since the origin
        self._estimate: RegressionEstimate | None = None

    # -- configuration ----------------------------------------------------

    @property
    def estimate(self) -> RegressionEstimate | None:
        """The last fit (None while collecting points)."""
        return self._estimate

    @property
    def window_points(self) -> int:
        """Points in the window the last estimate used (0 while collecting)."""
        return self._estimate.points if self._estimate is not None else 0

    # -- samples ----------------------------------------------------------

    def sample(self, offset_ns: int, local_ts_ns: int, weight: float = 1.0) -> ServoOutput:
        """One offset; ``weight`` is checked but not used (the fit weighs points equally)."""
        offset_ns, local_ts_ns = int(offset_ns), int(local_ts_ns)
        checked_weight(weight)
        self._tracker.note_sample(offset_ns)
        if self._tracker.locked and self._tracker.beyond_step_threshold(offset_ns):
            self._forget()  # the next sample opens a fresh window
            state = self._tracker.update(ServoState.UNLOCKED, offset_ns)
            return ServoOutput(frequency_ppb=self._frequency, step_ns=None, state=state)
        x = self._account(local_ts_ns - offset_ns)
        p = offset_ns - round(self._correction)
        self._add_point(x, p)
        best = _best(self._windows)
        step: int | None = None
        if best is None:
            raw = ServoState.UNLOCKED
        else:
            assert best.slope is not None
            offset_estimate = best.predict(x) + self._correction
            raw = ServoState.LOCKED
            if self._tracker.wants_step(offset_estimate):
                step = -round(offset_estimate)
                self._correction += step
                offset_estimate += step
                raw = ServoState.JUMP
            frequency_error = best.slope * NS_PER_S
            self._estimate = RegressionEstimate(offset_estimate, frequency_error, best.size)
            spread = 1 if best.size <= 16 else best.log2 / 2
            wanted = -frequency_error - offset_estimate / (self._interval * spread)
            self._frequency = clamp_ppb(wanted, self._max)
        state = self._tracker.update(raw, offset_ns)
        return ServoOutput(frequency_ppb=self._frequency, step_ns=step, state=state)

    def _account(self, reference_ns: int) -> int:
        """This sample's x; adds the phase our last output produced since the previous one."""
        if self._origin is not None:
            x = reference_ns - self._origin
            elapsed = x - self._last_x
            if elapsed > 0:
                self._correction += self._frequency * elapsed / NS_PER_S
                self._last_x = x
                return x
            self._forget()  # out of order or repeated: this sample opens a fresh window
        self._origin = reference_ns
        self._last_x = 0
        self._correction = 0.0
        return 0

    def _add_point(self, x: int, p: int) -> None:
        for w in self._windows:
            if w.slope is not None:
                w.track_error(abs(w.predict(x) - p))
        self._points.append((x, p))
        count = len(self._points)
        for w in self._windows:
            w.add(x, p, 1)
            if count > w.size:
                old_x, old_p = self._points[-w.size - 1]
                w.add(old_x, old_p, -1)
            if count >= w.size:
                w.fit()

    def _forget(self) -> None:
        self._points.clear()
        self._estimate = None
        for w in self._windows:
            w.clear()
        self._origin = None

    def reset(self, *, first_step: bool = False) -> None:
        """Forget every point, keeping the frequency (the clock's error has not changed)."""
        self._forget()
        self._tracker.reset(first_step=first_step)
