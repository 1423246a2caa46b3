# SPDX-License-Identifier: GPL-2.0-or-later
"""The slave's sample filters on their own: windowed delay, MAD outlier gate, escape from lock-out."""

from __future__ import annotations

import random

import pytest

from ptpbridge.core.ptp.sample_filter import DelayFilter, DelayFilterMode, GateSettings, OutlierGate, median


def test_median_is_the_lower_middle() -> None:
    assert median([5]) == 5
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2


def test_gate_accepts_until_the_window_fills_then_rejects_a_spike() -> None:
    gate = OutlierGate(GateSettings(threshold=5.0, window=16, min_samples=8, floor_ns=1_000))
    rng = random.Random(7)
    for i in range(7):
        assert gate.admit(1_000_000 * i)  # anything goes while the window is short
    gate.reset()
    for _ in range(40):
        assert gate.admit(rng.randrange(-300, 301))  # noise of +-300 ns
    assert gate.rejected == 0
    assert not gate.admit(50_000)  # a 50 us spike
    assert gate.rejected == 1
    assert gate.admit(120)  # the next ordinary sample passes


def test_gate_floor_keeps_a_quiet_window_from_rejecting_noise() -> None:
    gate = OutlierGate(GateSettings(threshold=5.0, floor_ns=1_000))
    for _ in range(16):
        gate.admit(0)  # MAD 0
    assert gate.limit_ns() == 1_000
    assert gate.admit(900)
    assert not gate.admit(1_100)


def test_gate_follows_a_real_level_change_after_max_consecutive() -> None:
    gate = OutlierGate(GateSettings(threshold=5.0, floor_ns=500, max_consecutive=4))
    for i in range(16):
        gate.admit(i % 3)
    results = [gate.admit(20_000 + i) for i in range(8)]
    assert results == [False] * 4 + [True] * 4  # four rejections, then the new level is taken
    assert gate.rejected == 4 and gate.restarts == 1
    assert not gate.admit(0) or gate.limit_ns() is None  # the old level is gone from the window


def test_gate_off_and_reset() -> None:
    gate = OutlierGate(GateSettings(threshold=0))
    for _ in range(20):
        gate.admit(0)
    assert gate.admit(10**9) and gate.rejected == 0
    gate = OutlierGate(GateSettings())
    for _ in range(20):
        gate.admit(0)
    gate.reset()
    assert gate.limit_ns() is None and gate.admit(10**9)


def test_ramps_pass_the_gate() -> None:
    """A servo pulling the offset in (a steady ramp plus noise) is not mistaken for outliers."""
    gate = OutlierGate(GateSettings())
    rng = random.Random(1)
    for i in range(200):
        assert gate.admit(50_000 - 250 * i + rng.randrange(-200, 201))
    assert gate.rejected == 0


def test_delay_filter_median_and_minimum() -> None:
    settings = GateSettings(threshold=0)
    med = DelayFilter(DelayFilterMode.MEDIAN, 5, settings)
    low = DelayFilter(DelayFilterMode.MINIMUM, 5, settings)
    for raw in (3_000, 9_000, 3_100, 2_900, 30_000):
        med.add(raw)
        low.add(raw)
    assert med.value() == 3_100 and low.value() == 2_900
    assert med.last_raw_ns == 30_000
    for _ in range(5):
        med.add(4_000)
    assert med.value() == 4_000  # the window slid past the old values
    none = DelayFilter(DelayFilterMode.NONE, 10, settings)
    none.add(1)
    assert none.add(7) == 7


def test_delay_filter_rejects_through_its_gate_and_restarts_with_the_path() -> None:
    f = DelayFilter(DelayFilterMode.MEDIAN, 10, GateSettings(floor_ns=500))
    for i in range(20):
        f.add(5_000 + (i % 5) * 20)
    assert f.add(80_000) is None and f.rejected == 1
    assert f.value() is not None and abs(f.value() - 5_040) <= 40  # type: ignore[operator]
    # The path really changed to 20 us: after four rejections the filter starts over there.
    outs = [f.add(20_000) for _ in range(6)]
    assert outs[:3] == [None] * 3 and outs[-1] == 20_000


@pytest.mark.parametrize("bad", [dict(threshold=-1.0), dict(min_samples=1), dict(window=4, min_samples=8),
                                 dict(floor_ns=-1), dict(max_consecutive=0)])
def test_gate_settings_are_checked(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        GateSettings(**bad)  # type: ignore[arg-type]
