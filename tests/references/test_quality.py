# SPDX-License-Identifier: GPL-2.0-or-later
"""Holdover states and the quality both protocols announce from them."""

from __future__ import annotations

import pytest

from ptpbridge.core.ntp import ServerTimeState
from ptpbridge.core.refsel import (
    ClockState,
    FrequencyMemory,
    HoldoverTracker,
    LocalQuality,
    QualityPolicy,
    ReferenceFigures,
    accuracy_code,
    assess,
)
from ptpbridge.core.refsel.quality import variance_code
from ptpbridge.daemon.quality import ntp_server_state
from ptpbridge.timebase import Timebase
from ptpbridge.wire.ntp import Leap
from ptpbridge.wire.ptp.constants import ClockAccuracy, TimeSource

S = 1_000_000_000
US = 1_000
UTC = 1_700_000_000 * S
POLICY = QualityPolicy(degraded_class=52, drift_ppb=15_000)
NTP = ReferenceFigures("ntp", "ntp", 2, "198.18.0.1", 200 * US, 50 * US, int(TimeSource.NTP), 5_000.0)


def test_tracker_locked_holdover_then_degraded_or_local() -> None:
    t = HoldoverTracker(60 * S, has_local=False)
    assert t.update(0, locked=False) is ClockState.FREERUN
    assert t.update(1 * S, locked=True) is ClockState.LOCKED
    assert t.update(2 * S, locked=False) is ClockState.HOLDOVER and t.holdover_ns(12 * S) == 10 * S
    assert t.update(61 * S, locked=False) is ClockState.HOLDOVER
    assert t.update(62 * S, locked=False) is ClockState.DEGRADED
    assert t.update(63 * S, locked=True) is ClockState.LOCKED and t.holdover_ns(63 * S) is None
    local = HoldoverTracker(60 * S, has_local=True)
    assert local.update(0, locked=False) is ClockState.LOCAL
    local.update(1 * S, locked=True)
    assert local.update(2 * S, locked=False) is ClockState.HOLDOVER
    assert local.update(70 * S, locked=False) is ClockState.LOCAL


@pytest.mark.parametrize(("bound", "code"), [
    (20, ClockAccuracy.NS_25), (100, ClockAccuracy.NS_100), (101, ClockAccuracy.NS_250),
    (150 * US, ClockAccuracy.US_250), (2 * S, ClockAccuracy.S_10), (11 * S, ClockAccuracy.S_MORE_THAN_10),
])
def test_accuracy_codes_cover_the_bound(bound: int, code: int) -> None:
    assert accuracy_code(bound) == code


def test_variance_is_ieee_scaled_log2_and_unknown_without_a_figure() -> None:
    assert variance_code(None) == 0xFFFF
    assert variance_code(1e9) == 0x8000  # 1 s RMS: variance 1 s^2, log2 0
    assert variance_code(1_000.0) < variance_code(1_000_000.0) < 0x8000


def test_locked_announces_class_6_accuracy_from_the_bound_and_the_references_stratum() -> None:
    q = assess(ClockState.LOCKED, NTP, POLICY, None, now_utc_ns=UTC, last_update_utc_ns=UTC, holdover_ns=None)
    assert (q.clock_class, q.clock_accuracy) == (6, ClockAccuracy.US_250)  # 100 + 50 us
    assert q.ntp_synchronised and q.stratum == 2 and q.reference_id == "198.18.0.1"
    assert q.time_source == TimeSource.NTP and q.time_traceable


def test_holdover_keeps_the_stratum_while_dispersion_and_accuracy_grow() -> None:
    later = UTC + 20 * S
    q = assess(ClockState.HOLDOVER, NTP, POLICY, None, now_utc_ns=later, last_update_utc_ns=UTC,
               holdover_ns=20 * S)
    assert q.clock_class == 7 and q.stratum == 2 and q.ntp_synchronised
    assert q.error_bound_ns == 150 * US + 300 * US  # 15 ppm over 20 s
    assert q.clock_accuracy == ClockAccuracy.MS_1
    state = ntp_server_state(ServerTimeState.unsynchronised(-20), q, Timebase())
    assert state.reference_utc_ns == UTC and state.stratum == 2 and state.leap is Leap.NONE
    assert state.root_dispersion_at(later) == 50 * US + 300 * US  # grows from the last update
    assert state.root_dispersion_at(later + 10 * S) > state.root_dispersion_at(later)


def test_after_the_budget_degraded_class_and_leap_3_unless_local() -> None:
    q = assess(ClockState.DEGRADED, NTP, POLICY, None, now_utc_ns=UTC, last_update_utc_ns=UTC,
               holdover_ns=100 * S)
    assert (q.clock_class, q.clock_accuracy, q.offset_scaled_log_variance) == (52, 0xFE, 0xFFFF)
    assert not q.ntp_synchronised and q.time_source == TimeSource.INTERNAL_OSCILLATOR
    assert ntp_server_state(ServerTimeState(), q, Timebase()).leap is Leap.UNSYNCHRONISED
    local = LocalQuality(10, 187, "LOCL")
    q = assess(ClockState.LOCAL, NTP, POLICY, local, now_utc_ns=UTC, last_update_utc_ns=UTC,
               holdover_ns=100 * S)
    assert (q.clock_class, q.stratum, q.ntp_synchronised) == (187, 10, True)
    state = ntp_server_state(ServerTimeState(), q, Timebase())
    assert state.stratum == 10 and state.leap is Leap.NONE and state.reference_id == b"LOCL"


def test_never_locked_is_free_run_248() -> None:
    q = assess(ClockState.FREERUN, None, POLICY, None, now_utc_ns=UTC, last_update_utc_ns=None, holdover_ns=None)
    assert q.clock_class == 248 and not q.ntp_synchronised


def test_frequency_memory_averages_out_the_phase_terms() -> None:
    m = FrequencyMemory(4)
    assert m.frequency_ppb is None
    for f in (110.0, 90.0, 105.0, 95.0, 100.0):
        m.note_locked(f)
    assert m.frequency_ppb == pytest.approx(97.5) and m.samples == 4
    assert m.spread_ppb() is not None


def test_a_ptp_reference_keeps_every_class_slave_capable() -> None:
    policy = QualityPolicy(degraded_class=52, slave_capable_class=255)
    for state in (ClockState.LOCKED, ClockState.HOLDOVER, ClockState.DEGRADED):
        q = assess(state, NTP, policy, None, now_utc_ns=UTC, last_update_utc_ns=UTC, holdover_ns=None)
        assert q.clock_class == 255, state
    q = assess(ClockState.LOCAL, NTP, policy, LocalQuality(10, 187, "LOCL"), now_utc_ns=UTC,
               last_update_utc_ns=UTC, holdover_ns=None)
    assert q.clock_class == 187  # already slave-capable
