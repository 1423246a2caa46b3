# SPDX-License-Identifier: GPL-2.0-or-later
"""The time-quality board: the reference manager posts one `TimeQuality`, PTP and NTP read it.

`Daemon.quality` is None unless `[[reference]]` entries exist; then the PTP
service subscribes (a change re-runs the BMCA and is in the next Announce)
and the NTP server builds its header state from it every tick. Without
references both services keep announcing what their own tables say.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ptpbridge.core.ntp import ServerTimeState
from ptpbridge.core.ptp import PtpClock
from ptpbridge.core.refsel import TimeQuality
from ptpbridge.timebase import LeapState, Timebase
from ptpbridge.wire.ntp import Leap
from ptpbridge.wire.ntp.refid import refid_for_source
from ptpbridge.wire.ptp.values import ClockQuality

log = logging.getLogger("ptpbridge.references")

_LEAP = {LeapState.NONE: Leap.NONE, LeapState.INSERT: Leap.INSERT, LeapState.DELETE: Leap.DELETE}


class QualityBoard:
    """The current TimeQuality and who wants to hear when its PTP side changes."""

    def __init__(self, initial: TimeQuality) -> None:
        self.current = initial
        self._subscribers: list[Callable[[TimeQuality], None]] = []

    def subscribe(self, callback: Callable[[TimeQuality], None]) -> None:
        """`callback(quality)` now and after every change of what PTP announces."""
        self._subscribers.append(callback)
        callback(self.current)

    def publish(self, quality: TimeQuality) -> None:
        old, self.current = self.current, quality
        if old.state is not quality.state or old.reference != quality.reference:
            log.info("clock %s -> %s (reference %s, clockClass %d, stratum %s)", old.state.value,
                     quality.state.value, quality.reference or "-", quality.clock_class,
                     quality.stratum if quality.ntp_synchronised else "16 (unsynchronised)")
        if old.ptp_key() != quality.ptp_key():
            for callback in self._subscribers:
                try:
                    callback(quality)
                except Exception:  # one broken subscriber must not stop the others
                    log.exception("time quality subscriber failed")


def ptp_clock_quality(quality: TimeQuality) -> ClockQuality:
    return ClockQuality(quality.clock_class, quality.clock_accuracy, quality.offset_scaled_log_variance)


def ntp_server_state(base: ServerTimeState, quality: TimeQuality, timebase: Timebase) -> ServerTimeState:
    """The NTP header state: `base` (what the [ntp] table and the Timebase say, leap included)
    with stratum, reference id, root delay and dispersion from `quality`."""
    if not quality.ntp_synchronised or not timebase.utc_offset_valid or quality.reference_utc_ns is None:
        return ServerTimeState.unsynchronised(base.precision)
    leap = base.leap if base.leap is not Leap.UNSYNCHRONISED else _LEAP.get(timebase.leap, Leap.NONE)
    return ServerTimeState(
        leap, quality.stratum, refid_for_source(quality.reference_id), quality.root_delay_ns,
        quality.root_dispersion_ns, quality.dispersion_rate_ppb, quality.reference_utc_ns,
        base.precision, base.poll)


def apply_ptp_quality(clock: PtpClock[Any], quality: TimeQuality, now_ns: int) -> None:
    """Announce `quality` as grandmaster: clockQuality (re-runs the BMCA), timeSource, traceability."""
    clock.set_clock_quality(ptp_clock_quality(quality), now_ns)
    local = clock.local_time_properties
    wanted = replace(local, time_source=quality.time_source, time_traceable=quality.time_traceable,
                     frequency_traceable=quality.time_traceable)
    if wanted != local:
        clock.set_local_time_properties(wanted)
