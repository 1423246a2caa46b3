# SPDX-License-Identifier: GPL-2.0-or-later
"""The GNSS combiner's pairing rules, fed by hand: pulses, labels, and what goes wrong."""

from __future__ import annotations

import datetime

import pytest

from ptpbridge.refs.gnss import GnssCombiner, GnssConfig, GnssSample, LabelConvention
from ptpbridge.refs.labels import TimeLabel
from ptpbridge.refs.leapfile import LeapTable
from ptpbridge.refs.leapwriter import format_leap_seconds_list
from ptpbridge.refs.nmea import frame
from ptpbridge.timebase import Timebase

from .helpers import NS, posix

T0 = posix(2024, 5, 1, 12)
PHC_ERROR = 1234  # the PHC reads TAI + 1234 ns
LATENCY = 200_000_000


def _phc(utc_s: int, offset_s: int = 37, error: int = PHC_ERROR) -> int:
    return (utc_s + offset_s) * NS + error


def _label(utc_s: int, valid: bool | None = True) -> TimeLabel:
    return TimeLabel(utc_s, False, valid, "test")


def _combiner(**config: object) -> GnssCombiner:
    settings = GnssConfig(**config)  # type: ignore[arg-type]
    return GnssCombiner(settings, Timebase(utc_offset_s=37).utc_to_tai_ns)


def _second(c: GnssCombiner, utc_s: int, *, pulse: bool = True, label: TimeLabel | None = None
            ) -> list[GnssSample]:
    """One true second: pulse at the boundary, label LATENCY later (PRECEDING convention)."""
    out = []
    if pulse:
        sample = c.on_pps(_phc(utc_s), utc_s * NS)
        out += [sample] if sample else []
    sample = c.on_label(label or _label(utc_s), utc_s * NS + LATENCY)
    return out + ([sample] if sample else [])


def test_offsets_after_one_confirming_pair() -> None:
    c = _combiner()
    samples = [s for i in range(5) for s in _second(c, T0 + i)]
    assert len(samples) == 4  # the first pair has nothing to agree with yet
    assert all(s.offset_ns == PHC_ERROR for s in samples)
    assert [s.utc_s for s in samples] == [T0 + i for i in range(1, 5)]
    assert samples[0].phc_ns == _phc(T0 + 1) and samples[0].tai_ns == (T0 + 1 + 37) * NS
    assert c.counters.samples == 4 and c.counters.mismatched_seconds == 0


def test_cable_delay_shifts_offsets_by_exactly_its_value() -> None:
    plain, delayed = _combiner(), _combiner(cable_delay_ns=83_456)
    a = [s for i in range(4) for s in _second(plain, T0 + i)]
    b = [s for i in range(4) for s in _second(delayed, T0 + i)]
    assert [x.offset_ns - y.offset_ns for x, y in zip(a, b)] == [83_456] * 3


def test_dropped_pulse_is_counted_and_survived() -> None:
    c = _combiner()
    samples = []
    for i in range(6):
        samples += _second(c, T0 + i, pulse=(i != 3))
    assert c.counters.pps_missing == 1
    assert c.counters.labels_unpaired == 1
    assert [s.utc_s for s in samples] == [T0 + 1, T0 + 2, T0 + 4, T0 + 5]


def test_wrong_second_is_counted_and_dropped() -> None:
    c = _combiner()
    samples = []
    for i in range(6):
        samples += _second(c, T0 + i, label=_label(T0 + i + (1 if i == 3 else 0)))
    assert c.counters.mismatched_seconds == 1
    assert [s.utc_s for s in samples] == [T0 + 1, T0 + 2, T0 + 4, T0 + 5]
    assert all(s.offset_ns == PHC_ERROR for s in samples)


def test_receiver_that_jumps_is_followed_after_two_agreeing_pairs() -> None:
    c = _combiner()
    for i in range(3):
        _second(c, T0 + i)
    # From now on every label is one second late (e.g. the receiver changed its mind).
    first = _second(c, T0 + 3, label=_label(T0 + 2))
    second = _second(c, T0 + 4, label=_label(T0 + 3))
    assert first == [] and c.counters.mismatched_seconds == 1
    assert len(second) == 1 and second[0].offset_ns == PHC_ERROR + NS


def test_invalid_fix_gives_no_samples() -> None:
    c = _combiner()
    samples = [s for i in range(4) for s in _second(c, T0 + i, label=_label(T0 + i, valid=False))]
    assert samples == [] and c.counters.labels_invalid == 4
    assert c.counters.pps_unlabelled == 3  # the fourth pulse is still the latest


def test_zda_follows_the_last_rmc_validity() -> None:
    c = _combiner()
    c.feed_nmea(frame("GPRMC,120000.00,V,,,,,,,010524,,,N"), 0)
    assert c.fix.valid is False
    assert c.counters.labels_invalid == 1  # the void RMC itself
    _second(c, T0, label=_label(T0, valid=None))
    assert c.counters.labels_invalid == 2  # a ZDA-like label, no verdict of its own


def test_spurious_pulse_restarts_the_count() -> None:
    c = _combiner()
    for i in range(3):
        _second(c, T0 + i)
    c.on_pps(_phc(T0 + 3) - NS // 2, (T0 + 3) * NS - NS // 2)  # a glitch half a second early
    samples = [s for i in range(3, 7) for s in _second(c, T0 + i)]
    assert c.counters.pps_spurious == 2  # the glitch, and the true pulse half a second after it
    assert [s.utc_s for s in samples] == [T0 + 4, T0 + 5, T0 + 6]


def test_label_outside_the_window_is_unpaired() -> None:
    c = _combiner(label_window_ns=100_000_000)
    assert _second(c, T0) == []
    assert c.counters.labels_unpaired == 1


def test_duplicate_labels_for_one_pulse() -> None:
    c = _combiner()
    _second(c, T0)
    _second(c, T0 + 1)
    assert c.on_label(_label(T0 + 1), (T0 + 1) * NS + LATENCY + 1) is None  # ZDA after RMC
    assert c.counters.mismatched_seconds == 0
    assert c.on_label(_label(T0 + 7), (T0 + 1) * NS + LATENCY + 2) is None
    assert c.counters.mismatched_seconds == 1


def test_following_convention() -> None:
    c = _combiner(convention=LabelConvention.FOLLOWING)
    samples = []
    for i in range(6):
        sample = c.on_pps(_phc(T0 + i), (T0 + i) * NS)
        samples += [sample] if sample else []
        # The message LATENCY after pulse S names S + 1: the pulse still to come.
        assert c.on_label(_label(T0 + i + 1), (T0 + i) * NS + LATENCY) is None
    # Pulse T0 had no label before it, T0+1 only armed the check; samples come with pulses.
    assert [s.utc_s for s in samples] == [T0 + 2, T0 + 3, T0 + 4, T0 + 5]
    assert all(s.offset_ns == PHC_ERROR for s in samples)
    assert all(s.now_ns == (s.utc_s * NS) for s in samples)


def test_clock_step_rearms() -> None:
    c = _combiner()
    for i in range(3):
        _second(c, T0 + i)
    c.clock_stepped()
    stepped = [s for i in range(3, 6) for s in _second(c, T0 + i)]
    assert len(stepped) == 2 and c.counters.pps_unlabelled == 0


def test_leap_second_labels_stay_continuous() -> None:
    """Across an inserted second, labels 23:59:59, 23:59:60, 00:00:00 are one TAI second apart."""
    leap_at = posix(2031, 7, 1)
    table = LeapTable.parse(format_leap_seconds_list(
        [(posix(1972, 1, 1) * NS, 10), (posix(2017, 1, 1) * NS, 11), (leap_at * NS, 12)],
        posix(2031, 1, 1) * NS, posix(2032, 1, 1) * NS))

    def utc_to_tai(utc_ns: int) -> int:
        return utc_ns + table.utc_offset_at(utc_ns) * NS

    c = GnssCombiner(GnssConfig(), utc_to_tai)
    labels = [TimeLabel(leap_at - 3, False, True, "t"), TimeLabel(leap_at - 2, False, True, "t"),
              TimeLabel(leap_at - 1, False, True, "t"), TimeLabel(leap_at - 1, True, True, "t"),
              TimeLabel(leap_at, False, True, "t"), TimeLabel(leap_at + 1, False, True, "t")]
    tai0 = (leap_at - 3 + 11) * NS  # TAI of 23:59:57
    samples = []
    for n, label in enumerate(labels):
        phc = tai0 + n * NS + 500
        c.on_pps(phc, n * NS)
        sample = c.on_label(label, n * NS + LATENCY)
        samples += [sample] if sample else []
    assert [s.offset_ns for s in samples] == [500] * 5
    assert c.counters.mismatched_seconds == 0


def test_config_is_checked() -> None:
    with pytest.raises(ValueError):
        GnssConfig(label_window_ns=0)
    with pytest.raises(ValueError):
        GnssConfig(pulse_tolerance_ns=NS // 2)


def _tpv(utc_s: int, mode: int = 3) -> bytes:
    stamp = datetime.datetime.fromtimestamp(utc_s, datetime.timezone.utc)
    return (f'{{"class":"TPV","device":"/dev/gnss0","mode":{mode},'
            f'"time":"{stamp:%Y-%m-%dT%H:%M:%S}.000Z","leapseconds":18}}\n').encode()


def test_gpsd_reports_label_pulses_and_carry_leap_information() -> None:
    c = _combiner()
    samples = []
    for i in range(4):
        sample = c.on_pps(_phc(T0 + i), (T0 + i) * NS)
        samples += [sample] if sample else []
        samples += c.feed_gpsd(b'{"class":"PPS","real_sec":1,"real_nsec":0,"clock_sec":1,'
                               b'"clock_nsec":0}\n' + _tpv(T0 + i), (T0 + i) * NS + LATENCY)
    assert [s.offset_ns for s in samples] == [PHC_ERROR] * 3
    status = c.status((T0 + 4) * NS)
    assert status.receiver_utc_offset_s == 37  # gpsd leapseconds 18 (GPS - UTC) + 19
    assert status.fix.valid and status.fix.quality == 3 and status.fix.source == "gpsd:/dev/gnss0"
    assert status.pulse_age_ns == NS and status.label_age_ns == NS - LATENCY
    c.feed_gpsd(b"{oops\n" + _tpv(T0 + 4, mode=1), (T0 + 4) * NS + LATENCY)
    assert c.status(0).gpsd_errors == {"json": 1}
    assert c.fix.valid is False and c.counters.labels_invalid == 1


def test_nmea_without_usable_time_is_counted() -> None:
    c = _combiner()
    c.feed_nmea(frame("GPZDA,,,,,,") + frame("GPZDA,120000.50,01,05,2024,,")
                + frame("GPRMC,120000.00,A,,,,,,,,,,A") + b"$GPZDA,bad*00\r\n", 0)
    assert c.counters.label_no_time == 2  # the empty ZDA and the RMC without a date
    assert c.counters.label_off_second == 1
    assert c.status(0).nmea_errors == {"checksum": 1}
    assert c.counters.labels == 0
