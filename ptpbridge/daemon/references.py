# SPDX-License-Identifier: GPL-2.0-or-later
"""The reference manager: follows the configured references, picks one, holds over, says how good.

Built by `discipline_components` when the config has `[[reference]]`
entries, next to the one `ClockDiscipline` whose servo it feeds:

* ntp: `NtpUpstream` polls the servers and pools (one selection per
  priority); each new system-peer sample of the selected group goes to
  the servo (offset = our clock - the combined upstream offset).
* system: the served clock compared with CLOCK_REALTIME every 2^poll s.
* ptp: the PTP slave port's samples, which the discipline passes through
  `sample_gate`: seen always (for health), steering only when selected.
* local: nothing to follow; what to announce when nothing else is left.

Every `TICK_S` the manager takes each reference's health (a new sample
within `lost_after_intervals` of its update interval, and for ntp a
synchronised selection), lets `ReferenceSelector` decide (fail-over at
once, fail-back after a delay), and on a switch resets the servo's
estimate (keeping its frequency: no first step is re-armed, so the clock
slews to the new reference unless the step threshold says otherwise).
With nothing selected the clock holds the average frequency it ran at
while locked. `HoldoverTracker` and `assess` then give the one
`TimeQuality` that the PTP and NTP services announce.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import phc
from ptpbridge.config.ptp import PtpConfig
from ptpbridge.config.references import (
    GnssReferenceConfig,
    LocalReferenceConfig,
    NtpReferenceConfig,
    PtpReferenceConfig,
    SystemReferenceConfig,
)
from ptpbridge.core.ntp_client import NtpSource, Sample
from ptpbridge.core.refsel import (
    Choice,
    ClockState,
    FrequencyMemory,
    HoldoverTracker,
    LocalQuality,
    QualityPolicy,
    ReferenceFigures,
    ReferenceSelector,
    TimeQuality,
    assess,
)
from ptpbridge.core.refsel.quality import FREE_RUN_CLASS, SLAVE_CAPABLE_MIN_CLASS
from ptpbridge.core.servo import ServoOutput, ServoState
from ptpbridge.daemon.clock_source import ServedClock
from ptpbridge.daemon.control import Handler
from ptpbridge.daemon.discipline import ClockDiscipline, DisciplineError
from ptpbridge.daemon.gnss_reference import GnssRef
from ptpbridge.daemon.ntp_upstream import NtpGroup, NtpUpstream
from ptpbridge.daemon.quality import QualityBoard
from ptpbridge.daemon.source_rows import reference_row
from ptpbridge.daemon.system_reference import measure_against_system
from ptpbridge.daemon.tasks import cancel_and_wait
from ptpbridge.refs.gnss import GnssSample
from ptpbridge.timebase import NS_PER_S, Timebase
from ptpbridge.wire.ptp.constants import TimeSource

if TYPE_CHECKING:
    from ptpbridge.daemon.app import Component, Daemon

log = logging.getLogger("ptpbridge.references")

TICK_S = 0.25
_LOCKED = (ServoState.LOCKED, ServoState.LOCKED_STABLE)
# A PTP reference is lost after this long without a sample even at slow Sync rates.
PTP_MIN_TIMEOUT_NS = 2 * NS_PER_S
# After a switch between references, how long the clock counts as locked while the servo re-acquires.
RELOCK_GRACE_NS = 30 * NS_PER_S
# A steering sample's delay may exceed twice the filter's lowest by this much (timestamp noise).
DELAY_GATE_SLACK_NS = 20_000
# Frequency memory for holdover: one reading per tick while locked (a minute).
FREQUENCY_WINDOW = 240


def _realtime_ns() -> int:
    return time.clock_gettime_ns(time.CLOCK_REALTIME)


def ntp_source_full(src: NtpSource) -> bool:
    """Whether every stage of the source's clock filter holds a real sample (no dummy stretches
    its root distance, so the intersection can tell a wrong server from a right one)."""
    return src.counters.accepted >= src.tuning.filter_stages


def delay_gate_ns(lowest_delay_ns: int) -> int:
    """Largest delay of a sample that may steer: twice the filter's lowest plus 20 us."""
    return 2 * lowest_delay_ns + DELAY_GATE_SLACK_NS


class Reference:
    """What the manager needs of every steering reference."""

    kind = ""

    def __init__(self, name: str, priority: int, lost_after: int) -> None:
        self.name = name
        self.priority = priority
        self.lost_after = lost_after
        self.selected = False
        self.samples = 0
        self.last_offset_ns: int | None = None
        self.last_sample_mono_ns: int | None = None
        self.stratum: int | None = None  # the source's stratum (we serve one more), where known

    def interval_ns(self) -> int:
        """Expected time between samples."""
        return NS_PER_S

    def healthy(self, now_mono_ns: int) -> bool:
        last = self.last_sample_mono_ns
        return last is not None and now_mono_ns - last <= self.lost_after * self.interval_ns()

    def figures(self, rms_ns: float | None) -> ReferenceFigures | None:
        raise NotImplementedError

    def row(self, now_mono_ns: int, symbol: str) -> dict[str, Any]:
        """One `sources` row for a reference that is not an NTP server."""
        age = None if self.last_sample_mono_ns is None else now_mono_ns - self.last_sample_mono_ns
        return reference_row(kind=self.kind, name=self.name, priority=self.priority, symbol=symbol,
                             poll=round(math.log2(self.interval_ns() / NS_PER_S)), stratum=self.stratum,
                             servo_offset_ns=self.last_offset_ns, last_rx_age_ns=age, samples=self.samples)


class NtpReference(Reference):
    """One group of ntp servers/pools (one priority)."""

    kind = "ntp"

    def __init__(self, group: NtpGroup, lost_after: int) -> None:
        super().__init__(group.name, group.priority, lost_after)
        self.group = group
        self.fed = 0  # samples that steered
        self.gated = 0  # samples kept out by the filter-full and delay gates

    def interval_ns(self) -> int:
        result = self.group.last_result
        src = None
        if result is not None and result.system_peer is not None:
            src = self.group.core.source_for(result.system_peer)
        poll = src.poll.hpoll if src is not None else min((s.poll.hpoll for s in self.group.core.sources),
                                                            default=0)
        return max(1, round(math.ldexp(NS_PER_S, poll)))

    def healthy(self, now_mono_ns: int) -> bool:
        result = self.group.core.select(now_mono_ns)
        self.group.last_result = result
        if not result.synchronised or result.system_peer is None:
            return False
        src = self.group.core.source_for(result.system_peer)
        if src is None or src.last_sample is None or not ntp_source_full(src):
            return False
        self.last_sample_mono_ns = src.last_sample.mono_ns
        return super().healthy(now_mono_ns)

    def figures(self, rms_ns: float | None) -> ReferenceFigures | None:
        r = self.group.last_result
        if r is None or not r.synchronised or r.system_peer is None:
            return None
        return ReferenceFigures("ntp", self.name, r.stratum, r.system_peer, r.root_delay_ns,
                                r.root_dispersion_ns, int(TimeSource.NTP), rms_ns)


class SystemRef(Reference):
    """CLOCK_REALTIME, compared every 2^poll s."""

    kind = "system"

    def __init__(self, config: SystemReferenceConfig, lost_after: int, samples: int) -> None:
        super().__init__(config.label, config.priority, lost_after)
        self.config = config
        self.stratum = config.stratum - 1  # the source's own, as NTP rows show the server's
        self.system_samples = samples
        self.last_delay_ns: int | None = None
        self.errors = 0
        self.last_error: str | None = None

    def interval_ns(self) -> int:
        return max(1, round(math.ldexp(NS_PER_S, self.config.poll)))

    def figures(self, rms_ns: float | None) -> ReferenceFigures | None:
        delay = self.last_delay_ns or 0
        return ReferenceFigures("system", self.name, self.config.stratum, "SYS", 0,
                                delay // 2 + abs(self.last_offset_ns or 0), int(TimeSource.OTHER), rms_ns)


class PtpRef(Reference):
    """The PTP slave port's samples, seen through the discipline's gate."""

    kind = "ptp"

    def __init__(self, config: PtpReferenceConfig, lost_after: int) -> None:
        super().__init__(config.label, config.priority, lost_after)
        self.config = config
        self.stratum = config.stratum - 1  # the source's own, as NTP rows show the server's
        self.last_source: str | None = None
        self._intervals: deque[int] = deque(maxlen=9)
        self._last_local: int | None = None

    def interval_ns(self) -> int:
        if not self._intervals:
            return NS_PER_S
        return sorted(self._intervals)[len(self._intervals) // 2]

    def healthy(self, now_mono_ns: int) -> bool:
        last = self.last_sample_mono_ns
        limit = max(PTP_MIN_TIMEOUT_NS, self.lost_after * self.interval_ns())
        return last is not None and now_mono_ns - last <= limit

    def note(self, offset_ns: int, local_ts_ns: int, source: str, now_mono_ns: int) -> None:
        if self._last_local is not None and local_ts_ns > self._last_local:
            self._intervals.append(local_ts_ns - self._last_local)
        self._last_local = local_ts_ns
        self.samples += 1
        self.last_offset_ns = offset_ns
        self.last_sample_mono_ns = now_mono_ns
        self.last_source = source

    def figures(self, rms_ns: float | None) -> ReferenceFigures | None:
        bound = abs(self.last_offset_ns or 0)
        return ReferenceFigures("ptp", self.name, self.config.stratum, "PTP", 0, bound,
                                int(TimeSource.PTP), rms_ns)


class ReferenceManager:
    """`Component`: the references, the selection, holdover and the time-quality board."""

    name = "references"

    def __init__(self, daemon: Daemon, discipline: ClockDiscipline, *,
                 monotonic_ns: Callable[[], int] = time.monotonic_ns,
                 realtime_ns: Callable[[], int] = _realtime_ns) -> None:
        cfg = daemon.config
        assert daemon.served is not None
        self.served: ServedClock = daemon.served
        self.timebase: Timebase = daemon.timebase
        self.discipline = discipline
        self._mono = monotonic_ns
        self._realtime = realtime_ns
        lost = cfg.selection.lost_after_intervals
        steering = [r for r in cfg.reference if r.type in ("ntp", "system", "ptp", "gnss")]
        if steering and self.served.clock.kind == "system":
            raise DisciplineError(
                "references: the served clock is the system clock, which the daemon never steers; "
                "serve a PHC (--clock ptpN) or a simulated clock, or keep only a \"local\" reference")
        ntp_entries = [r for r in cfg.reference if isinstance(r, NtpReferenceConfig)]
        self.upstream: NtpUpstream | None = None
        self.references: list[Reference | GnssRef] = []
        order: list[tuple[int, Reference | GnssRef]] = []
        if ntp_entries:
            interface = next((e.interface for e in ntp_entries if e.interface), None)
            if interface is None and cfg.interfaces:
                interface = cfg.interfaces[0]
            key_file = None if cfg.ntp is None or cfg.ntp.key_file is None else str(cfg.ntp.key_file)
            self.upstream = NtpUpstream(self.served, self.timebase, ntp_entries, interface=interface,
                                        default_key_file=key_file, on_update=self._on_ntp_update,
                                        monotonic_ns=monotonic_ns)
            for group in self.upstream.groups:
                first = next(i for i, r in enumerate(cfg.reference) if r is group.entries[0])
                order.append((first, NtpReference(group, lost)))
        self.ptp: PtpRef | None = None
        self.system: SystemRef | None = None
        self.local: LocalReferenceConfig | None = None
        self.gnss: list[GnssRef] = []
        for i, r in enumerate(cfg.reference):
            if isinstance(r, SystemReferenceConfig):
                self.system = SystemRef(r, lost, cfg.discipline.system_samples)
                order.append((i, self.system))
            elif isinstance(r, PtpReferenceConfig):
                self.ptp = PtpRef(r, lost)
                order.append((i, self.ptp))
            elif isinstance(r, LocalReferenceConfig):
                self.local = r
            elif isinstance(r, GnssReferenceConfig):
                gnss = GnssRef(r, self.served, self.timebase, lost, self._on_gnss_sample, monotonic_ns)
                self.gnss.append(gnss)
                order.append((i, gnss))
        self.references = [ref for _, ref in sorted(order, key=lambda t: t[0])]
        if self.ptp is not None:
            discipline.sample_gate = self._ptp_gate
        discipline.driver = "references"
        h = cfg.holdover
        self.policy = QualityPolicy(h.locked_class, h.holdover_class, h.degraded_class,
                                    h.degraded_clock_accuracy, h.degraded_offset_scaled_log_variance,
                                    h.drift_ppb, self._slave_capable_class(cfg.ptp))
        self.local_quality = None if self.local is None else LocalQuality(
            self.local.stratum, self.local.clock_class, self.local.reference_id)
        self.selector = ReferenceSelector(round(cfg.selection.failback_delay_s * NS_PER_S))
        self.holdover = HoldoverTracker(round(h.budget_s * NS_PER_S), self.local is not None)
        self.memory = FrequencyMemory(FREQUENCY_WINDOW)
        self.held_frequency_ppb: float | None = None
        self.last_figures: ReferenceFigures | None = None
        self._figures_samples = -1
        self._relock_until: int | None = None
        self.last_update_utc_ns: int | None = None
        self.last_update_mono_ns: int | None = None
        self.transitions: deque[dict[str, Any]] = deque(maxlen=32)
        self.board = QualityBoard(self._assess(self._mono()))
        daemon.quality = self.board
        self._next_system_ns: int | None = None
        self._task: asyncio.Task[None] | None = None

    def _slave_capable_class(self, ptp: PtpConfig | None) -> int | None:
        """With a ptp reference, the class that still lets our port be a slave (see quality.py)."""
        if self.ptp is None:
            return None
        configured = FREE_RUN_CLASS if ptp is None else ptp.clock_class
        return configured if configured >= SLAVE_CAPABLE_MIN_CLASS else FREE_RUN_CLASS

    # -- references feeding the servo ------------------------------------------

    def _by_name(self, name: str | None) -> Reference | GnssRef | None:
        return next((r for r in self.references if r.name == name), None)

    def _ptp_gate(self, offset_ns: int, local_ts_ns: int, source: str) -> bool:
        assert self.ptp is not None
        self.ptp.note(offset_ns, local_ts_ns, source, self._mono())
        return self.selector.selected == self.ptp.name

    def _on_ntp_update(self, group: NtpGroup, src: NtpSource, sample: Sample) -> None:
        """A new sample of one server: steer with it when its group is selected and it is fit.

        The servo gets single measurements, not the clock filter's estimate:
        the filter keeps the lowest-delay sample of the last eight, and once
        the servo slews the clock every older sample is off by what it
        slewed since, so the estimate would feed stale offsets back (RFC 5905
        pairs its filter with a slow loop; ours is fast). The filter still
        decides which servers are truechimers; of those, a sample steers when
        the server's filter is full (its interval no longer stretched by
        dummy stages) and its delay is near the filter's lowest (a queued
        packet makes an asymmetric, so wrong, offset).
        """
        ref = self._by_name(group.name)
        result = group.last_result
        if not isinstance(ref, NtpReference) or result is None or not result.synchronised:
            return
        ref.samples += 1
        ref.last_offset_ns = -sample.offset_ns
        if self.selector.selected != ref.name or src.address not in result.survivors:
            return
        est = src.estimate
        if not ntp_source_full(src) or est is None or sample.delay_ns > delay_gate_ns(est.delay_ns):
            ref.gated += 1
            return
        now = self._mono()
        try:
            local_now = self.served.clock.now_ns()
        except phc.PhcError as exc:
            log.warning("references: reading %s: %s", self.served.clock.name, exc)
            return
        spacing = math.ldexp(1.0, src.poll.hpoll) / max(1, len(result.survivors))
        self.discipline.set_log_sync_interval(math.floor(math.log2(spacing)))
        local_ts = local_now - (now - sample.mono_ns)
        ref.fed += 1
        self._steered(self.discipline.steer(-sample.offset_ns, local_ts, f"ntp {src.address}"))

    def _on_gnss_sample(self, ref: GnssRef, sample: GnssSample) -> None:
        """A PPS pulse paired with its NMEA label: steer with it while this receiver is selected."""
        if self.selector.selected != ref.name:
            return
        self.discipline.set_log_sync_interval(0)
        out = self.discipline.steer(sample.offset_ns, sample.phc_ns, f"gnss {ref.name}")
        if out is not None and out.step_ns is not None:
            ref.clock_stepped()
        self._steered(out)

    def _poll_system(self, now: int) -> None:
        ref = self.system
        if ref is None:
            return
        if self._next_system_ns is not None and now < self._next_system_ns:
            return
        self._next_system_ns = now + ref.interval_ns()
        try:
            sample = measure_against_system(self.served, self.timebase, ref.system_samples, self._realtime)
        except phc.PhcError as exc:
            ref.errors += 1
            if str(exc) != ref.last_error:
                log.warning("references: system clock comparison: %s", exc)
            ref.last_error = str(exc)
            return
        ref.samples += 1
        ref.last_offset_ns = sample.offset_ns
        ref.last_delay_ns = sample.delay_ns
        ref.last_sample_mono_ns = now
        if self.selector.selected == ref.name:
            self.discipline.set_log_sync_interval(ref.config.poll)
            self._steered(self.discipline.steer(sample.offset_ns, sample.local_ts_ns, "CLOCK_REALTIME"))

    def _steered(self, out: ServoOutput | None) -> None:
        if out is not None and out.step_ns is not None:
            log.info("references: servo stepped the clock by %+d ns", out.step_ns)

    # -- selection, holdover, quality ------------------------------------------

    def servo_locked(self) -> bool:
        return self.discipline.servo.status().state in _LOCKED

    def tick(self) -> TimeQuality:
        """One evaluation (the loop calls it every TICK_S; tests call it in simulated time)."""
        now = self._mono()
        self._poll_system(now)
        choices = [Choice(r.name, r.priority, r.healthy(now)) for r in self.references]
        switch = self.selector.update(now, choices)
        if switch is not None:
            log.info("references: %s -> %s (%s)", switch.old or "none", switch.new or "none", switch.reason)
            for r in self.references:
                r.selected = r.name == switch.new
            self.discipline.reset()
            self._figures_samples = -1
            handover = switch.old is not None and switch.new is not None
            self._relock_until = (now + RELOCK_GRACE_NS
                                  if handover and self.holdover.state is ClockState.LOCKED else None)
            self._note_transition(now, "switch", f"{switch.old or 'none'} -> {switch.new or 'none'}: "
                                                 f"{switch.reason}")
            if switch.new is None:
                self._hold_frequency()
            else:
                self.held_frequency_ppb = None
        selected = self._by_name(self.selector.selected)
        servo_locked = selected is not None and self.servo_locked()
        if servo_locked or selected is None or (self._relock_until is not None and now >= self._relock_until):
            self._relock_until = None
        # A switch between two good references restarts the servo's estimate, but the clock is
        # as good as it was: it stays "locked" while the servo re-acquires (at most RELOCK_GRACE).
        locked = servo_locked or self._relock_until is not None
        if servo_locked:
            try:
                self.memory.note_locked(self.served.clock.frequency_ppb())
            except phc.PhcError:
                pass
        if locked:
            assert selected is not None
            # Refreshed only on a new sample: a reference going silent must not pass on the
            # figures of its decaying selection as those of the last good update.
            fresh = selected.samples != self._figures_samples
            figures = selected.figures(self.discipline.servo.status().rms_ns) if fresh else None
            if figures is not None:
                self._figures_samples = selected.samples
                self.last_figures = figures
                self.last_update_utc_ns = self._utc_now()
                self.last_update_mono_ns = now
        old_state = self.holdover.state
        state = self.holdover.update(now, locked and self.last_figures is not None)
        if state is not old_state:
            self._note_transition(now, "state", f"{old_state.value} -> {state.value}")
        quality = self._assess(now)
        self.board.publish(quality)
        return quality

    def _hold_frequency(self) -> None:
        """Nothing to follow: run on at the average locked frequency (without the phase terms)."""
        held = self.memory.frequency_ppb
        if held is None:
            return
        try:
            self.served.clock.adjust_frequency(held)
        except phc.PhcError as exc:
            log.warning("references: holding frequency: %s", exc)
            return
        self.discipline.servo.seed_frequency(held)
        self.held_frequency_ppb = held
        log.info("references: holdover at %+.3f ppb (mean of %d locked readings)", held, self.memory.samples)

    def _utc_now(self) -> int:
        return self.timebase.to_utc_ns(self.served.clock.now_ns(), self.served.timescale)

    def _assess(self, now: int) -> TimeQuality:
        try:
            now_utc = self._utc_now()
        except phc.PhcError:
            now_utc = self.last_update_utc_ns or 0
        return assess(self.holdover.state, self.last_figures, self.policy, self.local_quality,
                      now_utc_ns=now_utc, last_update_utc_ns=self.last_update_utc_ns,
                      holdover_ns=self.holdover.holdover_ns(now))

    def _note_transition(self, now: int, kind: str, text: str) -> None:
        self.transitions.append({"mono_ns": now, "utc_ns": self._safe_utc(), "kind": kind, "what": text})

    def _safe_utc(self) -> int | None:
        try:
            return self._utc_now()
        except phc.PhcError:
            return None

    # -- Component -----------------------------------------------------------------

    async def start(self) -> None:
        if self.upstream is not None:
            await self.upstream.start()
        for gnss in self.gnss:
            await gnss.start()
        self._task = asyncio.create_task(self._loop(), name="references")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        if self.upstream is not None:
            await self.upstream.stop()
        for gnss in self.gnss:
            await gnss.stop()

    async def _loop(self) -> None:
        while True:
            try:
                self.tick()
            except Exception:  # a bug must not silently end the references
                log.exception("references: evaluation failed")
            await asyncio.sleep(TICK_S)

    # -- status, sources, tracking -----------------------------------------------------

    def sources(self) -> list[dict[str, Any]]:
        """One row per NTP source and per other reference, chronyc-style symbols."""
        now = self._mono()
        rows: list[dict[str, Any]] = []
        for ref in self.references:
            if isinstance(ref, NtpReference):
                assert self.upstream is not None
                for row in self.upstream.rows(ref.group):
                    row = dict(row, reference=ref.name, priority=ref.priority)
                    if row["symbol"] == "*" and not ref.selected:
                        row["symbol"], row["state"] = "+", "candidate"  # peer of a group not steering
                    rows.append(row)
                continue
            healthy = ref.healthy(now)
            rows.append(ref.row(now, "*" if ref.selected and healthy else ("+" if healthy else "?")))
        if self.local is not None:
            state = self.holdover.state is ClockState.LOCAL
            rows.append(reference_row(kind="local", name=self.local.label, priority=self.local.priority,
                                      symbol="*" if state else "~", state="selected" if state else "standby",
                                      poll=None, stratum=self.local.stratum, servo_offset_ns=None,
                                      last_rx_age_ns=None, samples=0))
        return rows

    def tracking(self) -> dict[str, Any]:
        """The chronyc-tracking-like summary."""
        q = self.board.current
        servo = self.discipline.servo.status()
        try:
            frequency = self.served.clock.frequency_ppb()
        except phc.PhcError:
            frequency = math.nan
        held = self.memory.frequency_ppb
        now = self._mono()
        since = None if self.last_update_mono_ns is None else now - self.last_update_mono_ns
        selected = self._by_name(self.selector.selected)
        try:
            dispersion_now = q.root_dispersion_at(self._utc_now())
        except phc.PhcError:
            dispersion_now = q.root_dispersion_ns
        return {
            **q.as_dict(),
            "root_dispersion_ns": dispersion_now,
            "selected": self.selector.selected,
            "leap": self.timebase.leap.value,
            "utc_offset_s": self.timebase.utc_offset_s,
            "servo": self.discipline.servo_kind,
            "servo_state": servo.state.value,
            "last_offset_ns": servo.last_offset_ns,
            "rms_offset_ns": None if servo.rms_ns is None else round(servo.rms_ns, 1),
            "frequency_ppb": frequency,
            "residual_frequency_ppb": None if held is None else frequency - held,
            "skew_ppb": self.memory.spread_ppb(),
            "update_interval_ns": None if selected is None else selected.interval_ns(),
            "last_update_age_ns": since,
            "holdover_budget_ns": self.holdover.budget_ns,
            "held_frequency_ppb": self.held_frequency_ppb,
            "steps": self.discipline.steps,
            "switches": self.selector.switches,
            "true_time_error_ns": self.served.true_time_error_ns(self.timebase),
            "transitions": list(self.transitions),
        }

    def status(self) -> dict[str, Any]:
        q = self.board.current
        return {"state": q.state.value, "selected": self.selector.selected, "clock_class": q.clock_class,
                "stratum": q.stratum if q.ntp_synchronised else 16, "switches": self.selector.switches,
                "references": [{"name": r.name, "kind": r.kind, "priority": r.priority,
                                "healthy": r.healthy(self._mono()), "samples": r.samples,
                                **({"steered": r.fed, "gated": r.gated} if isinstance(r, NtpReference) else {})}
                               for r in self.references],
                **({"gnss": {g.name: g.status() for g in self.gnss}} if self.gnss else {}),
                "true_time_error_ns": self.served.true_time_error_ns(self.timebase)}

    def control_handlers(self) -> dict[str, Handler]:
        async def sources(_request: dict[str, Any]) -> dict[str, Any]:
            return {"sources": self.sources()}

        async def tracking(_request: dict[str, Any]) -> dict[str, Any]:
            return self.tracking()

        return {"sources": sources, "tracking": tracking}


def reference_components(daemon: Daemon) -> list[Component]:
    """The discipline (with the configured servo settings) and the manager that drives it."""
    assert daemon.served is not None
    has_ptp = any(r.type == "ptp" for r in daemon.config.reference)
    # The discipline takes PTP slave samples (through the gate) only with a ptp reference;
    # ntp and system samples come from the manager.
    config = daemon.config.discipline.model_copy(update={"source": "ptp" if has_ptp else "none"})
    discipline = ClockDiscipline(config, daemon.served, daemon.timebase)
    return [discipline, ReferenceManager(daemon, discipline)]
