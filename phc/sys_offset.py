# SPDX-License-Identifier: GPL-2.0-or-later
"""Turn the kernel's PHC-versus-system samples into one OffsetMeasurement.

Pure functions over the ioctl structs, so the choice of sample is tested
without a PHC.  A PHC read bracketed by two system reads is best estimated
against their midpoint, and the narrowest bracket carries the least
scheduling and bus noise, so that sample wins.
"""

from __future__ import annotations

from collections.abc import Iterable

from phc.clock import OffsetMeasurement
from phc.ptp_uapi import ptp_sys_offset, ptp_sys_offset_extended, ptp_sys_offset_precise


def _narrowest(triples: Iterable[tuple[int, int, int]], method: str, samples: int) -> OffsetMeasurement:
    best: tuple[int, int] | None = None
    for before, phc, after in triples:
        width = after - before
        offset = phc - (before + width // 2)
        if best is None or width < best[1]:
            best = (offset, width)
    if best is None:
        raise ValueError("no samples")
    return OffsetMeasurement(offset_ns=best[0], delay_ns=best[1], method=method, samples=samples)


def from_extended(data: ptp_sys_offset_extended) -> OffsetMeasurement:
    """[before, phc, after] per sample; keep the narrowest window."""
    n = int(data.n_samples)
    triples = ((data.ts[i][0].to_ns(), data.ts[i][1].to_ns(), data.ts[i][2].to_ns()) for i in range(n))
    return _narrowest(triples, "extended", n)


def from_basic(data: ptp_sys_offset) -> OffsetMeasurement:
    """sys, phc, sys, phc, ..., sys: each PHC read sits between its neighbours."""
    n = int(data.n_samples)
    ts = [data.ts[i].to_ns() for i in range(2 * n + 1)]
    triples = ((ts[2 * i], ts[2 * i + 1], ts[2 * i + 2]) for i in range(n))
    return _narrowest(triples, "basic", n)


def from_precise(readings: list[ptp_sys_offset_precise]) -> OffsetMeasurement:
    """Hardware cross-timestamps have no bracket; take the median of several."""
    if not readings:
        raise ValueError("no samples")
    offsets = sorted(r.device.to_ns() - r.sys_realtime.to_ns() for r in readings)
    return OffsetMeasurement(
        offset_ns=offsets[len(offsets) // 2], delay_ns=0, method="precise", samples=len(offsets)
    )
