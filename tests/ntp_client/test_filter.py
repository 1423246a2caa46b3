# SPDX-License-Identifier: GPL-2.0-or-later
"""Clock filter (RFC 5905 section 10) on synthetic sample sequences.

Expectations come from the RFC's rules, written here independently of the
implementation: an 8-stage register newest first, dispersion growing at PHI
(15 ppm) from each sample's arrival and capped at MAXDISP (16 s), the
estimate from the lowest-delay valid stage, the filter dispersion as
sum(eps_i / 2**(i+1)) over the stages in that order (rounded up), the jitter
as the RMS offset difference to the chosen stage over the other n-1 valid
ones, at least our precision (2**-20 s = 954 ns, rounded up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from ptpbridge.core.ntp_client import DEFAULT_TUNING, ClockFilter, FilterStage

S = 1_000_000_000
MS = 1_000_000
US = 1_000
MAXDISP = 16 * S
PRECISION_NS = 954  # ceil(1e9 / 2**20)


@dataclass
class Model:
    """The RFC's clock filter, straight from the prose (Fractions, no shortcuts)."""

    register: list[tuple[int, int, int, int] | None]  # (offset, delay, disp, t); None = dummy
    last_used: int | None = None

    @classmethod
    def empty(cls) -> Model:
        return cls([None] * 8)

    def push(self, stage: tuple[int, int, int, int] | None, now: int) -> tuple[int, int, int, float, bool] | None:
        self.register = [stage] + self.register[:7]
        entries = []
        for age, s in enumerate(self.register):
            if s is None:
                entries.append((False, MAXDISP, 0, MAXDISP, age))
                continue
            off, dly, dsp, t = s
            grown = min(MAXDISP, dsp + math.ceil(Fraction(15 * (now - t), 1_000_000)))
            entries.append((grown < MAXDISP, dly, off, grown, age))
        entries.sort(key=lambda e: (not e[0], e[1], e[4]))
        dispersion = math.ceil(sum(Fraction(e[3], 2 ** (k + 1)) for k, e in enumerate(entries)))
        valid = [e for e in entries if e[0]]
        if not valid:
            return None
        best = valid[0]
        if len(valid) > 1:
            jitter = math.sqrt(sum((e[2] - best[2]) ** 2 for e in valid[1:]) / (len(valid) - 1))
        else:
            jitter = 0.0
        jitter = max(jitter, PRECISION_NS)
        t_best = self.register[best[4]][3]  # type: ignore[index]
        fresh = self.last_used is None or t_best > self.last_used
        if fresh:
            self.last_used = t_best
        return best[2], best[1], dispersion, jitter, fresh


def test_one_sample_leaves_seven_dummies_in_the_dispersion() -> None:
    f = ClockFilter(DEFAULT_TUNING)
    out = f.add(FilterStage(1 * MS, 2 * MS, 100 * US, 5 * S), 5 * S)
    assert out is not None
    assert (out.offset_ns, out.delay_ns, out.valid_stages, out.fresh) == (1 * MS, 2 * MS, 1, True)
    # 100 us / 2 + 16 s * (1/4 + 1/8 + ... + 1/256) = 50 us + 16 s * 127/256
    assert out.dispersion_ns == 50 * US + 16 * S * 127 // 256
    assert out.jitter_ns == PRECISION_NS


def test_fourth_valid_sample_brings_dispersion_just_under_one_second() -> None:
    # RFC 5905 section 10, remark (c): "after the fourth valid packet the
    # dispersion is usually a little less than 1 s" (the 4 dummies: 16 s * 15/256).
    f = ClockFilter(DEFAULT_TUNING)
    outs = [f.add(FilterStage(0, 1 * MS, 10 * US, t * S), t * S) for t in range(4)]
    assert all(o is not None for o in outs)
    third, fourth = outs[2], outs[3]
    assert third is not None and fourth is not None
    assert third.dispersion_ns > S
    assert 16 * S * 15 // 256 < fourth.dispersion_ns < S


def test_lowest_delay_sample_wins_and_is_fresh_only_once() -> None:
    f = ClockFilter(DEFAULT_TUNING)
    a = f.add(FilterStage(100, 5 * MS, 0, 1 * S), 1 * S)
    b = f.add(FilterStage(200, 1 * MS, 0, 2 * S), 2 * S)
    c = f.add(FilterStage(300, 9 * MS, 0, 3 * S), 3 * S)
    assert a is not None and b is not None and c is not None
    assert (a.offset_ns, a.fresh) == (100, True)
    assert (b.offset_ns, b.delay_ns, b.fresh) == (200, 1 * MS, True)
    # The third has a larger delay: the estimate stays with b's sample, which is not new.
    assert (c.offset_ns, c.delay_ns, c.fresh, c.sample_mono_ns) == (200, 1 * MS, False, 2 * S)
    # Jitter: RMS of (100-200, 300-200) over n-1 = 2 -> 100 ns, below the precision floor.
    assert c.jitter_ns == PRECISION_NS


def test_jitter_is_rms_around_the_chosen_sample() -> None:
    f = ClockFilter(DEFAULT_TUNING)
    f.add(FilterStage(3 * US, 2 * MS, 0, 1 * S), 1 * S)
    f.add(FilterStage(-4 * US, 3 * MS, 0, 2 * S), 2 * S)
    out = f.add(FilterStage(0, 1 * MS, 0, 3 * S), 3 * S)
    assert out is not None and out.offset_ns == 0
    # sqrt((3 us ** 2 + 4 us ** 2) / 2) = sqrt(12.5) us
    assert abs(out.jitter_ns - math.sqrt(12.5) * US) < 1


def test_ninth_sample_pushes_the_best_one_out() -> None:
    f = ClockFilter(DEFAULT_TUNING)
    f.add(FilterStage(-7, 1 * MS, 0, 0), 0)
    for i in range(1, 8):
        out = f.add(FilterStage(i, 2 * MS, 0, i * S), i * S)
        assert out is not None and out.offset_ns == -7
    out = f.add(FilterStage(8, 2 * MS, 0, 8 * S), 8 * S)
    assert out is not None
    # Among the equal-delay survivors the newest is taken.
    assert (out.offset_ns, out.valid_stages, out.fresh) == (8, 8, True)


def test_dispersion_grows_at_phi_between_updates() -> None:
    f = ClockFilter(DEFAULT_TUNING)
    for t in range(8):
        f.add(FilterStage(0, 1 * MS, 0, t * S), t * S)
    base = f.dispersion_at(7 * S)
    later = f.dispersion_at(7 * S + 1000 * S)
    assert base is not None and later is not None
    assert later - base == 15 * 1000 * US  # 15 ppm of 1000 s


def test_dummies_age_a_source_out() -> None:
    f = ClockFilter(DEFAULT_TUNING)
    f.add(FilterStage(5, 1 * MS, 0, 0), 0)
    for i in range(1, 8):
        out = f.add_dummy(i * S)
        assert out is not None and out.offset_ns == 5 and out.valid_stages == 1
    out = f.add_dummy(8 * S)
    # Nothing valid remains: the last estimate stays, with every stage at MAXDISP.
    assert out is not None and out.valid_stages == 0 and not out.fresh
    assert out.dispersion_ns == math.ceil(Fraction(MAXDISP) * sum(Fraction(1, 2 ** k) for k in range(1, 9)))


stage = st.one_of(
    st.none(),
    st.tuples(st.integers(-50 * MS, 50 * MS), st.integers(0, 20 * MS), st.integers(0, 2 * MS)),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(stage, st.integers(0, 400_000 * S)), min_size=1, max_size=30))
def test_filter_matches_the_rfc_model(steps: list[tuple[tuple[int, int, int] | None, int]]) -> None:
    f = ClockFilter(DEFAULT_TUNING)
    model = Model.empty()
    now = 0
    for s, gap in steps:
        now += gap
        if s is None:
            got = f.add_dummy(now)
            want = model.push(None, now)
        else:
            got = f.add(FilterStage(s[0], s[1], s[2], now), now)
            want = model.push((s[0], s[1], s[2], now), now)
        if want is None:
            assert got is None or got.valid_stages == 0
            continue
        assert got is not None
        assert (got.offset_ns, got.delay_ns, got.dispersion_ns, got.fresh) == want[:3] + (want[4],)
        assert abs(got.jitter_ns - want[3]) <= 1
