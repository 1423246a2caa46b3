# SPDX-License-Identifier: GPL-2.0-or-later
"""What the NTP server says about the daemon's clock, rebuilt every tick from config and timebase.

Until a reference layer exists, the daemon's clock is announced like
chrony's `local` directive (see ptpbridge.config.ntp): synchronised at the
configured stratum with the configured reference id, the reference time
refreshed every tick so root dispersion stays at what a tick adds. It is
announced unsynchronised when `local_stratum` is 0 or when the UTC offset
is not known (then the UTC we would serve could be off by whole seconds).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from ptpbridge.config.ntp import NtpConfig
from ptpbridge.core.ntp import ServerTimeState
from ptpbridge.timebase import LeapState, Timebase
from ptpbridge.wire.ntp import Leap

_LEAP = {LeapState.NONE: Leap.NONE, LeapState.INSERT: Leap.INSERT, LeapState.DELETE: Leap.DELETE}


def measure_precision(read: Callable[[], int] = time.time_ns, samples: int = 101) -> int:
    """RFC 5905 precision: log2 of the time one clock read takes (median of `samples`), rounded up."""
    costs = []
    for _ in range(samples):
        start = time.perf_counter_ns()
        read()
        costs.append(time.perf_counter_ns() - start)
    costs.sort()
    median_ns = max(1, costs[len(costs) // 2])
    return max(-32, min(0, math.ceil(math.log2(median_ns / 1e9))))


def server_state(config: NtpConfig, timebase: Timebase, now_utc_ns: int, precision: int) -> ServerTimeState:
    """The header fields for replies from now on."""
    if config.local_stratum == 0 or not timebase.utc_offset_valid:
        return ServerTimeState.unsynchronised(precision)
    return ServerTimeState.synchronised(
        config.reference_id, config.local_stratum, now_utc_ns,
        leap=_LEAP[timebase.leap], precision=precision,
    )


def state_to_json(state: ServerTimeState) -> dict[str, Any]:
    return {
        "leap": int(state.leap), "stratum": state.stratum, "reference_id": state.reference_id.hex(),
        "root_delay_ns": state.root_delay_ns, "root_dispersion_ns": state.root_dispersion_ns,
        "dispersion_rate_ppb": state.dispersion_rate_ppb, "reference_utc_ns": state.reference_utc_ns,
        "precision": state.precision, "poll": state.poll,
    }


def state_from_json(data: dict[str, Any]) -> ServerTimeState:
    """The inverse of state_to_json; ValueError/KeyError on anything malformed."""
    return ServerTimeState(
        Leap(int(data["leap"])), int(data["stratum"]), bytes.fromhex(data["reference_id"]),
        int(data["root_delay_ns"]), int(data["root_dispersion_ns"]), int(data["dispersion_rate_ppb"]),
        None if data["reference_utc_ns"] is None else int(data["reference_utc_ns"]),
        int(data["precision"]), None if data["poll"] is None else int(data["poll"]),
    )


def describe(state: ServerTimeState, reference: str) -> dict[str, Any]:
    """Human-meaningful view for `ptpbridge status`; `reference` is the configured id text."""
    synced = state.leap is not Leap.UNSYNCHRONISED
    return {
        "leap": state.leap.name.lower(),
        "stratum": state.wire_stratum,
        "reference_id": reference if synced else "",
        "precision": state.precision,
    }
