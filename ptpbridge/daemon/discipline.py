# SPDX-License-Identifier: GPL-2.0-or-later
"""The clock-discipline component: one servo steering the served clock from one source.

Sources (config `[discipline] source`): "system" polls the served clock
against CLOCK_REALTIME every 2^log_poll_interval s; "ptp" takes the offsets
a PTP port in SLAVE hands to `submit_sample` (find this component with
`discipline_of(daemon)`); "none" only applies the drift file and lets the
clock run free.  Only the served clock is ever stepped or slewed, and never
when it is the system clock: the constructor refuses that configuration
before anything is touched.

With `[[reference]]` entries the reference manager (daemon/references.py)
drives this discipline instead: it feeds `steer` with the selected
reference's samples and, for a ptp reference, sees every slave sample first
through `sample_gate`, which lets only the selected reference's through.

The synchronous methods (`prepare`, `poll_system`, `submit_sample`,
`finish`) carry all the logic, with CLOCK_REALTIME and the monotonic clock
injected, so tests and `ptpbridge bench servo` run this very component in
simulated time; `start`/`stop` only add the asyncio polling task.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import phc
from ptpbridge.config.discipline import DisciplineConfig
from ptpbridge.core.servo import ServoConfig, ServoOutput, ServoState, create_servo
from ptpbridge.daemon.clock_source import ServedClock
from ptpbridge.daemon.control import Handler
from ptpbridge.daemon.drift_keeper import DriftKeeper
from ptpbridge.daemon.system_reference import measure_against_system
from ptpbridge.daemon.tasks import cancel_and_wait
from ptpbridge.timebase import NS_PER_S, Timebase

if TYPE_CHECKING:
    from ptpbridge.daemon.app import Component, Daemon

log = logging.getLogger("ptpbridge.discipline")

SYSTEM_SOURCE = "CLOCK_REALTIME"
# A PTP master silent this many sync intervals (and at least HOLD_AFTER_MIN_NS) is gone for the servo.
HOLD_AFTER_INTERVALS = 4
HOLD_AFTER_MIN_NS = 500_000_000
HOLD_CHECK_S = 0.1
_LOCKED = (ServoState.LOCKED, ServoState.LOCKED_STABLE)


class DisciplineError(Exception):
    """The configured discipline cannot run; the message says why and what to change."""


def _realtime_ns() -> int:
    return time.clock_gettime_ns(time.CLOCK_REALTIME)


def refuse_system_clock(config: DisciplineConfig, served: ServedClock) -> None:
    """Steering CLOCK_REALTIME affects every program on the host, and no key allows it yet."""
    if served.clock.kind != "system":
        return
    if config.source != "none":
        raise DisciplineError(
            f'discipline: source = "{config.source}" would steer the system clock, which is the '
            'clock being served; serve a PHC (--clock ptpN) or a simulated clock, or set '
            'source = "none"')
    if config.drift_file is not None:
        raise DisciplineError(
            f"discipline: drift_file {config.drift_file} would set the system clock's frequency, "
            "which is the clock being served; remove drift_file or serve a PHC")


class ClockDiscipline:
    """Feeds one servo from the configured source and applies its answers to the served clock."""

    name = "discipline"

    def __init__(self, config: DisciplineConfig, served: ServedClock, timebase: Timebase, *,
                 realtime_ns: Callable[[], int] = _realtime_ns,
                 monotonic_ns: Callable[[], int] = time.monotonic_ns) -> None:
        refuse_system_clock(config, served)
        self.config = config
        self.served = served
        self.timebase = timebase
        self._realtime_ns = realtime_ns
        self.servo_kind = config.servo_kind()
        self.servo = create_servo(
            self.servo_kind,
            max_frequency_ppb=served.clock.max_frequency_ppb(),
            sync_interval_s=self.poll_interval_s if config.source == "system" else 1.0,
            config=ServoConfig(first_step_threshold_ns=config.first_step_threshold_ns,
                               step_threshold_ns=config.step_threshold_ns),
        )
        self.drift = DriftKeeper(config.drift_file, monotonic_ns)
        self._monotonic_ns = monotonic_ns
        self.initial_frequency_ppb: float | None = None
        self.initial_frequency_from: str | None = None
        self.steps = 0
        self.last_step_ns: int | None = None
        self.resets = 0
        self.ignored_samples = 0
        self.errors = 0
        self.last_error: str | None = None
        self.last_source: str | None = None
        self._state: ServoState | None = None
        self._task: asyncio.Task[None] | None = None
        # Set by the reference manager ([[reference]]): sees every PTP sample first and
        # says whether it may steer (the PTP reference is the selected one).
        self.sample_gate: Callable[[int, int, str], bool] | None = None
        # "references" when the reference manager feeds this discipline (status shows it as the source).
        self.driver: str | None = None
        # PTP samples: when the last one came (monotonic ns) and whether the servo holds since.
        self._last_sample_mono: int | None = None
        self.holding = False
        self.holdovers = 0

    @property
    def poll_interval_s(self) -> float:
        return math.ldexp(1.0, self.config.log_poll_interval)

    # -- the logic, time injected ------------------------------------------

    def prepare(self) -> None:
        """Before the first sample: apply the drift file's frequency and seed the servo with it.

        Without a usable file the servo starts from the clock's present
        adjustment (as phc2sys does), so a daemon restart on a PHC that kept
        its adjustment does not throw that away.
        """
        clock = self.served.clock
        value = self.drift.load(clock.max_frequency_ppb())
        if value is None:
            self.initial_frequency_ppb = clock.frequency_ppb()
            self.initial_frequency_from = "clock"
        else:
            clock.adjust_frequency(value)
            self.initial_frequency_ppb = value
            self.initial_frequency_from = "drift-file"
            log.info("applied %+.3f ppb from drift file %s", value, self.config.drift_file)
        self.servo.seed_frequency(self.initial_frequency_ppb)

    def poll_system(self) -> ServoOutput | None:
        """One system-clock comparison fed to the servo (source "system"); None on a clock error."""
        try:
            sample = measure_against_system(self.served, self.timebase, self.config.system_samples,
                                            self._realtime_ns)
        except phc.PhcError as exc:
            self._error(f"measuring against the system clock: {exc}")
            return None
        return self._feed(sample.offset_ns, sample.local_ts_ns, SYSTEM_SOURCE)

    def submit_sample(self, offset_ns: int, local_ts_ns: int, source: str) -> ServoOutput | None:
        """A PTP slave port's measurement (offset = served clock - master, at local time
        ``local_ts_ns`` of the served clock); ``source`` names port and master for status.

        Returns what was applied (a step, if any, already happened: the port
        should restart its filters), or None when ignored: the source is not
        "ptp", or the clock refused the adjustment.
        """
        if self.config.source != "ptp":
            self.ignored_samples += 1
            return None
        if self.sample_gate is not None and not self.sample_gate(offset_ns, local_ts_ns, source):
            self.ignored_samples += 1
            return None
        return self._feed(offset_ns, local_ts_ns, source)

    def steer(self, offset_ns: int, local_ts_ns: int, source: str) -> ServoOutput | None:
        """A measurement of the reference the reference manager selected (same meaning as
        submit_sample's); None when the clock refused the adjustment."""
        return self._feed(offset_ns, local_ts_ns, source)

    def set_log_sync_interval(self, log_interval: int) -> None:
        """The PTP master's Sync interval (2^log_interval s), which scales the servo's gains."""
        self.servo.set_log_sync_interval(log_interval)

    def reset(self) -> None:
        """A new master: start a fresh estimate, keeping the frequency and without re-arming
        the first step, so agreeing masters hand over without a jump."""
        self.servo.reset()
        self.resets += 1
        self._state = None

    def finish(self) -> None:
        """At clean shutdown: store the last good frequency."""
        self.drift.flush()

    def hold_if_quiet(self, now_mono_ns: int) -> bool:
        """PTP samples stopped for HOLD_AFTER_INTERVALS sync intervals (at least HOLD_AFTER_MIN_NS):
        run on the servo's estimate of the clock's own frequency until they return.

        Why: the last output carries a phase correction meant for the next
        interval or few; a grandmaster that vanishes leaves it applied until the
        port gives up on it and another master takes over (announceReceiptTimeout
        x the Announce interval: 6 s by default), which measured 35 us of walk.
        Returns True when it switched to holding now.
        """
        last = self._last_sample_mono
        if self.holding or last is None or self.config.source != "ptp":
            return False
        quiet_ns = max(round(HOLD_AFTER_INTERVALS * self.servo.sync_interval * NS_PER_S), HOLD_AFTER_MIN_NS)
        if now_mono_ns - last < quiet_ns:
            return False
        clock = self.served.clock
        try:
            ppb = self.servo.hold(clock.now_ns())
            clock.adjust_frequency(ppb)
        except phc.PhcError as exc:
            self._error(f"holding: {exc}")
            return False
        self.holding = True
        self.holdovers += 1
        log.info("no PTP sample for %.1f s: holding %s at %+.3f ppb", (now_mono_ns - last) / NS_PER_S,
                 clock.name, ppb)
        return True

    async def _watch_loop(self) -> None:
        """Checks for a silent master a few times a second (PTP source)."""
        while True:
            self.hold_if_quiet(self._monotonic_ns())
            await asyncio.sleep(HOLD_CHECK_S)

    def _feed(self, offset_ns: int, local_ts_ns: int, source: str) -> ServoOutput | None:
        self._last_sample_mono = self._monotonic_ns()
        self.holding = False
        debug = log.isEnabledFor(logging.DEBUG)
        true_te = self.served.true_time_error_ns(self.timebase) if debug else None
        out = self.servo.sample(offset_ns, local_ts_ns)
        if debug:
            # One line a sample, like ptp4l's per-sample output; with a simulated clock the true
            # error beside the measured offset is the measurement's own error.
            log.debug("sample %+d ns at %d from %s; true time error %s ns; servo %s, %+.1f ppb, window %s",
                      offset_ns, local_ts_ns, source, true_te, out.state.value, out.frequency_ppb,
                      getattr(self.servo, "window_points", "-"))
        self.last_source = source
        clock = self.served.clock
        try:
            if out.step_ns is not None:
                clock.step(out.step_ns)
                self.steps += 1
                self.last_step_ns = out.step_ns
                log.info("stepped %s by %+d ns (offset %+d ns from %s)",
                         clock.name, out.step_ns, offset_ns, source)
            clock.adjust_frequency(out.frequency_ppb)
        except phc.PhcError as exc:
            self.servo.reset()  # the servo assumed its answer was applied
            self._error(f"steering: {exc}")
            return None
        if out.state is not self._state:
            log.info("servo %s: %s (offset %+d ns, frequency %+.3f ppb)", self.servo_kind,
                     out.state.value, offset_ns, out.frequency_ppb)
            self._state = out.state
        if out.state in _LOCKED:
            self.drift.note_locked(out.frequency_ppb)
        return out

    def _error(self, message: str) -> None:
        self.errors += 1
        if message != self.last_error:
            log.warning("%s", message)
        self.last_error = message

    # -- Component ---------------------------------------------------------

    async def start(self) -> None:
        self.prepare()
        if self.config.source == "system":
            self._task = asyncio.create_task(self._poll_loop(), name="discipline-system")
        elif self.config.source == "ptp":
            self._task = asyncio.create_task(self._watch_loop(), name="discipline-hold")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        self.finish()

    async def _poll_loop(self) -> None:
        """Poll on a fixed grid; after a stall, resume from now rather than bursting."""
        loop = asyncio.get_running_loop()
        interval = self.poll_interval_s
        due = loop.time()
        while True:
            try:
                self.poll_system()
            except Exception as exc:  # a bug must not silently stop the discipline
                log.exception("system-clock discipline failed")
                self._error(f"internal error: {exc!r}")
            due += interval
            delay = due - loop.time()
            if delay < 0:
                due, delay = loop.time(), 0.0
            await asyncio.sleep(delay)

    def status(self) -> dict[str, Any]:
        servo = self.servo.status()
        running = self.config.source != "none" or self.driver is not None
        return {
            "source": self.driver or self.config.source,
            "servo": self.servo_kind,
            "state": servo.state.value if running else "free-run",
            "last_source": self.last_source,
            "poll_interval_s": self.poll_interval_s if self.config.source == "system" else None,
            "last_offset_ns": servo.last_offset_ns,
            "frequency_ppb": self.served.clock.frequency_ppb(),
            "rms_ns": None if servo.rms_ns is None else round(servo.rms_ns, 1),
            "rms_samples": servo.rms_samples,
            "samples": servo.samples,
            "rejected_samples": servo.rejected,  # left out of the fit as spikes (linreg)
            "steps": self.steps,
            "last_step_ns": self.last_step_ns,
            "resets": self.resets,
            "holding": self.holding,  # PTP samples stopped: running on the estimated frequency
            "holdovers": self.holdovers,
            "ignored_samples": self.ignored_samples,
            "errors": self.errors,
            "last_error": self.last_error,
            "initial_frequency_ppb": self.initial_frequency_ppb,
            "initial_frequency_from": self.initial_frequency_from,
            "drift_file": self.drift.status(),
            "true_time_error_ns": self.served.true_time_error_ns(self.timebase),
        }

    def control_handlers(self) -> dict[str, Handler]:
        return {}


def discipline_components(daemon: Daemon) -> list[Component]:
    """The daemon's component factory: always one discipline (a free-running one reports so)."""
    assert daemon.served is not None
    if daemon.config.reference:  # [[reference]] entries: the reference manager drives this discipline
        from ptpbridge.daemon.references import reference_components

        return reference_components(daemon)
    return [ClockDiscipline(daemon.config.discipline, daemon.served, daemon.timebase)]


def discipline_of(daemon: Daemon) -> ClockDiscipline | None:
    """The running discipline, for the PTP service to hand its slave samples to."""
    for component in daemon.components:
        if isinstance(component, ClockDiscipline):
            return component
    return None
