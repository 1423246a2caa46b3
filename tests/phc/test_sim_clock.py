# SPDX-License-Identifier: GPL-2.0-or-later
"""SimulatedClock: exact arithmetic with an injected time source, plus properties."""

from __future__ import annotations

import statistics
import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phc import Clock, PhcOutOfRangeError, SimulatedClock

S = 1_000_000_000
START = 1_700_000_000 * S


class ManualTime:
    """A base clock that moves only when told to."""

    def __init__(self, start: int = START) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, ns: int) -> None:
        self.now += ns


def make(**kwargs: object) -> tuple[SimulatedClock, ManualTime]:
    base = ManualTime()
    return SimulatedClock(time_source=base, **kwargs), base  # type: ignore[arg-type]


def test_it_is_a_clock() -> None:
    clock, _ = make(name="nic1")
    assert isinstance(clock, Clock)
    assert (clock.name, clock.kind) == ("nic1", "sim")


def test_starts_at_the_configured_offset() -> None:
    clock, base = make(offset_ns=-1234)
    assert clock.now_ns() == base.now - 1234
    measured = clock.offset_to_system(samples=4)
    assert (measured.offset_ns, measured.delay_ns, measured.method, measured.samples) == \
        (-1234, 0, "simulated", 4)


@pytest.mark.parametrize(("ppb", "elapsed", "gained"), [
    (100.0, 10 * S, 1000),
    (0.1, 10 * S, 1),              # 0.1 is the decimal 1/10, not a binary float
    (0.3, 10 * S, 3),              # (the binary 0.3 is a little less than 3/10)
    (-37.5, 2 * S, -75),
    (250_000, 4 * S, 1_000_000),
    (1e-3, 1000 * S, 1),
])
def test_adjustment_over_time_is_exact(ppb: float, elapsed: int, gained: int) -> None:
    clock, base = make(offset_ns=500)
    clock.adjust_frequency(ppb)
    base.advance(elapsed)
    assert clock.true_offset_ns() == 500 + gained
    assert clock.offset_to_system().offset_ns == 500 + gained
    assert clock.frequency_ppb() == ppb


def test_frequency_error_and_adjustment_add_and_adjustment_is_absolute() -> None:
    clock, base = make(frequency_error_ppb=40.0)
    clock.adjust_frequency(10.0)
    clock.adjust_frequency(-15.0)  # replaces, like a PHC's ADJ_FREQUENCY
    base.advance(3 * S)
    assert clock.true_offset_ns() == 3 * 25
    assert clock.frequency_ppb() == -15.0
    assert clock.true_frequency_ppb() == 25.0


def test_steps_and_set_time_compose_exactly() -> None:
    clock, base = make(offset_ns=7)
    clock.step(1_000)
    clock.step(-2_500_000_001)
    assert clock.true_offset_ns() == 7 + 1_000 - 2_500_000_001
    clock.set_time_ns(42 * S + 5)
    assert clock.now_ns() == 42 * S + 5
    base.advance(S)
    assert clock.now_ns() == 43 * S + 5


def test_from_system_ns_is_now_ns_at_the_same_instant() -> None:
    clock, base = make(offset_ns=999, frequency_error_ppb=12.5)
    base.advance(8 * S)
    assert clock.from_system_ns(base.now) == clock.now_ns() == base.now + 999 + 100


def test_from_system_ns_maps_past_timestamps_as_the_clock_was_then() -> None:
    """A packet stamped before a step or frequency change keeps its old mapping."""
    clock, base = make()
    stamp_before = base.now + S // 2
    base.advance(S)
    expected = clock.from_system_ns(stamp_before)
    clock.step(10_000)
    clock.adjust_frequency(1000.0)
    base.advance(S)
    assert clock.from_system_ns(stamp_before) == expected == stamp_before
    assert clock.from_system_ns(base.now) == base.now + 10_000 + 1000


def test_read_noise_is_seeded_and_affects_reads_only() -> None:
    clock, base = make(offset_ns=100, read_noise_ns=50, seed=7)
    offsets = [clock.now_ns() - base.now for _ in range(4000)]
    assert statistics.mean(offsets) == pytest.approx(100, abs=5)
    assert statistics.pstdev(offsets) == pytest.approx(50, rel=0.1)
    assert clock.true_offset_ns() == 100
    assert clock.from_system_ns(base.now) == base.now + 100
    # The mean of n noisy samples is closer to the truth than one sample.
    means = [clock.offset_to_system(samples=25).offset_ns - 100 for _ in range(400)]
    assert statistics.pstdev(means) < 20


def test_wander_is_a_seeded_random_walk_on_a_fixed_grid() -> None:
    """The same seed gives the same walk, however often the clock is read."""
    dense, dense_base = make(wander_ppb_per_sqrt_s=5.0, seed=11)
    sparse, sparse_base = make(wander_ppb_per_sqrt_s=5.0, seed=11)
    other, other_base = make(wander_ppb_per_sqrt_s=5.0, seed=12)
    for _ in range(600):
        dense_base.advance(S // 10)
        dense.now_ns()
    sparse_base.advance(60 * S)
    other_base.advance(60 * S)
    assert dense.true_offset_ns() == sparse.true_offset_ns()
    assert dense.true_frequency_ppb() == sparse.true_frequency_ppb() != 0
    assert other.true_frequency_ppb() != dense.true_frequency_ppb()


def test_wander_grows_like_a_random_walk() -> None:
    """After n one-second steps the frequency spread is sigma * sqrt(n)."""
    finals = []
    for seed in range(300):
        clock, base = make(wander_ppb_per_sqrt_s=2.0, seed=seed)
        base.advance(25 * S)
        finals.append(clock.true_frequency_ppb())
    assert statistics.pstdev(finals) == pytest.approx(2.0 * 5, rel=0.15)


def test_out_of_range_adjustment_is_refused_with_a_clear_error() -> None:
    clock, _ = make(name="nic3", max_adj_ppb=1000.0)
    clock.adjust_frequency(1000.0)
    with pytest.raises(PhcOutOfRangeError) as info:
        clock.adjust_frequency(1000.5)
    assert str(info.value) == "nic3: adjust_frequency: 1000.5 ppb is beyond the clock's limit of +/-1000 ppb"
    assert clock.frequency_ppb() == 1000.0
    assert clock.max_frequency_ppb() == 1000.0


def test_default_time_source_is_the_system_clock() -> None:
    clock = SimulatedClock(offset_ns=123_456)
    before = time.clock_gettime_ns(time.CLOCK_REALTIME)
    now = clock.now_ns()
    after = time.clock_gettime_ns(time.CLOCK_REALTIME)
    assert before + 123_456 <= now <= after + 123_456
    assert clock.offset_to_system().offset_ns == 123_456
    assert clock.true_offset_ns() == 123_456


# -- properties -----------------------------------------------------------------

ppbs = st.integers(min_value=-100_000_000, max_value=100_000_000).map(lambda n: n / 1000)
gaps = st.integers(min_value=0, max_value=5 * S)
steps = st.integers(min_value=-10 * S, max_value=10 * S)
ops = st.lists(st.one_of(
    st.tuples(st.just("wait"), gaps),
    st.tuples(st.just("adjust"), ppbs),
    st.tuples(st.just("step"), steps),
), max_size=30)


@settings(max_examples=150, deadline=None)
@given(error=ppbs, offset=steps, script=ops)
def test_steps_and_adjustments_compose(error: float, offset: int, script: list[tuple[str, float]]) -> None:
    """The clock equals the sum of offset, steps and every rate x interval, exactly."""
    clock, base = make(offset_ns=offset, frequency_error_ppb=error)
    expected = Fraction(START + offset)
    rate = Fraction(repr(error))
    for op, value in script:
        if op == "wait":
            base.advance(int(value))
            expected += int(value) * (1 + rate / 10**9)
        elif op == "adjust":
            clock.adjust_frequency(value)
            rate = Fraction(repr(error)) + Fraction(repr(value))
        else:
            clock.step(int(value))
            expected += int(value)
        assert clock.now_ns() == expected.__floor__()


@settings(max_examples=100, deadline=None)
@given(error=ppbs, script=st.lists(st.tuples(gaps, ppbs), max_size=30))
def test_monotonic_without_steps(error: float, script: list[tuple[int, float]]) -> None:
    clock, base = make(frequency_error_ppb=error, wander_ppb_per_sqrt_s=3.0)
    last = clock.now_ns()
    for gap, ppb in script:
        base.advance(gap)
        clock.adjust_frequency(ppb)
        now = clock.now_ns()
        assert now >= last
        last = now


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), script=ops)
def test_same_seed_same_clock(seed: int, script: list[tuple[str, float]]) -> None:
    readings = []
    for _ in range(2):
        clock, base = make(frequency_error_ppb=3.0, wander_ppb_per_sqrt_s=1.0,
                           read_noise_ns=20, seed=seed)
        trace = []
        for op, value in script:
            if op == "wait":
                base.advance(int(value))
            elif op == "adjust":
                clock.adjust_frequency(value)
            else:
                clock.step(int(value))
            trace += [clock.now_ns(), clock.offset_to_system(3).offset_ns, clock.true_offset_ns()]
        readings.append(trace)
    assert readings[0] == readings[1]


def test_bad_arguments_name_the_clock() -> None:
    clock, _ = make(name="nic4")
    with pytest.raises(PhcOutOfRangeError, match=r"^nic4: offset_to_system: samples must be >= 1$"):
        clock.offset_to_system(samples=0)
    with pytest.raises(PhcOutOfRangeError, match=r"^nic5: create: nan is not a finite number$"):
        SimulatedClock(frequency_error_ppb=float("nan"), name="nic5", time_source=ManualTime())
