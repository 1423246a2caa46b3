# SPDX-License-Identifier: GPL-2.0-or-later
"""The spike gate: a robust scale from recent residuals, rejections counted, never stuck."""

from __future__ import annotations

import random

import pytest

from ptpbridge.core.servo.gate import (
    GATE_FLOOR_NS,
    GATE_MAX_REJECTS,
    GATE_MIN_HISTORY,
    GATE_SIGMAS,
    SpikeGate,
)


def test_accepts_everything_until_it_has_a_scale() -> None:
    gate = SpikeGate()
    residuals = [5.0] * (GATE_MIN_HISTORY - 2) + [1e6]
    assert all(gate.admits(r) for r in residuals)
    assert gate.scale_ns() is None and gate.limit_ns() is None and gate.rejected == 0


def test_scale_is_the_gaussian_sigma_and_ignores_spikes() -> None:
    rng = random.Random(1)
    gate = SpikeGate()
    residuals = [rng.gauss(0.0, 2_000.0) for _ in range(400)]
    for i, r in enumerate(residuals):
        gate.admits(r + (60_000.0 if i % 10 == 0 else 0.0))  # 10% spikes
    scale = gate.scale_ns()
    assert scale is not None and scale == pytest.approx(2_000.0, rel=0.35)


def test_rejects_a_spike_and_counts_it() -> None:
    gate = SpikeGate()
    for i in range(40):
        assert gate.admits(1_000.0 if i % 2 else -1_000.0)
    limit = gate.limit_ns()
    assert limit is not None and limit == pytest.approx(GATE_SIGMAS * 1.4826 * 1_000.0)
    assert not gate.admits(limit * 1.5)
    assert gate.rejected == 1
    assert gate.admits(limit * 0.9)


def test_gives_way_to_a_lasting_change() -> None:
    gate = SpikeGate()
    for i in range(40):
        gate.admits(500.0 if i % 2 else -500.0)
    verdicts = [gate.admits(50_000.0) for _ in range(GATE_MAX_REJECTS + 1)]
    assert verdicts == [False] * GATE_MAX_REJECTS + [True]
    assert gate.rejected == GATE_MAX_REJECTS


def test_small_residuals_pass_whatever_the_scale() -> None:
    gate = SpikeGate()
    for _ in range(40):
        gate.admits(0.0)  # a noise-free source: scale 0
    assert gate.limit_ns() == GATE_FLOOR_NS
    assert gate.admits(GATE_FLOOR_NS) and not gate.admits(GATE_FLOOR_NS + 1)


def test_clear_forgets_the_scale_not_the_count() -> None:
    gate = SpikeGate()
    for i in range(40):
        gate.admits(300.0 if i % 2 else -300.0)
    gate.admits(1e6)
    gate.clear()
    assert gate.scale_ns() is None and gate.rejected == 1


def test_mad_scale_is_the_normal_distributions() -> None:
    """The one MAD-to-sigma factor (core/stats.py) both gates use: 1 / the normal's 0.75 quantile."""
    from statistics import NormalDist

    from ptpbridge.core.ptp import sample_filter
    from ptpbridge.core.servo import gate
    from ptpbridge.core.stats import MAD_TO_SIGMA

    assert MAD_TO_SIGMA == pytest.approx(1 / NormalDist().inv_cdf(0.75), rel=1e-4)
    assert gate.MAD_TO_SIGMA is MAD_TO_SIGMA and sample_filter.MAD_TO_SIGMA is MAD_TO_SIGMA
