# SPDX-License-Identifier: GPL-2.0-or-later
"""The GNSS reference: PPS edges stamped by the served clock, named by the receiver's NMEA.

Pulses come from the PHC's external-timestamp channel (EXTTS; the pin is
set through `phc/` when configured), read in a thread because read() on the
PHC blocks, or, in labs, from `SimulatedPps` on the daemon's SimulatedClock
(edges at the true second boundaries with seeded noise and dropouts). The
receiver's bytes come from its serial device (a pseudo-terminal in labs),
read raw and non-blocking from the event loop, or from the network: NMEA
over TCP ("tcp://HOST:PORT", a serial server) or gpsd's JSON socket
("gpsd://HOST[:PORT]", after a WATCH request), reconnecting while the
daemon runs, since a receiver that went away may come back. `GnssCombiner` (sans-IO,
ptpbridge.refs.gnss) pairs them and checks each pair against the last, so
a dropped pulse or a bad sentence costs one sample and is counted, never
fatal. Each sample (the clock's error at the pulse) goes to the reference
manager, which steers with it while this reference is selected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import termios
import threading
import time
import tty
from collections.abc import Callable
from typing import Any

import phc
from ptpbridge.config.references import GnssReferenceConfig, parse_stream_url
from ptpbridge.core.refsel import ReferenceFigures
from ptpbridge.daemon.clock_source import ServedClock
from ptpbridge.daemon.discipline import DisciplineError
from ptpbridge.daemon.source_rows import reference_row
from ptpbridge.daemon.tasks import cancel_and_wait
from ptpbridge.refs.gnss import GnssCombiner, GnssConfig, GnssSample, LabelConvention
from ptpbridge.refs.sim_pps import SimulatedPps
from ptpbridge.timebase import NS_PER_S, Timebase
from ptpbridge.wire.ptp.constants import TimeSource

log = logging.getLogger("ptpbridge.gnss")

READ_CHUNK = 4096
# gpsd sends nothing until asked; this asks for JSON reports (TPV carries the time of day).
GPSD_WATCH = b'?WATCH={"enable":true,"json":true};\n'
# Wait between connection attempts to a network time-of-day source.
RECONNECT_S = 1.0
# How long the EXTTS thread blocks per read, so it notices a stop request.
EXTTS_WAIT_S = 0.5
_BAUD = {50: termios.B50, 300: termios.B300, 1200: termios.B1200, 2400: termios.B2400,
         4800: termios.B4800, 9600: termios.B9600, 19200: termios.B19200, 38400: termios.B38400,
         57600: termios.B57600, 115200: termios.B115200, 230400: termios.B230400}

OnSample = Callable[["GnssRef", GnssSample], None]


def open_serial(path: str, baud: int) -> int:
    """The device opened raw, non-blocking, not as controlling terminal; OSError names the path."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        raise OSError(exc.errno, f"gnss: cannot open {path}: {exc.strerror}") from None
    try:
        if os.isatty(fd):
            tty.setraw(fd)
            speed = _BAUD.get(baud)
            if speed is not None:
                attrs = termios.tcgetattr(fd)
                attrs[4] = attrs[5] = speed
                termios.tcsetattr(fd, termios.TCSANOW, attrs)
    except (OSError, termios.error) as exc:
        os.close(fd)
        raise OSError(f"gnss: cannot set {path} raw at {baud} baud: {exc}") from None
    return fd


class GnssRef:
    """One GNSS receiver as a reference of the manager (duck-types `Reference`)."""

    kind = "gnss"

    def __init__(self, config: GnssReferenceConfig, served: ServedClock, timebase: Timebase,
                 lost_after: int, on_sample: OnSample,
                 monotonic_ns: Callable[[], int] = time.monotonic_ns) -> None:
        self.config = config
        self.name = config.label
        self.priority = config.priority
        self.lost_after = lost_after
        self.selected = False
        self.samples = 0
        self.last_offset_ns: int | None = None
        self.last_sample_mono_ns: int | None = None
        self.served = served
        self.combiner = GnssCombiner(
            GnssConfig(convention=LabelConvention(config.convention), cable_delay_ns=config.cable_delay_ns),
            timebase.utc_to_tai_ns)
        self._on_sample = on_sample
        self._mono = monotonic_ns
        self._fd: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pps_task: asyncio.Task[None] | None = None
        self._stream_task: asyncio.Task[None] | None = None
        self.connects = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.sim_pps: SimulatedPps | None = None
        self.io_errors = 0
        self.last_error: str | None = None

    # -- the manager's view (as Reference) ------------------------------------------

    def interval_ns(self) -> int:
        return NS_PER_S

    def healthy(self, now_mono_ns: int) -> bool:
        last = self.last_sample_mono_ns
        fresh = last is not None and now_mono_ns - last <= self.lost_after * NS_PER_S
        return fresh and self.combiner.fix.valid is not False

    def figures(self, rms_ns: float | None) -> ReferenceFigures | None:
        # A PPS has no path to measure; the last offset bounds what one sample may be off.
        return ReferenceFigures("gnss", self.name, self.config.stratum, "GPS", 0,
                                abs(self.last_offset_ns or 0), int(TimeSource.GNSS), rms_ns)

    def row(self, now_mono_ns: int, symbol: str) -> dict[str, Any]:
        age = None if self.last_sample_mono_ns is None else now_mono_ns - self.last_sample_mono_ns
        # last_offset_ns is the PHC's error at the pulse (ours minus GNSS); the row negates it.
        return reference_row(kind=self.kind, name=self.name, priority=self.priority, symbol=symbol,
                             address=self.config.device, poll=0, stratum=self.config.stratum - 1,
                             servo_offset_ns=self.last_offset_ns, last_rx_age_ns=age, samples=self.samples)

    def clock_stepped(self) -> None:
        """The servo stepped the clock: earlier pulse stamps no longer compare with new ones."""
        self.combiner.clock_stepped()

    def status(self) -> dict[str, Any]:
        s = self.combiner.status(self._mono())
        fix = s.fix
        return {
            "device": self.config.device,
            "pps": "sim" if self.config.sim_pps is not None else f"extts {self.config.pps.channel}"
            if self.config.pps is not None else None,
            "fix": {"valid": fix.valid, "quality": fix.quality, "satellites": fix.satellites,
                    "source": fix.source},
            "counters": s.counters, "nmea_errors": s.nmea_errors,
            "pps_dropped_sim": None if self.sim_pps is None else self.sim_pps.dropped,
            "last_offset_ns": None if s.last_sample is None else s.last_sample.offset_ns,
            "pulse_age_ns": s.pulse_age_ns, "label_age_ns": s.label_age_ns,
            "io_errors": self.io_errors, "last_error": self.last_error,
            "connects": self.connects,
        }

    # -- inputs -------------------------------------------------------------------

    def _emit(self, samples: list[GnssSample]) -> None:
        for sample in samples:
            self.samples += 1
            self.last_offset_ns = sample.offset_ns
            self.last_sample_mono_ns = self._mono()
            self._on_sample(self, sample)

    def _on_pulse(self, phc_ns: int) -> None:
        sample = self.combiner.on_pps(phc_ns, self._mono())
        self._emit([] if sample is None else [sample])

    def _on_readable(self) -> None:
        assert self._fd is not None
        try:
            data = os.read(self._fd, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError as exc:  # EIO: a pty whose writer went away; the receiver may come back
            self._note_error(f"reading {self.config.device}: {exc.strerror or exc}")
            return
        if data:
            self._emit(self.combiner.feed_nmea(data, self._mono()))

    async def _stream(self, scheme: str, host: str, port: int) -> None:
        """Read a network time-of-day source for as long as the daemon runs; errors are counted."""
        feed = self.combiner.feed_gpsd if scheme == "gpsd" else self.combiner.feed_nmea
        while True:
            writer: asyncio.StreamWriter | None = None
            try:
                reader, writer = await asyncio.open_connection(host, port)
                self.connects += 1
                if scheme == "gpsd":
                    writer.write(GPSD_WATCH)
                    await writer.drain()
                while data := await reader.read(READ_CHUNK):
                    self._emit(feed(data, self._mono()))
                self._note_error(f"{self.config.device}: connection closed")
            except OSError as exc:
                self._note_error(f"{self.config.device}: {exc.strerror or exc}")
            finally:
                if writer is not None:
                    writer.close()
            await asyncio.sleep(RECONNECT_S)

    def _note_error(self, text: str) -> None:
        self.io_errors += 1
        if text != self.last_error:
            log.warning("gnss %s: %s", self.name, text)
        self.last_error = text

    # -- start / stop ---------------------------------------------------------------

    async def start(self) -> None:
        """Open the receiver and the pulse input; DisciplineError (start-up stops) names what failed."""
        try:
            await self._start()
        except (OSError, ValueError, phc.PhcError) as exc:
            await self.stop()
            raise DisciplineError(f"references: {exc}") from exc

    async def _start(self) -> None:
        self._loop = asyncio.get_running_loop()
        stream = parse_stream_url(self.config.device)
        if stream is None:
            self._fd = open_serial(self.config.device, self.config.baud)
            self._loop.add_reader(self._fd, self._on_readable)
        else:
            self._stream_task = asyncio.create_task(self._stream(*stream), name=f"gnss {self.name} time of day")
        sim = self.config.sim_pps
        if sim is not None:
            clock = self.served.clock
            if not isinstance(clock, phc.SimulatedClock):
                raise ValueError(f"gnss {self.name}: sim_pps needs the simulated clock (--clock sim), "
                                 f"not {clock.name}")
            self.sim_pps = SimulatedPps(clock, noise_ns=sim.noise_ns, delay_ns=sim.delay_ns,
                                        dropout_rate=sim.dropout_rate, drop_seconds=sim.drop_seconds,
                                        seed=sim.seed)
            self._pps_task = asyncio.create_task(self._sim_pulses(self.sim_pps), name=f"gnss {self.name} pps")
        else:
            assert self.config.pps is not None
            self._start_extts(self.config.pps.channel, self.config.pps.pin)
        log.info("gnss %s: NMEA from %s, PPS %s", self.name, self.config.device,
                 "simulated" if sim is not None else f"EXTTS channel {self.config.pps.channel}"
                 if self.config.pps is not None else "?")

    async def _sim_pulses(self, pps: SimulatedPps) -> None:
        """Deliver each simulated edge when it is due on CLOCK_REALTIME (the lab's truth)."""
        while True:
            for event in pps.poll():
                self._on_pulse(event.time_ns)
            wait_ns = pps.next_edge_ns() - time.clock_gettime_ns(time.CLOCK_REALTIME)
            await asyncio.sleep(max(0, wait_ns) / NS_PER_S)

    def _start_extts(self, channel: int, pin: int | None) -> None:
        clock = self.served.clock
        if not isinstance(clock, phc.PhcClock):
            raise ValueError(f"gnss {self.name}: a PPS input needs a PHC (/dev/ptpN), not {clock.name}")
        if pin is not None:
            clock.set_pin_function(pin, phc.PinFunction.EXTTS, channel)
        clock.enable_extts(channel)
        loop = self._loop
        assert loop is not None

        def read() -> None:
            while not self._stop.is_set():
                try:
                    events = clock.read_extts(EXTTS_WAIT_S)
                except phc.PhcError as exc:
                    loop.call_soon_threadsafe(self._note_error, str(exc))
                    self._stop.wait(1.0)
                    continue
                for event in events:
                    if event.index == channel:
                        loop.call_soon_threadsafe(self._on_pulse, event.time_ns)

        self._thread = threading.Thread(target=read, name=f"gnss {self.name} extts", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stop.set()
        await cancel_and_wait(self._pps_task)
        self._pps_task = None
        await cancel_and_wait(self._stream_task)
        self._stream_task = None
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 2 * EXTTS_WAIT_S + 1)
            self._thread = None
            clock = self.served.clock
            if isinstance(clock, phc.PhcClock) and self.config.pps is not None:
                with contextlib.suppress(phc.PhcError):
                    clock.disable_extts(self.config.pps.channel)
        if self._fd is not None:
            if self._loop is not None:
                self._loop.remove_reader(self._fd)
            os.close(self._fd)
            self._fd = None
