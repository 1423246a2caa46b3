# SPDX-License-Identifier: GPL-2.0-or-later
"""The state rules every servo shares: when to step, when locked is stable, offset RMS.

An algorithm only says UNLOCKED, JUMP or LOCKED for each sample; this tracker
applies the thresholds of ServoConfig on top, so the PI and the regression
servo cannot drift apart in what their states mean.
"""

from __future__ import annotations

import math
from collections import deque

from ptpbridge.core.servo.api import ServoConfig, ServoState

_LOCKED = (ServoState.LOCKED, ServoState.LOCKED_STABLE)


class LockTracker:
    """First-step arming, LOCKED_STABLE with hysteresis, and the locked-offset window."""

    def __init__(self, config: ServoConfig) -> None:
        self._config = config
        self._first_update = True
        self._stable = False
        self._good_run = 0
        self._window: deque[int] = deque(maxlen=config.rms_samples)
        self.state = ServoState.UNLOCKED
        self.last_offset_ns: int | None = None
        self.samples = 0

    @property
    def config(self) -> ServoConfig:
        return self._config

    @property
    def first_update(self) -> bool:
        """True until the servo first jumps or locks (only then may the first step fire)."""
        return self._first_update

    @property
    def locked(self) -> bool:
        return self.state in _LOCKED

    def wants_step(self, offset_ns: float) -> bool:
        """Whether a fresh estimate of ``offset_ns`` should be stepped rather than slewed."""
        size = abs(offset_ns)
        first = self._config.first_step_threshold_ns
        later = self._config.step_threshold_ns
        return bool((self._first_update and first and size > first) or (later and size > later))

    def beyond_step_threshold(self, offset_ns: int) -> bool:
        """Whether a locked servo must give up and re-estimate (step_threshold exceeded)."""
        later = self._config.step_threshold_ns
        return bool(later and abs(offset_ns) > later)

    def note_sample(self, offset_ns: int) -> None:
        """Count a sample and remember its offset (before the algorithm runs)."""
        self.samples += 1
        self.last_offset_ns = offset_ns

    def update(self, raw: ServoState, offset_ns: int) -> ServoState:
        """The reported state for an algorithm's ``raw`` one on a sample of ``offset_ns``."""
        if raw is ServoState.LOCKED_STABLE:
            raise ValueError("an algorithm reports LOCKED; LOCKED_STABLE is the tracker's to decide")
        if raw is ServoState.LOCKED:
            self._first_update = False
            self._window.append(offset_ns)
            self.state = ServoState.LOCKED_STABLE if self._check_stable(offset_ns) else raw
            return self.state
        if raw is ServoState.JUMP:
            self._first_update = False
        self._unstable()
        self._window.clear()
        self.state = raw
        return raw

    def _check_stable(self, offset_ns: int) -> bool:
        enter = self._config.stable_threshold_ns
        if not enter:
            return False
        size = abs(offset_ns)
        if self._stable:
            if size > self._config.stable_exit_ns:
                self._unstable()
            return self._stable
        if size < enter:
            self._good_run += 1
            self._stable = self._good_run >= self._config.stable_samples
        else:
            self._good_run = 0
        return self._stable

    def _unstable(self) -> None:
        self._stable = False
        self._good_run = 0

    def rms_ns(self) -> float | None:
        """Root mean square of the locked offsets in the window, or None if it is empty."""
        if not self._window:
            return None
        return math.sqrt(sum(x * x for x in self._window) / len(self._window))

    @property
    def rms_samples(self) -> int:
        return len(self._window)

    def reset(self, *, first_step: bool = False) -> None:
        """Back to UNLOCKED with no history; ``first_step`` re-arms the first step."""
        if first_step:
            self._first_update = True
        self._unstable()
        self._window.clear()
        self.state = ServoState.UNLOCKED
        self.last_offset_ns = None
        self.samples = 0
