# SPDX-License-Identifier: GPL-2.0-or-later
"""The per-source clock filter (RFC 5905 section 10): the lowest-delay sample of the last eight.

Samples go into a shift register, newest first; the register starts full of
dummy stages (dispersion MAXDISP) and the poll process pushes another dummy
when three polls in a row went unanswered, so stale samples age out. A
stage's dispersion grows at PHI from its arrival; the estimate is taken from
the valid stage with the lowest delay, the filter dispersion is the sum of
the stage dispersions (sorted like that) weighted 1/2, 1/4, ..., and the
jitter is the RMS of the other valid offsets around the chosen one, never
below our own precision.

`fresh` says whether the chosen sample is newer than the last one reported
fresh: the RFC uses each sample only once to steer the clock, so the daemon
feeds the servo only fresh estimates. Offset, delay, dispersion and jitter
are updated either way (as ntpd does), so a stale best sample does not hold
the dispersion at its one-sample value.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from ptpbridge.core.ntp_client.tuning import ClientTuning, growth_ns, log2_ns


@dataclass(frozen=True, slots=True)
class FilterStage:
    """One register stage: a measurement, or a dummy (valid=False) standing for a missed one."""

    offset_ns: int
    delay_ns: int
    dispersion_ns: int  # at arrival
    mono_ns: int  # arrival, monotonic
    valid: bool = True


@dataclass(frozen=True, slots=True)
class FilterOutput:
    """The source's estimate after the latest filter update (the RFC's peer variables)."""

    offset_ns: int
    delay_ns: int
    dispersion_ns: int  # at update_mono_ns; grows at PHI afterwards
    jitter_ns: int
    sample_mono_ns: int  # arrival of the chosen sample
    update_mono_ns: int
    fresh: bool
    valid_stages: int


class ClockFilter:
    """Shift register of the last `tuning.filter_stages` samples of one source."""

    def __init__(self, tuning: ClientTuning) -> None:
        self.tuning = tuning
        self.stages: deque[FilterStage] = deque(maxlen=tuning.filter_stages)
        self.output: FilterOutput | None = None
        self._last_used_mono: int | None = None
        self.reset()

    def reset(self) -> None:
        """Back to the initial condition: every stage a dummy, no estimate."""
        t = self.tuning
        self.stages.clear()
        for _ in range(t.filter_stages):
            self.stages.append(FilterStage(0, t.max_dispersion_ns, t.max_dispersion_ns, 0, valid=False))
        self.output = None
        self._last_used_mono = None

    def add(self, stage: FilterStage, now_mono_ns: int) -> FilterOutput | None:
        """Shift in a sample (or a dummy) and recompute; None until a first valid sample."""
        self.stages.appendleft(stage)
        return self._update(now_mono_ns)

    def add_dummy(self, now_mono_ns: int) -> FilterOutput | None:
        """Shift in a dummy stage: a sample that never came."""
        t = self.tuning
        return self.add(FilterStage(0, t.max_dispersion_ns, t.max_dispersion_ns, now_mono_ns, False), now_mono_ns)

    def stage_dispersion(self, stage: FilterStage, now_mono_ns: int) -> int:
        """A stage's dispersion now: its own plus PHI growth since arrival, capped at MAXDISP."""
        cap = self.tuning.max_dispersion_ns
        if not stage.valid:
            return cap
        return min(cap, stage.dispersion_ns + growth_ns(now_mono_ns - stage.mono_ns, self.tuning.phi_ppb))

    def _update(self, now: int) -> FilterOutput | None:
        t = self.tuning
        cap = t.max_dispersion_ns
        disp = [self.stage_dispersion(s, now) for s in self.stages]
        usable = [s.valid and d < cap for s, d in zip(self.stages, disp)]
        # Lowest delay first; unusable stages last; among equal delays the newer one.
        order = sorted(range(len(self.stages)), key=lambda i: (not usable[i], self.stages[i].delay_ns, i))
        n_stages = len(order)
        # sum(d_k / 2**(k+1)) over the sorted stages, rounded up.
        weighted = sum(disp[i] << (n_stages - 1 - k) for k, i in enumerate(order))
        dispersion = -(-weighted >> n_stages)
        n_valid = sum(usable)
        if n_valid == 0:
            # Nothing usable left: keep the last estimate with the grown dispersion,
            # which makes the source unfit by distance (RFC: "leaving only the dispersion").
            o = self.output
            if o is not None:
                self.output = FilterOutput(o.offset_ns, o.delay_ns, dispersion, o.jitter_ns,
                                           o.sample_mono_ns, now, False, 0)
            return self.output
        best = self.stages[order[0]]
        if n_valid > 1:
            squares = sum((self.stages[i].offset_ns - best.offset_ns) ** 2 for i in order[1:n_valid])
            jitter = math.isqrt(squares // (n_valid - 1))
        else:
            jitter = 0
        jitter = max(jitter, log2_ns(t.local_precision))
        fresh = self._last_used_mono is None or best.mono_ns > self._last_used_mono
        if fresh:
            self._last_used_mono = best.mono_ns
        self.output = FilterOutput(best.offset_ns, best.delay_ns, dispersion, jitter,
                                   best.mono_ns, now, fresh, n_valid)
        return self.output

    def dispersion_at(self, now_mono_ns: int) -> int | None:
        """The filter dispersion grown at PHI since the last update (None without an estimate)."""
        o = self.output
        if o is None:
            return None
        grown = o.dispersion_ns + growth_ns(now_mono_ns - o.update_mono_ns, self.tuning.phi_ppb)
        return min(grown, self.tuning.max_dispersion_ns)
