# SPDX-License-Identifier: GPL-2.0-or-later
"""Basic-mode transmit compensation (core/ntp/txlatency): probe schedule, sample checks, the fitted line."""

from __future__ import annotations

import random

import pytest

from ptpbridge.core.ntp.txlatency import (
    MAX_SAMPLE_NS,
    MIN_SAMPLES,
    PROBE_INTERVAL_NS,
    STARTUP_SPEEDUP,
    WINDOW,
    TxLatency,
)

US = 1_000


def test_probes_come_faster_until_the_window_is_full() -> None:
    lat = TxLatency()
    fast = PROBE_INTERVAL_NS // STARTUP_SPEEDUP
    assert lat.probe_due(0) and not lat.probe_due(fast - 1) and lat.probe_due(fast)
    for _ in range(WINDOW):
        lat.add(10 * US, 100 * US)
    assert lat.probe_due(2 * fast) and not lat.probe_due(3 * fast)


def test_probes_come_faster_while_the_work_is_outside_the_fitted_range() -> None:
    lat = TxLatency()
    for i in range(WINDOW):
        lat.add(10 * US + i, 100 * US + i * US)
    fast = PROBE_INTERVAL_NS // STARTUP_SPEEDUP
    assert lat.probe_due(0) and not lat.probe_due(fast)
    lat.correction_ns(150 * US)  # inside: nothing changes
    assert not lat.probe_due(fast)
    lat.correction_ns(10_000 * US)  # a new load: learn it fast
    assert lat.probe_due(PROBE_INTERVAL_NS) and lat.probe_due(PROBE_INTERVAL_NS + fast)
    lat.add(20 * US, 10_000 * US)  # learnt: back to the slow schedule after the one already set
    assert lat.probe_due(PROBE_INTERVAL_NS + 2 * fast) and not lat.probe_due(PROBE_INTERVAL_NS + 3 * fast)


def test_probes_are_rate_limited_per_interval() -> None:
    lat = TxLatency()
    for _ in range(WINDOW):
        lat.add(10 * US, 100 * US)
    assert lat.probe_due(0)
    assert not lat.probe_due(PROBE_INTERVAL_NS - 1)
    assert lat.probe_due(PROBE_INTERVAL_NS)
    assert not lat.probe_due(PROBE_INTERVAL_NS + 1)
    due = sum(lat.probe_due(t) for t in range(PROBE_INTERVAL_NS, 10 * PROBE_INTERVAL_NS, 1_000_000))
    assert due == 8  # 2..9 intervals: one per interval whatever the request rate


def test_no_correction_until_enough_samples() -> None:
    lat = TxLatency()
    for _ in range(MIN_SAMPLES - 1):
        assert lat.add(20 * US, 100 * US)
        assert lat.correction_ns(100 * US) == 0
    lat.add(20 * US, 100 * US)
    assert lat.correction_ns(100 * US) == 20 * US
    assert lat.as_dict()["samples"] == MIN_SAMPLES


@pytest.mark.parametrize("bad", [-1, MAX_SAMPLE_NS + 1])
def test_implausible_samples_are_rejected(bad: int) -> None:
    lat = TxLatency()
    assert not lat.add(bad, 0)
    assert lat.as_dict() == {"compensation_ns": 0, "work_ns": 0, "slope_ppm": 0, "samples": 0, "rejected": 1}


def test_constant_delay_gives_a_constant_correction() -> None:
    lat = TxLatency()
    rng = random.Random(1)
    for _ in range(WINDOW):
        lat.add(15 * US, rng.randrange(50 * US, 300 * US))
    for work in (0, 100 * US, 10_000 * US):
        assert lat.correction_ns(work) == 15 * US


def test_line_in_work_is_recovered_and_outliers_do_not_move_it() -> None:
    """delay = 4 us + 0.12 * work + noise, with preempted sends mixed in."""
    lat = TxLatency()
    rng = random.Random(7)
    for i in range(3 * WINDOW):
        work = rng.randrange(70 * US, 300 * US)
        delay = 4 * US + work * 12 // 100 + rng.randrange(-US, US)
        if i % 10 == 0:
            delay += 500 * US  # preempted between read and send
        lat.add(delay, work)
    for work in (100 * US, 200 * US):
        expected = 4 * US + work * 12 // 100
        assert abs(lat.correction_ns(work) - expected) < 2 * US, work
    slope = lat.as_dict()["slope_ppm"]
    assert 100_000 < slope < 140_000


def test_work_beyond_the_fitted_range_is_clamped() -> None:
    lat = TxLatency()
    for i in range(WINDOW):
        work = 100 * US + i * US
        lat.add(work // 10, work)
    top = lat.correction_ns(100 * US + (WINDOW - 1) * US)
    # A batch inflated by a preemption before the read predicts no more than the largest work seen.
    assert lat.correction_ns(5_000 * US) <= top
    assert lat.correction_ns(0) >= lat.correction_ns(100 * US) - US


def test_the_window_follows_a_change() -> None:
    lat = TxLatency()
    for _ in range(WINDOW):
        lat.add(30 * US, 100 * US)
    for _ in range(WINDOW):
        lat.add(10 * US, 100 * US)
    assert lat.correction_ns(100 * US) == 10 * US


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError):
        TxLatency(window=0)
    with pytest.raises(ValueError):
        TxLatency(probe_interval_ns=-1)
