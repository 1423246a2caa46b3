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
  the prediction error picks the window.  linuxptp takes the largest whose
  error is within 5% of the next smaller one's; with software timestamps
  (microseconds of noise) every window's error is nearly the noise itself,
  5% is within the average's own scatter, and the choice kept falling back
  to short, noisy windows.  Here each error is first divided by what white
  noise alone would give that window (a short fit extrapolates worse), and
  the largest window within 30% of the smallest such figure wins: white
  noise leads to long windows, wander or a frequency change (which makes a
  long line's error grow fast) to short ones.
* A sample whose residual against the chosen fit is a spike (gate.py) is
  left out of every window; the output then steers on the prediction.

The output cancels the fitted frequency error and removes the fitted offset
over one sync interval (windows up to 16 points) or log2(n)/2 intervals
(larger ones, whose estimates are smoother), as linuxptp does.

Limit: a line assumes a constant frequency.  With little measurement noise
and strong random-walk wander (several ppb per sqrt(s)) the window choice
errs long and a slow PI (linuxptp's software gains) does as well or better.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from ptpbridge.core.servo.api import ServoConfig, ServoOutput, ServoState
from ptpbridge.core.servo.base import ServoBase
from ptpbridge.core.servo.gate import SpikeGate
from ptpbridge.core.servo.limits import checked_weight, clamp_ppb
from ptpbridge.timebase import NS_PER_S

_MIN_POINTS = 4
# Prediction error: plain mean over the first updates, then an exponential
# average; windows whose noise-normalised error is within this ratio of the
# smallest count as equal (the largest of them is used).
_ERR_INITIAL_UPDATES = 10
_ERR_SMOOTH = 0.02
_ERR_EQUAL = 1.3
# Only windows at least this long set the smallest implied noise (see _best).
_TRUSTED_POINTS = 16
# A fresh window (start, reset, re-fit after the step threshold) holds the
# frequency until it has this many points, and its first estimate may step.
# Why not 4: under software-stamp noise (~2 us per offset at 16/s) a 4-point
# line's slope is off by ~15 ppm, i.e. 15 us/s until later fits catch up
# (seen in the lab: 99 ppm fitted for 50); 8 points cut that 3-fold for 0.25 s.
FIRST_FIT_POINTS = 8


@dataclass(frozen=True, slots=True)
class RegressionEstimate:
    """What the last fit said: the clock's offset now (ns, after any step we asked
    for), its free-running frequency error (ppb), and the window it came from."""

    offset_ns: float
    frequency_error_ppb: float
    points: int


def _noise_gain(n: int) -> float:
    """With white measurement noise of sigma and a constant frequency, an n-point fit's
    prediction of the next point misses by sigma times this (equal spacing)."""
    return math.sqrt(1.0 + 1.0 / n + 3.0 * (n + 1) / (n * (n - 1)))


class _Window:
    """Exact sums over the newest ``size`` points and the line they fit."""

    __slots__ = ("size", "log2", "noise_gain", "sx", "sp", "sxx", "sxp", "slope", "x_mean",
                 "p_mean", "err", "err_updates")

    def __init__(self, log2: int) -> None:
        self.log2 = log2
        self.size = 1 << log2
        self.noise_gain = _noise_gain(self.size)
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

    def spread(self) -> int:
        """n times the sum of (x - mean x)^2: exact, whatever the size of the x."""
        return self.size * self.sxx - self.sx * self.sx

    def fit(self) -> None:
        n = self.size
        spread = self.spread()
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

    @property
    def noise_estimate(self) -> float:
        """The measurement noise this window's prediction errors imply, were the line right."""
        return self.err

    def track_error(self, error: float) -> None:
        """Average one prediction error, divided by the noise gain of the fit that made it:
        the growing window's early predictions came from fewer points and missed by more."""
        error /= self.noise_gain
        if self.err_updates < _ERR_INITIAL_UPDATES:
            self.err = (self.err * self.err_updates + error) / (self.err_updates + 1)
            self.err_updates += 1
        else:
            self.err += _ERR_SMOOTH * (error - self.err)


class _Growing(_Window):
    """Every point since the start, up to a cap: the best line while the clock has not
    changed, used until the fixed windows are long enough (start-up, after a reset).

    Why: a power-of-two window is judged only _ERR_INITIAL_UPDATES points after
    it fills, so for the first seconds the fixed windows use half the points
    there are; under microseconds of noise that is 1.4 times the error."""

    __slots__ = ("cap",)

    def __init__(self, cap: int) -> None:
        super().__init__(_MIN_POINTS.bit_length() - 1)
        self.cap = cap
        self.size = 0

    def clear(self) -> None:
        super().clear()
        self.size = 0

    def grow(self, x: int, p: int) -> None:
        """One more point; past the cap the growing window retires until cleared."""
        if self.size >= self.cap:
            if self.slope is not None:
                self.slope = None  # retired: the fixed windows cover as much
            return
        self.add(x, p, 1)
        self.size += 1
        self.log2 = self.size.bit_length() - 1
        if self.size >= _MIN_POINTS:
            self.noise_gain = _noise_gain(self.size)
            self.fit()


def _best(windows: list[_Window]) -> _Window | None:
    """The largest judged window whose implied noise is within _ERR_EQUAL of the smallest.

    A window is judged once it has predicted _ERR_INITIAL_UPDATES points;
    until one of at least _TRUSTED_POINTS has, the largest fitted one (every
    point so far) is used: a 4-point window judged on ten predictions, one
    of them a spike the larger window's average took in full, looked best
    and moved a lab clock by 18 us.  Each window's
    prediction error is first divided by what white noise alone would give
    it (short fits extrapolate worse), so under white noise every window
    implies the same noise and the longest wins; only a real change of
    frequency, which a long line cannot follow, makes a long window imply
    more.  And each is compared with the smallest (not with the next smaller
    window), so one middle window that looks worse for a while does not drop
    a long, good window for a short, noisy one.
    """
    fitted = [w for w in windows if w.slope is not None]
    if not fitted:
        return None
    judged = [w for w in fitted if w.err_updates >= _ERR_INITIAL_UPDATES]
    # The reference figure comes from windows long enough for their errors to be
    # trusted: a 4- or 8-point fit whose error happened to look low must not
    # pull the choice down to itself (one such fit moves the clock by ppm).
    trusted = [w for w in judged if w.size >= _TRUSTED_POINTS]
    if not trusted:
        return max(fitted, key=lambda w: w.size)
    least = min(w.noise_estimate for w in trusted)
    return max((w for w in judged if w.noise_estimate <= least * _ERR_EQUAL), key=lambda w: w.size)


def _surest_slope(windows: list[_Window]) -> float | None:
    """The slope of the judged window whose frequency estimate has the smallest standard error.

    Why not the steering window: that one is chosen for predicting the next
    offset, so under microseconds of noise it is often 2-4 s long, and its
    slope is off by tenths of a ppm: microseconds within a holdover of a few
    seconds (seen across a grandmaster failover).  A slope's standard error is
    the window's noise over the spread of its times, so long windows win
    under white noise; a window a frequency change has left behind implies
    more noise and loses.
    """
    best: tuple[float, float] | None = None
    for w in windows:
        if w.slope is None or w.err_updates < _ERR_INITIAL_UPDATES:
            continue
        # A fitted window's spread is positive (fit() leaves the slope None otherwise).
        standard_error = w.noise_estimate / math.sqrt(w.spread() / w.size)
        if best is None or standard_error < best[0]:
            best = (standard_error, w.slope)
    return None if best is None else best[1]


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
        # It retires once the largest fixed window is full and judged.
        self._growing = _Growing(max_points + _ERR_INITIAL_UPDATES)
        self._fixed = [_Window(k) for k in range(_MIN_POINTS.bit_length() - 1, top + 1)]
        self._windows = [*self._fixed, self._growing]
        self._points: deque[tuple[int, int]] = deque(maxlen=max_points + 1)
        self._origin: int | None = None  # reference time of the window's first point
        self._last_x = 0  # x of the previous point
        self._correction = 0.0  # phase (ns) our adjustments and steps added since the origin
        self._estimate: RegressionEstimate | None = None
        self._gate = SpikeGate()

    # -- configuration ----------------------------------------------------

    @property
    def estimate(self) -> RegressionEstimate | None:
        """The last fit (None while collecting points)."""
        return self._estimate

    @property
    def window_points(self) -> int:
        """Points in the window the last estimate used (0 while collecting)."""
        return self._estimate.points if self._estimate is not None else 0

    def _rejected(self) -> int:
        return self._gate.rejected

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
        best = _best(self._windows)
        if best is None or self._gate.admits(p - best.predict(x)):
            self._add_point(x, p)
            best = _best(self._windows)
        step: int | None = None
        if best is None or len(self._points) < FIRST_FIT_POINTS:
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

    def hold(self, local_ts_ns: int) -> float:
        """The fitted frequency error cancelled, without the offset correction.

        The phase our output added up to now is booked first (as a sample
        would), so the fit's points stay right when samples return.
        """
        estimate = self._estimate
        if estimate is None or self._origin is None:
            return self._frequency
        self._book_until(int(local_ts_ns) - round(estimate.offset_ns) - self._origin)
        surest = _surest_slope(self._windows)
        error_ppb = estimate.frequency_error_ppb if surest is None else surest * NS_PER_S
        self._frequency = clamp_ppb(-error_ppb, self._max)
        return self._frequency

    def _account(self, reference_ns: int) -> int:
        """This sample's x; adds the phase our last output produced since the previous one."""
        if self._origin is not None:
            x = reference_ns - self._origin
            if self._book_until(x):
                return x
            self._forget()  # out of order or repeated: this sample opens a fresh window
        self._origin = reference_ns
        self._last_x = 0
        self._correction = 0.0
        return 0

    def _book_until(self, x: int) -> bool:
        """Adds the phase the output in force produced from the last point's x to ``x``;
        False (nothing booked) if ``x`` is not later."""
        elapsed = x - self._last_x
        if elapsed <= 0:
            return False
        self._correction += self._frequency * elapsed / NS_PER_S
        self._last_x = x
        return True

    def _add_point(self, x: int, p: int) -> None:
        for w in self._windows:
            if w.slope is not None:
                w.track_error(abs(w.predict(x) - p))
        self._points.append((x, p))
        self._growing.grow(x, p)
        count = len(self._points)
        for w in self._fixed:
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
        self._gate.clear()
        self._origin = None

    def reset(self, *, first_step: bool = False) -> None:
        """Forget every point, keeping the frequency (the clock's error has not changed)."""
        self._forget()
        self._tracker.reset(first_step=first_step)
