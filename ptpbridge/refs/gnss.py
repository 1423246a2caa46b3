# SPDX-License-Identifier: GPL-2.0-or-later
"""GNSS time: PPS edges stamped by the PHC, named by the receiver's time messages.

Sans-IO.  The caller hands in pulse timestamps (EXTTS events: PHC time of the
edge, integer ns) and receiver bytes (NMEA or gpsd JSON) or ready labels,
each with ``now_ns``, its own monotonic reading of when the input arrived.
Out come offset samples for the servo: the PHC's reading at the pulse minus
the true TAI time of the pulse, i.e. the PHC's error (positive: ahead).

Pairing.  Most receivers send RMC/ZDA shortly after the pulse, naming the
second that pulse began (LabelConvention.PRECEDING); some send the time of
the coming pulse ahead of it (FOLLOWING).  A label pairs with the pulse that
arrived within ``label_window_ns`` before it (or after it, for FOLLOWING);
when a pulse and receiver bytes are ready together, hand in the pulse first.
A pair becomes a sample only when it agrees with an earlier pair: the PHC
time between the two pulses must match the labels' difference in whole
seconds.  So the first pair after start (or after a clock step) only
arms the check, one wrong label costs one sample and is counted as a
mismatched second, and a receiver that really changed its idea of time is
followed after two agreeing pairs.

Delays: ``cable_delay_ns`` is how long after the true second the edge
reaches the PHC (antenna cable, receiver and distribution delay); it is
subtracted, never guessed.  UTC labels become TAI through the injected
``utc_to_tai_ns`` (pass ``Timebase.utc_to_tai_ns``: the Timebase is the one
owner of that relation); the inserted second 23:59:60 is one second after
23:59:59 on the TAI scale.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import asdict, dataclass

from ptpbridge.refs.gpsd import GpsdStream, GpsdTpv, label_from_tpv
from ptpbridge.refs.labels import TimeLabel, Unlabelled, label_from_rmc, label_from_zda
from ptpbridge.refs.nmea import MAX_SENTENCE, Gga, NmeaStream, Rmc, Zda
from ptpbridge.timebase import NS_PER_S


class LabelConvention(enum.Enum):
    PRECEDING = "preceding"  # a time message names the pulse just before it (usual NMEA)
    FOLLOWING = "following"  # a time message names the next pulse


@dataclass(frozen=True, slots=True)
class GnssConfig:
    """How to pair pulses and labels.

    ``pulse_tolerance_ns``: how far, per elapsed second, the PHC may disagree
    with whole seconds between pulses (PHC frequency error plus edge noise);
    it also bounds how far back a pair can vouch for a new one (so that one
    second stays unambiguous).  ``label_sentences``: NMEA types that name seconds.
    """

    convention: LabelConvention = LabelConvention.PRECEDING
    cable_delay_ns: int = 0
    label_window_ns: int = 900_000_000
    pulse_tolerance_ns: int = 10_000_000
    label_sentences: frozenset[str] = frozenset({"RMC", "ZDA"})
    require_checksum: bool = True
    max_sentence: int = MAX_SENTENCE

    def __post_init__(self) -> None:
        if not 0 < self.label_window_ns <= NS_PER_S:
            raise ValueError("label_window_ns must be within (0, 1 s]")
        if not 0 < self.pulse_tolerance_ns < NS_PER_S // 4:
            raise ValueError("pulse_tolerance_ns must be within (0, 250 ms)")

    @property
    def max_pair_gap_s(self) -> int:
        """The longest span over which a one-second label error still shows."""
        return max(1, NS_PER_S // (2 * self.pulse_tolerance_ns))


@dataclass(frozen=True, slots=True)
class GnssSample:
    """One measurement for the servo.

    ``offset_ns`` = ``phc_ns`` - (``tai_ns`` + cable delay): the PHC's error.
    ``phc_ns`` is the local timestamp the servo wants; ``utc_s`` the label.
    """

    offset_ns: int
    phc_ns: int
    tai_ns: int
    utc_s: int
    now_ns: int


@dataclass(frozen=True, slots=True)
class FixStatus:
    """What the receiver last said about its fix (None: it has not said).

    ``quality`` is GGA's fix quality indicator, or gpsd's TPV mode when the
    source is gpsd.
    """

    valid: bool | None = None
    quality: int | None = None
    satellites: int | None = None
    source: str | None = None
    updated_ns: int | None = None


@dataclass
class GnssCounters:
    """Every pulse and label that did not become a sample shows up in one of these."""

    pulses: int = 0
    labels: int = 0
    samples: int = 0
    pps_missing: int = 0  # whole seconds without a pulse between two pulses
    pps_spurious: int = 0  # pulses off the one-second grid (glitch, or an unreported PHC step)
    pps_unlabelled: int = 0  # pulses no label named
    labels_unpaired: int = 0  # labels with no pulse inside the window
    labels_invalid: int = 0  # the receiver said it had no valid fix
    label_no_time: int = 0  # time messages with empty time or date
    label_off_second: int = 0  # time messages not at the top of a second
    mismatched_seconds: int = 0  # labels contradicting the pulse count

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class GnssStatus:
    fix: FixStatus
    counters: dict[str, int]
    nmea_errors: dict[str, int]
    gpsd_errors: dict[str, int]
    last_sample: GnssSample | None
    receiver_utc_offset_s: int | None
    pulse_age_ns: int | None
    label_age_ns: int | None


@dataclass
class _Pulse:
    phc_ns: int
    now_ns: int
    tai_ns: int | None = None


@dataclass(frozen=True, slots=True)
class _Pair:
    phc_ns: int
    tai_ns: int


class GnssCombiner:
    """Pairs pulses with labels and turns the pairs into PHC offset samples."""

    def __init__(self, config: GnssConfig, utc_to_tai_ns: Callable[[int], int]) -> None:
        self.config = config
        self._utc_to_tai_ns = utc_to_tai_ns
        self.counters = GnssCounters()
        self._nmea = NmeaStream(require_checksum=config.require_checksum,
                                max_length=config.max_sentence)
        self._gpsd = GpsdStream()
        self._fix = FixStatus()
        self._receiver_offset: int | None = None
        self._pulse: _Pulse | None = None
        self._pending: tuple[int, int, int] | None = None  # FOLLOWING: (tai, utc_s, now)
        self._anchor: _Pair | None = None
        self._previous: _Pair | None = None
        self._last_sample: GnssSample | None = None
        self._last_label_ns: int | None = None

    # -- inputs -----------------------------------------------------------

    def on_pps(self, phc_ns: int, now_ns: int) -> GnssSample | None:
        """A pulse edge stamped by the PHC (an EXTTS event's time_ns)."""
        c = self.counters
        c.pulses += 1
        last = self._pulse
        if last is not None:
            if last.tai_ns is None:
                c.pps_unlabelled += 1
            gap = phc_ns - last.phc_ns
            seconds = (gap + NS_PER_S // 2) // NS_PER_S
            unambiguous = seconds <= self.config.max_pair_gap_s
            if seconds < 1 or (unambiguous and
                               abs(gap - seconds * NS_PER_S) > self.config.pulse_tolerance_ns * seconds):
                c.pps_spurious += 1
                self._anchor = self._previous = None
            else:
                c.pps_missing += seconds - 1
        pulse = _Pulse(phc_ns, now_ns)
        self._pulse = pulse
        if self.config.convention is LabelConvention.FOLLOWING and self._pending is not None:
            tai_ns, utc_s, label_ns = self._pending
            self._pending = None
            if 0 <= now_ns - label_ns <= self.config.label_window_ns:
                return self._pair(pulse, tai_ns, utc_s, now_ns)
            c.labels_unpaired += 1
        return None

    def on_label(self, label: TimeLabel, now_ns: int) -> GnssSample | None:
        """A receiver's statement of which UTC second a pulse marks."""
        c = self.counters
        c.labels += 1
        self._last_label_ns = now_ns
        valid = label.valid if label.valid is not None else self._fix.valid
        if valid is False:
            c.labels_invalid += 1
            return None
        tai_ns = self._utc_to_tai_ns(label.utc_s * NS_PER_S) + (NS_PER_S if label.leap_second else 0)
        if self.config.convention is LabelConvention.FOLLOWING:
            if self._pending is not None:
                if self._pending[0] == tai_ns:
                    return None  # the same second named again (RMC, then ZDA)
                c.labels_unpaired += 1
            self._pending = (tai_ns, label.utc_s, now_ns)
            return None
        pulse = self._pulse
        if pulse is None or not 0 <= now_ns - pulse.now_ns <= self.config.label_window_ns:
            c.labels_unpaired += 1
            return None
        if pulse.tai_ns is not None:
            if pulse.tai_ns != tai_ns:
                c.mismatched_seconds += 1
            return None
        return self._pair(pulse, tai_ns, label.utc_s, now_ns)

    def feed_nmea(self, data: bytes, now_ns: int) -> list[GnssSample]:
        """Raw bytes from the receiver's serial port, pty or TCP socket."""
        samples: list[GnssSample] = []
        for message in self._nmea.feed(data):
            label: TimeLabel | Unlabelled | None = None
            if isinstance(message, Rmc):
                self._fix = FixStatus(message.fix_valid, self._fix.quality, self._fix.satellites,
                                      f"{message.talker}RMC", now_ns)
                if "RMC" in self.config.label_sentences:
                    label = label_from_rmc(message)
            elif isinstance(message, Zda):
                if "ZDA" in self.config.label_sentences:
                    label = label_from_zda(message)
            elif isinstance(message, Gga):
                self._fix = FixStatus(message.fix_valid, message.quality, message.satellites,
                                      f"{message.talker}GGA", now_ns)
            samples += self._take(label, now_ns)
        return samples

    def feed_gpsd(self, data: bytes, now_ns: int) -> list[GnssSample]:
        """Raw bytes from gpsd's JSON socket (after a WATCH with json enabled)."""
        samples: list[GnssSample] = []
        for report in self._gpsd.feed(data):
            if isinstance(report, GpsdTpv):
                self._fix = FixStatus(report.fix_valid, report.mode, self._fix.satellites,
                                      f"gpsd:{report.device or '?'}", now_ns)
                if report.utc_offset_s is not None:
                    self._receiver_offset = report.utc_offset_s
                samples += self._take(label_from_tpv(report), now_ns)
        return samples

    def clock_stepped(self) -> None:
        """The PHC was stepped: earlier pulse stamps no longer compare with new ones."""
        self._pulse = None
        self._pending = None
        self._anchor = self._previous = None

    # -- outputs ----------------------------------------------------------

    def status(self, now_ns: int) -> GnssStatus:
        pulse_age = None if self._pulse is None else now_ns - self._pulse.now_ns
        label_age = None if self._last_label_ns is None else now_ns - self._last_label_ns
        return GnssStatus(self._fix, self.counters.as_dict(), self._nmea.errors, self._gpsd.errors,
                          self._last_sample, self._receiver_offset, pulse_age, label_age)

    @property
    def fix(self) -> FixStatus:
        return self._fix

    # -- pairing ----------------------------------------------------------

    def _take(self, label: TimeLabel | Unlabelled | None, now_ns: int) -> list[GnssSample]:
        if label is None:
            return []
        if label is Unlabelled.NO_TIME:
            self.counters.label_no_time += 1
            return []
        if label is Unlabelled.OFF_SECOND:
            self.counters.label_off_second += 1
            return []
        sample = self.on_label(label, now_ns)
        return [] if sample is None else [sample]

    def _judge(self, earlier: _Pair | None, pair: _Pair) -> bool | None:
        """Do two pairs agree (PHC elapsed = label difference)? None: too far apart to tell."""
        if earlier is None:
            return None
        elapsed = pair.phc_ns - earlier.phc_ns
        seconds = (elapsed + NS_PER_S // 2) // NS_PER_S
        if not 1 <= seconds <= self.config.max_pair_gap_s:
            return None
        return (pair.tai_ns - earlier.tai_ns == seconds * NS_PER_S
                and abs(elapsed - seconds * NS_PER_S) <= self.config.pulse_tolerance_ns * seconds)

    def _pair(self, pulse: _Pulse, tai_ns: int, utc_s: int, now_ns: int) -> GnssSample | None:
        pulse.tai_ns = tai_ns
        pair = _Pair(pulse.phc_ns, tai_ns)
        verdicts = (self._judge(self._anchor, pair), self._judge(self._previous, pair))
        agreed = True in verdicts
        if not agreed and False in verdicts:
            self.counters.mismatched_seconds += 1
        self._previous = pair
        if not agreed:
            return None
        self._anchor = pair
        sample = GnssSample(pulse.phc_ns - tai_ns - self.config.cable_delay_ns, pulse.phc_ns,
                            tai_ns, utc_s, now_ns)
        self.counters.samples += 1
        self._last_sample = sample
        return sample
