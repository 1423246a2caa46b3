# SPDX-License-Identifier: GPL-2.0-or-later
"""The slave glue: a PTP port's measurements steer the served clock through the discipline.

The core measures (SyncSample, PathDelaySample) and the discipline steers;
this module sits between them in the daemon, so neither knows the other:

* every SyncSample of a port in UNCALIBRATED/SLAVE, once its path delay is
  known, goes to ``ClockDiscipline.submit_sample`` (when `[discipline]
  source = "ptp"`);
* a step invalidates the measurements in flight (t1/t2 from before the step
  paired with t3/t4 after it), so the port's delay state is dropped and no
  sample is fed until fresh delay measurements came in;
* a new parent's first offsets wait for HANDOVER_SETTLE_DELAYS fresh path
  delays (the delay filter restarts with the parent); no sample reaches the
  servo meanwhile, and after a silent master it is holding already;
* a new parent does not restart the servo when the masters agree: the
  servo carries on (its frequency and its window of offsets stay valid, and
  a fresh estimate from a handful of noisy samples would move the frequency
  by ppm, i.e. tens of us within a second). Only when the median of the
  first ``HANDOVER_SAMPLES`` offsets from the new parent is beyond
  ``HANDOVER_AGREE_NS`` is the servo reset (keeping its frequency, no first
  step), so a master that disagrees is pulled in from a fresh estimate;
* when the port waits for the servo (the core's ``calibrate_on_first_sync``
  off), servo lock moves it UNCALIBRATED -> SLAVE and a lost lock back.

Timescales. Our timestamps are TAI. A master announcing ``ptpTimescale``
sends TAI and is compared as is. A master announcing the ARB timescale is
taken to count UTC: that is what a linuxptp grandmaster on CLOCK_REALTIME
(software timestamping) does (its Announce carries ARB, currentUtcOffset 37,
currentUtcOffsetValid 0, and its origin timestamps read CLOCK_REALTIME, as a
capture shows). Its timestamps get the UTC offset added before the
comparison: the master's currentUtcOffset when it marks it valid, else our
Timebase's. So our clock keeps running on TAI behind either master, and two
masters that agree on UTC agree here too.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ptpbridge.core.ptp import ParentChanged, PathDelaySample, PtpClock, StateChanged, SyncSample
from ptpbridge.core.servo import ServoState
from ptpbridge.timebase import NS_PER_S, Timebase
from ptpbridge.wire.ptp.constants import DelayMechanism, PortState

if TYPE_CHECKING:
    from ptpbridge.daemon.discipline import ClockDiscipline

SLAVE_STATES = frozenset({PortState.UNCALIBRATED, PortState.SLAVE})
_LOCKED = frozenset({ServoState.LOCKED, ServoState.LOCKED_STABLE})
RMS_SAMPLES = 16
# Sync intervals remembered to infer the master's logSyncInterval (the servo's gains).
_INTERVALS = 9
# After a parent change: offsets looked at, and how close to zero their median must be,
# for the new master to count as agreeing with the old (software stamps differ by a few us
# between masters; a disagreeing master is tens of us off or more).
HANDOVER_SAMPLES = 3
HANDOVER_AGREE_NS = 20_000
# After a parent change an E2E port's path delay restarts from one measurement; its first
# offsets wait for this many. Two: the filter's median of two is their minimum, and a software stamp's outliers are late
# ones; each more costs a Delay_Req interval on average before the port is SLAVE again, and
# the switch has a deadline (announceReceiptTimeout x interval + 1 s).
HANDOVER_SETTLE_DELAYS = 2


@dataclass
class SlavePortStats:
    """What one port measured against its parent, for status."""

    samples: int = 0
    skipped: int = 0
    last_offset_ns: int | None = None
    last_path_delay_ns: int | None = None
    utc_correction_ns: int = 0
    offsets: deque[int] = field(default_factory=lambda: deque(maxlen=RMS_SAMPLES))
    last_t2_ns: int | None = None
    intervals: deque[int] = field(default_factory=lambda: deque(maxlen=_INTERVALS))

    def rms_ns(self) -> float | None:
        if not self.offsets:
            return None
        return math.sqrt(sum(o * o for o in self.offsets) / len(self.offsets))


class SlaveGlue:
    """Routes one PtpClock's slave actions to the discipline (None or not "ptp": status only)."""

    def __init__(self, clock: PtpClock[Any], discipline: ClockDiscipline | None, timebase: Timebase,
                 monotonic_ns: Callable[[], int] = time.monotonic_ns) -> None:
        self.clock = clock
        self.discipline = discipline
        self.timebase = timebase
        self._monotonic_ns = monotonic_ns
        self.ports: dict[int, SlavePortStats] = {n: SlavePortStats() for n in clock.ports}
        self.parent: str | None = None
        self.parent_changes = 0
        self.log_sync_interval: int | None = None
        # Delay measurements still needed after a step before samples are trusted again.
        self._settle: dict[int, int] = {}
        # First offsets from a new parent, until the hand-over is decided (None: decided).
        self._handover: list[int] | None = None
        self.handovers_carried_on = 0
        self.handovers_reset = 0
        # CLOCK_MONOTONIC (ns) when the first sample went to the discipline: the servo's
        # own time zero, which convergence is measured from (bench ptp-follow).
        self.first_sample_monotonic_ns: int | None = None

    @property
    def active(self) -> bool:
        """Whether samples steer the clock (the discipline's source is "ptp")."""
        return self.discipline is not None and self.discipline.config.source == "ptp"

    def note(self, action: object) -> None:
        """One core action (anything but SendMessage); unknown kinds are ignored."""
        if isinstance(action, SyncSample):
            self._on_sync(action)
        elif isinstance(action, PathDelaySample):
            self.ports[action.port].last_path_delay_ns = action.mean_path_delay_ns
            if self._settle.get(action.port, 0) > 0:
                self._settle[action.port] -= 1
        elif isinstance(action, ParentChanged):
            self._on_parent(action)
        elif isinstance(action, StateChanged) and action.new not in SLAVE_STATES:
            self._settle.pop(action.port, None)

    def utc_correction_ns(self) -> int:
        """What to add to the parent's timestamps to make them TAI (0 for a PTP-timescale one)."""
        tp = self.clock.time_properties_ds
        if tp.ptp_timescale:
            return 0
        seconds = tp.current_utc_offset if tp.current_utc_offset_valid else self.timebase.utc_offset_s
        return seconds * NS_PER_S

    def _on_parent(self, action: ParentChanged) -> None:
        parent = None if action.is_grandmaster else str(action.parent_port_identity)
        if parent == self.parent:
            return
        had_parent = self.parent is not None
        self.parent = parent
        self.parent_changes += 1
        for stats in self.ports.values():
            stats.offsets.clear()
            stats.last_t2_ns = None
            stats.intervals.clear()
        if had_parent and self.active:
            self._handover = []
            # The first fresh delay alone can be off by the path's whole jitter (tens of us in a
            # software-stamped lab; 10.7 us of true error seen right after a failover).
            for number in self.ports:
                if self.clock.port(number).config.delay_mechanism is DelayMechanism.E2E:
                    self._settle[number] = HANDOVER_SETTLE_DELAYS

    def _decide_handover(self, offset: int) -> None:
        """Carry the servo on to the new parent if it agrees with the old one, else reset it."""
        assert self._handover is not None and self.discipline is not None
        self._handover.append(offset)
        if len(self._handover) < HANDOVER_SAMPLES:
            return
        middle = sorted(self._handover)[len(self._handover) // 2]
        self._handover = None
        if abs(middle) > HANDOVER_AGREE_NS:
            self.handovers_reset += 1
            self.discipline.reset()
        else:
            self.handovers_carried_on += 1

    def _on_sync(self, sample: SyncSample) -> None:
        number = sample.port
        stats = self.ports[number]
        port = self.clock.port(number)
        if port.state not in SLAVE_STATES:
            return
        self._track_interval(stats, sample.t2_ns)
        raw = sample.offset_ns
        if raw is None:
            return
        correction = self.utc_correction_ns()
        offset = raw - correction
        stats.utc_correction_ns = correction
        stats.last_offset_ns = offset
        stats.samples += 1
        if self._settle.get(number, 0) > 0:
            stats.skipped += 1
            return
        stats.offsets.append(offset)
        if not self.active:
            return
        assert self.discipline is not None
        if self._handover is not None:
            self._decide_handover(offset)
        if self.first_sample_monotonic_ns is None:
            self.first_sample_monotonic_ns = self._monotonic_ns()
        out = self.discipline.submit_sample(offset, sample.t2_ns, f"ptp port {number} {self.parent}")
        if out is None:
            return
        if out.step_ns is not None:
            self._after_step(number)
        if not self.clock.config.calibrate_on_first_sync:
            now = self._monotonic_ns()
            if port.state is PortState.UNCALIBRATED and out.state in _LOCKED:
                self.clock.master_clock_selected(number, now)
            elif port.state is PortState.SLAVE and out.state not in _LOCKED:
                self.clock.synchronization_fault(number, now)

    def _after_step(self, number: int) -> None:
        """Measurements in flight straddle the step: drop them and wait for fresh delays."""
        port = self.clock.port(number)
        stats = self.ports[number]
        stats.offsets.clear()
        stats.last_t2_ns = None
        port.slave.restart_offsets()  # offsets start again near zero
        if port.config.delay_mechanism is DelayMechanism.E2E:
            port.slave.reset()  # the next Delay_Req exchange is entirely after the step
            self._settle[number] = 1
        else:
            self._settle[number] = 2  # the Pdelay exchange in flight may straddle the step

    def _track_interval(self, stats: SlavePortStats, t2_ns: int) -> None:
        """Infer the master's Sync interval from arrivals (the median of the last few)."""
        last, stats.last_t2_ns = stats.last_t2_ns, t2_ns
        if last is None or t2_ns <= last:
            return
        stats.intervals.append(t2_ns - last)
        if len(stats.intervals) < 5:
            return
        median = sorted(stats.intervals)[len(stats.intervals) // 2]
        log_interval = round(math.log2(median / NS_PER_S))
        if log_interval != self.log_sync_interval:
            self.log_sync_interval = log_interval
            if self.active:
                assert self.discipline is not None
                self.discipline.set_log_sync_interval(log_interval)

    def status(self) -> dict[str, Any]:
        """Per port in a slave state: offset, delay, servo, RMS; and the true time error."""
        disc = self.discipline
        servo = disc.servo.status() if disc is not None else None
        ports = []
        for number, stats in self.ports.items():
            port = self.clock.port(number)
            if port.state not in SLAVE_STATES:
                continue
            rms = stats.rms_ns()
            ports.append({
                "number": number,
                "state": port.state.name,
                "offset_ns": stats.last_offset_ns,
                "mean_path_delay_ns": stats.last_path_delay_ns,
                "rms_ns": None if rms is None else round(rms, 1),
                "rms_samples": len(stats.offsets),
                "samples": stats.samples,
                "skipped_after_step": stats.skipped,
                # Samples the core's outlier gate kept from the servo (sample_filter.py).
                "rejected_offsets": port.slave.rejected_offsets,
                "rejected_delays": (port.peer.rejected_delays
                                    if port.config.delay_mechanism is DelayMechanism.P2P
                                    else port.slave.rejected_delays),
                "raw_path_delay_ns": (port.peer.delay_filter.last_raw_ns
                                      if port.config.delay_mechanism is DelayMechanism.P2P
                                      else port.slave.delay_filter.last_raw_ns),
                # Medians of the last 64: Sync t2 - t1 (= master-to-slave + our offset) and
                # Delay_Req t4 - t3 (= slave-to-master - our offset), or for P2P the Pdelay
                # requester's t2 - t1 and t4 - t3; with the true offset, each direction's delay.
                "apparent_ms_ns": port.slave.apparent_ms.median(),
                "apparent_sm_ns": port.slave.apparent_sm.median(),
                "apparent_pdelay_out_ns": port.peer.apparent_out.median(),
                "apparent_pdelay_back_ns": port.peer.apparent_back.median(),
                "utc_correction_ns": stats.utc_correction_ns,
            })
        true_te = disc.served.true_time_error_ns(disc.timebase) if disc is not None else None
        return {
            "steering": self.active,
            "parent": self.parent,
            "parent_changes": self.parent_changes,
            # Parent changes where the servo carried on / was reset (HANDOVER_AGREE_NS).
            "handovers_carried_on": self.handovers_carried_on,
            "handovers_reset": self.handovers_reset,
            "master_timescale": "ptp" if self.clock.time_properties_ds.ptp_timescale else "arb (taken as utc)",
            "log_sync_interval": self.log_sync_interval,
            "servo_state": None if servo is None else servo.state.value,
            "frequency_ppb": None if disc is None else disc.served.clock.frequency_ppb(),
            "true_time_error_ns": true_te,
            "first_sample_monotonic_ns": self.first_sample_monotonic_ns,
            "ports": ports,
        }


def _ns(value: int | float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ns"


def slave_rows(slave: dict[str, Any]) -> list[tuple[str, str]]:
    """The `slave` part of the ptp status as rows of `ptpbridge status`'s human table."""
    rows: list[tuple[str, str]] = []
    for port in slave.get("ports", []):
        n = port["number"]
        rows += [
            (f"PTP slave port {n}", f"{port['state']}, offset {_ns(port['offset_ns'])}, path delay "
                                    f"{_ns(port['mean_path_delay_ns'])} (raw {_ns(port['raw_path_delay_ns'])}), "
                                    f"RMS {_ns(port['rms_ns'])} over {port['rms_samples']} samples"),
            (f"PTP slave port {n} samples", f"{port['samples']} offsets, {port['rejected_offsets']} offsets and "
                                            f"{port['rejected_delays']} delays rejected as outliers, "
                                            f"{port['skipped_after_step']} skipped after a step or a new parent"),
        ]
    if rows:
        freq = slave["frequency_ppb"]
        rows.append(("PTP slave servo", f"{slave['servo_state']}, frequency "
                                        f"{'-' if freq is None else f'{freq:+,.1f} ppb'}, "
                                        f"true time error {_ns(slave['true_time_error_ns'])}"))
    return rows
