# SPDX-License-Identifier: GPL-2.0-or-later
"""End to end with the stand-ins: a SimulatedClock's PPS events and NMEA through a real pty.

The test owns time (a FakeTime as CLOCK_REALTIME), so the true error of the
simulated PHC at each pulse is known exactly and no assertion depends on
how fast this machine is.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterator

import pytest

from phc.phc_clock import ExttsEvent
from phc.sim_clock import SimulatedClock
from ptpbridge.refs.gnss import GnssCombiner, GnssConfig, GnssSample, LabelConvention
from ptpbridge.refs.nmea import NmeaMessage, NmeaStream, Rmc
from ptpbridge.refs.sim_pps import SimulatedPps
from ptpbridge.refs.sim_receiver import SimulatedReceiver, open_pty
from ptpbridge.timebase import Timebase

from .helpers import NS, FakeTime, posix, read_exact

UTC_OFFSET = 37
START = posix(2025, 3, 1, 6, 0, 0)
PHC_OFFSET = UTC_OFFSET * NS + 1234  # a PHC on TAI, 1234 ns ahead
LATENCY = 180_000_000


@pytest.fixture
def pty() -> Iterator[tuple[int, int]]:
    master, slave, path = open_pty()
    assert path.startswith("/dev/pts/")
    yield master, slave
    os.close(master)
    os.close(slave)


class Rig:
    """Clock, PPS source, receiver and combiner, advanced one true second at a time."""

    def __init__(self, pty: tuple[int, int], *, noise_ns: float = 0.0, delay_ns: int = 0,
                 cable_delay_ns: int = 0, drop_pulses: tuple[int, ...] = (),
                 bad_seconds: tuple[int, ...] = (), drop_nmea: tuple[int, ...] = (),
                 convention: LabelConvention = LabelConvention.PRECEDING) -> None:
        self.time = FakeTime(START * NS + NS // 3)
        self.clock = SimulatedClock(offset_ns=PHC_OFFSET, frequency_error_ppb=2.5,
                                    time_source=self.time)
        self.pps = SimulatedPps(self.clock, noise_ns=noise_ns, delay_ns=delay_ns, seed=7,
                                drop_seconds=drop_pulses, time_source=self.time)
        self.master, self.slave = pty
        self.receiver = SimulatedReceiver(self.master, latency_ns=LATENCY, time_source=self.time,
                                          sentences=("GGA", "RMC", "ZDA"), bad_seconds=bad_seconds,
                                          drop_seconds=drop_nmea, convention=convention)
        self.combiner = GnssCombiner(GnssConfig(cable_delay_ns=cable_delay_ns, convention=convention),
                                     Timebase(utc_offset_s=UTC_OFFSET).utc_to_tai_ns)
        self.events: list[ExttsEvent] = []

    def run(self, seconds: int) -> list[GnssSample]:
        samples: list[GnssSample] = []
        for s in range(START + 1, START + 1 + seconds):
            self.time.now = self.pps.true_edge_ns(s)
            for event in self.pps.poll():
                self.events.append(event)
                sample = self.combiner.on_pps(event.time_ns, self.time.now)
                samples += [sample] if sample else []
            self.time.now = s * NS + LATENCY
            written = self.receiver.poll()
            if written:
                samples += self.combiner.feed_nmea(read_exact(self.slave, written), self.time.now)
        return samples

    def truth(self, sample: GnssSample, delay_ns: int = 0) -> int:
        """The PHC's true error against TAI when the edge reached it (exact)."""
        edge = sample.utc_s * NS + delay_ns
        return self.clock.from_system_ns(edge) - edge - UTC_OFFSET * NS


def test_offsets_equal_the_true_error_exactly(pty: tuple[int, int]) -> None:
    rig = Rig(pty)
    samples = rig.run(20)
    assert len(samples) == 19  # the first pair only arms the check
    truths = [rig.truth(s) for s in samples]
    assert [s.offset_ns for s in samples] == truths
    assert truths[0] != truths[-1]  # the clock runs 2.5 ppb fast: the error moves
    assert 1234 <= truths[0] < truths[-1] < 1234 + 100
    status = rig.combiner.status(rig.time.now)
    assert status.fix.valid and status.fix.satellites == 8 and status.fix.quality == 1
    assert status.nmea_errors == {}
    assert status.counters["pps_missing"] == 0 and status.counters["mismatched_seconds"] == 0


def test_dropped_pulse_and_bad_sentences_are_counted_and_survived(pty: tuple[int, int]) -> None:
    rig = Rig(pty, drop_pulses=(START + 6,), bad_seconds=(START + 12,))
    samples = rig.run(20)
    counters = rig.combiner.status(rig.time.now).counters
    assert counters["pps_missing"] == 1
    assert counters["labels_unpaired"] == 2  # RMC and ZDA of the second without a pulse
    assert rig.combiner.status(rig.time.now).nmea_errors == {"checksum": 3}  # GGA, RMC, ZDA
    assert counters["pps_unlabelled"] == 1  # the pulse whose sentences were all bad
    named = {s.utc_s for s in samples}
    assert START + 6 not in named and START + 12 not in named
    assert len(samples) == 17
    assert [s.offset_ns for s in samples] == [rig.truth(s) for s in samples]


def test_receiver_dropout_is_survived(pty: tuple[int, int]) -> None:
    rig = Rig(pty, drop_nmea=(START + 4, START + 5))
    samples = rig.run(10)
    assert rig.combiner.counters.pps_unlabelled == 2
    assert [s.utc_s for s in samples] == [START + i for i in (2, 3, 6, 7, 8, 9, 10)]


def test_pps_noise_stays_within_its_sigma(pty: tuple[int, int]) -> None:
    sigma = 100
    rig = Rig(pty, noise_ns=sigma)
    samples = rig.run(60)
    errors = [s.offset_ns - rig.truth(s) for s in samples]
    assert len(errors) == 59
    assert all(abs(e) <= 5 * sigma for e in errors)
    rms = math.sqrt(sum(e * e for e in errors) / len(errors))
    assert 0.6 * sigma < rms < 1.4 * sigma


def test_cable_delay(pty: tuple[int, int]) -> None:
    """The edge reaches the PHC 150 ns late; compensating exactly that gives the truth again."""
    delay = 150
    late = Rig(pty, delay_ns=delay)
    raw = late.run(6)
    assert [s.offset_ns for s in raw] == [late.truth(s, delay) + delay for s in raw]
    compensated = Rig(pty, delay_ns=delay, cable_delay_ns=delay)
    fixed = compensated.run(6)
    assert [s.offset_ns for s in fixed] == [compensated.truth(s, delay) for s in fixed]
    assert [a.offset_ns - b.offset_ns for a, b in zip(raw, fixed)] == [delay] * len(raw)


def test_following_receiver(pty: tuple[int, int]) -> None:
    rig = Rig(pty, convention=LabelConvention.FOLLOWING)
    samples = rig.run(8)
    assert [s.utc_s for s in samples] == [START + i for i in range(3, 9)]
    assert [s.offset_ns for s in samples] == [rig.truth(s) for s in samples]


def test_pps_events_are_exact_clock_readings() -> None:
    time = FakeTime(START * NS + 5)
    clock = SimulatedClock(offset_ns=PHC_OFFSET, frequency_error_ppb=-40.0, time_source=time)
    pps = SimulatedPps(clock, index=2, time_source=time, sleep=time.sleep)
    time.now = (START + 3) * NS
    events = pps.poll()
    assert [e.index for e in events] == [2, 2, 2]
    assert [e.time_ns for e in events] == [clock.from_system_ns((START + i) * NS) for i in (1, 2, 3)]
    # read_extts waits (on the injected sleep) for the next edge, as PhcClock's would block.
    more = pps.read_extts(timeout=5.0)
    assert time.now == (START + 4) * NS
    assert [e.time_ns for e in more] == [clock.from_system_ns((START + 4) * NS)]
    assert pps.read_extts(timeout=0.25) == [] and time.now == (START + 4) * NS + NS // 4


def test_pps_dropout_rate_is_seeded() -> None:
    time = FakeTime(START * NS)
    clock = SimulatedClock(time_source=time)
    a = SimulatedPps(clock, dropout_rate=0.3, seed=1, time_source=time)
    b = SimulatedPps(clock, dropout_rate=0.3, seed=1, time_source=time)
    seconds = range(START, START + 200)
    fate_a = [a.event_for(s) is None for s in seconds]
    assert fate_a == [b.event_for(s) is None for s in reversed(seconds)][::-1]
    assert 30 < sum(fate_a) < 90


def test_receiver_in_real_time(pty: tuple[int, int]) -> None:
    """The lab mode: a thread writes on CLOCK_REALTIME; the sentences name true seconds."""
    master, slave = pty
    receiver = SimulatedReceiver(master, latency_ns=0, sentences=("RMC",))
    stop = threading.Event()
    before = receiver.next_due_ns() // NS
    thread = threading.Thread(target=receiver.run, args=(stop,), daemon=True)
    thread.start()
    try:
        stream = NmeaStream()
        messages: list[NmeaMessage] = []
        while not messages:
            messages = stream.feed(read_exact(slave, 1, timeout_s=10.0))
    finally:
        stop.set()
        thread.join(timeout=10.0)
    assert not thread.is_alive()
    rmc = messages[0]
    assert isinstance(rmc, Rmc) and rmc.fix_valid
    assert rmc.time is not None and rmc.date is not None
    named = posix(rmc.date.year, rmc.date.month, rmc.date.day, rmc.time.hour, rmc.time.minute,
                  rmc.time.second)
    assert named >= before
