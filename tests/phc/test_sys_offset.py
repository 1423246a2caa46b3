# SPDX-License-Identifier: GPL-2.0-or-later
"""Choosing the offset from the kernel's sample arrays (no PHC needed: the
inputs are the real ABI structs, filled as the kernel fills them)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from phc.ptp_uapi import (
    PTP_MAX_SAMPLES,
    ptp_clock_time,
    ptp_sys_offset,
    ptp_sys_offset_extended,
    ptp_sys_offset_precise,
)
from phc.sys_offset import from_basic, from_extended, from_precise

T0 = 1_700_000_000_000_000_000
PHC_AHEAD = 37_000_000_123  # PHC on TAI-ish time, 37 s + 123 ns ahead


def t(ns: int) -> ptp_clock_time:
    return ptp_clock_time.from_ns(ns)


def test_extended_keeps_the_narrowest_window_against_its_midpoint() -> None:
    data = ptp_sys_offset_extended(n_samples=3)
    # (before, width) per sample; the PHC read sits at the midpoint + error.
    for i, (before, width, error) in enumerate([(0, 900, 400), (5_000, 120, 10), (9_000, 300, -90)]):
        data.ts[i][0] = t(T0 + before)
        data.ts[i][1] = t(T0 + before + width // 2 + PHC_AHEAD + error)
        data.ts[i][2] = t(T0 + before + width)
    m = from_extended(data)
    assert (m.offset_ns, m.delay_ns, m.method, m.samples) == (PHC_AHEAD + 10, 120, "extended", 3)


def test_basic_reads_interleaved_samples() -> None:
    data = ptp_sys_offset(n_samples=2)
    sys_reads = [T0, T0 + 1_000, T0 + 1_040]
    phc_reads = [T0 + 500 + PHC_AHEAD + 7, T0 + 1_020 + PHC_AHEAD - 3]
    for i, ns in enumerate(sys_reads):
        data.ts[2 * i] = t(ns)
    for i, ns in enumerate(phc_reads):
        data.ts[2 * i + 1] = t(ns)
    m = from_basic(data)
    assert (m.offset_ns, m.delay_ns, m.method, m.samples) == (PHC_AHEAD - 3, 40, "basic", 2)


def test_precise_takes_the_median_and_has_no_delay() -> None:
    readings = []
    for error in (5, -2, 40):
        r = ptp_sys_offset_precise()
        r.sys_realtime = t(T0)
        r.device = t(T0 + PHC_AHEAD + error)
        readings.append(r)
    m = from_precise(readings)
    assert (m.offset_ns, m.delay_ns, m.method, m.samples) == (PHC_AHEAD + 5, 0, "precise", 3)


def test_negative_times_survive_the_sign_convention() -> None:
    """ptp_clock_time: the sign of sec applies to the whole value; nsec is unsigned."""
    for ns in (-1, -1_000_000_000, -1_500_000_000, 0, 999_999_999):
        value = t(ns)
        assert 0 <= value.nsec < 1_000_000_000
        assert value.to_ns() == ns


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**4), st.integers(-10**4, 10**4)),
                min_size=1, max_size=PTP_MAX_SAMPLES))
def test_extended_delay_is_the_minimum_width(samples: list[tuple[int, int, int]]) -> None:
    data = ptp_sys_offset_extended(n_samples=len(samples))
    for i, (before, width, phc) in enumerate(samples):
        data.ts[i][0] = t(T0 + before)
        data.ts[i][1] = t(T0 + before + phc)
        data.ts[i][2] = t(T0 + before + width)
    m = from_extended(data)
    assert m.delay_ns == min(w for _, w, _ in samples)
    assert m.samples == len(samples)
