# SPDX-License-Identifier: GPL-2.0-or-later
"""nslab.stats against values derived by hand from the G.810 definitions."""

from __future__ import annotations

import math
import random

import pytest

from nslab import stats


def test_constant_offset() -> None:
    # x_i = c: every window spans 0 (MTIE 0), every second difference is 0
    # (TDEV 0), while RMS = |c| and max |TE| = |c| (RMS keeps the offset).
    x = [-700] * 60
    assert stats.mean(x) == -700
    assert stats.rms(x) == 700
    assert stats.std(x) == 0
    assert stats.max_abs(x) == 700
    for n in (1, 5, 20):
        assert stats.mtie(x, n) == 0
        assert stats.tdev(x, n) == 0


def test_linear_drift() -> None:
    # x_i = a * i * tau0 with a = 50 ns per sample: a window of n intervals
    # spans exactly a*n (MTIE(n tau0) = a n tau0); x_{i+2n} - 2x_{i+n} + x_i = 0,
    # so TDEV is 0: TDEV is blind to a frequency offset, MTIE is not.
    a = 50
    x = [a * i for i in range(100)]
    for n in (1, 3, 10, 33, 99):
        assert stats.mtie(x, n) == a * n
    for n in (1, 10, 33):
        assert stats.tdev(x, n) == 0
    curve = stats.mtie_curve(x, tau0_ns=125_000_000, ns=[1, 8])
    assert curve == [(125_000_000, 50), (1_000_000_000, 400)]


def test_quadratic_tdev_exact() -> None:
    # x_i = c i^2: x_{i+2n} - 2x_{i+n} + x_i = c((i+2n)^2 - 2(i+n)^2 + i^2) = 2 c n^2,
    # the inner sum over n terms is 2 c n^3, so TDEV^2 = (2 c n^3)^2 / (6 n^2)
    # and TDEV = 2 c n^2 / sqrt(6), whatever N.
    c = 3
    x = [c * i * i for i in range(90)]
    for n in (1, 2, 7, 30):
        assert stats.tdev(x, n) == pytest.approx(2 * c * n * n / math.sqrt(6), rel=1e-12)


def test_small_series_by_hand() -> None:
    # x = [0, 4, -2, 6, 1], n = 1: second differences x_{i+2}-2x_{i+1}+x_i over
    # i = 1..3 are (-2-8+0) = -10, (6+4+4) = 14, (1-12-2) = -13;
    # TDEV^2 = (100 + 196 + 169) / (6 * 1 * 3) = 465 / 18.
    # MTIE(1): adjacent spans 4, 6, 8, 5 -> 8; MTIE(2): windows of 3 -> 6, 8, 8 -> 8;
    # MTIE(4): whole series 6 - (-2) = 8. RMS = sqrt((0+16+4+36+1)/5) = sqrt(57/5).
    x = [0, 4, -2, 6, 1]
    assert stats.tdev(x, 1) == pytest.approx(math.sqrt(465 / 18), rel=1e-12)
    assert [stats.mtie(x, n) for n in (1, 2, 3, 4)] == [8, 8, 8, 8]
    # y = [0, 1, 3, 2, 10]: n=1 spans 1, 2, 1, 8 -> 8; n=2 windows [0,1,3] [1,3,2]
    # [3,2,10] -> 3, 2, 8 -> 8; n=3 windows [0,1,3,2] [1,3,2,10] -> 3, 9 -> 9.
    y = [0, 1, 3, 2, 10]
    assert [stats.mtie(y, n) for n in (1, 2, 3)] == [8, 8, 9]
    assert stats.rms(x) == pytest.approx(math.sqrt(57 / 5), rel=1e-12)
    assert stats.max_abs(x) == 6


def test_white_phase_noise() -> None:
    # Independent x_i with variance s^2: the inner sum has n terms x_{i+2n},
    # -2 n terms x_{i+n} and n terms x_i, all independent: variance
    # (1 + 4 + 1) n s^2 = 6 n s^2, so E[TDEV^2] = 6 n s^2 / (6 n^2) = s^2 / n,
    # TDEV = s / sqrt(n). With N = 60000 the estimate is within a few percent
    # (about 1/sqrt(N/(3n)) relative); 15 % bounds never trip.
    rng = random.Random(1588)
    s = 400.0
    x = [rng.gauss(0.0, s) for _ in range(60000)]
    assert stats.rms(x) == pytest.approx(s, rel=0.03)
    for n in (1, 4, 16, 64):
        assert stats.tdev(x, n) == pytest.approx(s / math.sqrt(n), rel=0.15)
    # MTIE grows with the window and is bounded by the whole series' span.
    m = [stats.mtie(x, n) for n in (1, 10, 100)]
    assert m[0] < m[1] < m[2] <= max(x) - min(x)


def test_mtie_matches_brute_force() -> None:
    rng = random.Random(7)
    x = [rng.randint(-1000, 1000) for _ in range(300)]
    for n in (1, 2, 5, 17, 150, 299):
        brute = max(max(x[k:k + n + 1]) - min(x[k:k + n + 1]) for k in range(len(x) - n))
        assert stats.mtie(x, n) == brute


def test_bad_intervals_are_refused() -> None:
    with pytest.raises(ValueError):
        stats.tdev([1, 2, 3, 4, 5], 2)  # needs N >= 3n
    with pytest.raises(ValueError):
        stats.mtie([1, 2], 2)
    with pytest.raises(ValueError):
        stats.rms([])
    assert stats.taus(1000, 3)[-1] <= 333
