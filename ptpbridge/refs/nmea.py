# SPDX-License-Identifier: GPL-2.0-or-later
"""NMEA 0183 sentences as GNSS receivers send them: framing, checksum, RMC, ZDA, GGA.

A sentence is ``$`` + address (talker + type, e.g. GPRMC) + comma-separated
fields + ``*`` + two hex digits (XOR of every byte between ``$`` and ``*``)
+ CR LF, at most 82 characters in all.  ``parse`` is strict and raises only
NmeaError; ``NmeaStream`` takes raw bytes in any chunking, never raises, and
counts every dropped line by reason.  Only the fields a time server needs are
decoded: time of day, date, validity and fix quality.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from ptpbridge.refs.civil import days_since_epoch
from ptpbridge.refs.errors import NmeaError
from ptpbridge.refs.lines import LineFramer

# NMEA 0183: a sentence has at most 82 characters, '$' and CR LF included.
MAX_SENTENCE = 82

_ADDRESS = re.compile(r"[A-Z][A-Z0-9]{4}|P[A-Z0-9]{1,9}")
_HEX2 = re.compile(rb"[0-9A-Fa-f]{2}")
_TIME = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{2})(?:\.([0-9]{1,9}))?")
_UINT = re.compile(r"[0-9]{1,4}")
_DECIMAL = re.compile(r"[0-9]{1,6}(?:\.[0-9]{0,6})?")
_ZONE_HOURS = re.compile(r"[-+]?[0-9]{1,2}")
# RMC mode indicator (NMEA 2.3): these say the position is not a real GNSS fix.
_RMC_NO_FIX_MODES = frozenset("NEMS")
# GGA quality: 1 GPS, 2 differential, 3 PPS, 4 RTK fixed, 5 RTK float are fixes;
# 0 invalid, 6 dead reckoning, 7 manual input, 8 simulation are not.
_GGA_FIX_QUALITIES = frozenset(range(1, 6))


def checksum(body: bytes) -> int:
    """XOR of the bytes between '$' and '*'."""
    value = 0
    for byte in body:
        value ^= byte
    return value


def frame(body: str) -> bytes:
    """A complete sentence for ``body`` (address and fields, no '$'), checksum and CR LF added."""
    raw = body.encode("ascii")
    return b"$" + raw + b"*" + f"{checksum(raw):02X}".encode() + b"\r\n"


@dataclass(frozen=True, slots=True)
class Sentence:
    """A well-framed sentence: talker ("GP", "GN", "P" for proprietary), type, fields."""

    talker: str
    kind: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TimeOfDay:
    """UTC time of day; ``second`` is 60 only in an inserted leap second (23:59:60)."""

    hour: int
    minute: int
    second: int
    nanosecond: int


@dataclass(frozen=True, slots=True)
class CivilDate:
    year: int
    month: int
    day: int


@dataclass(frozen=True, slots=True)
class Rmc:
    """Recommended minimum data: time, date and the receiver's own validity."""

    talker: str
    time: TimeOfDay | None
    date: CivilDate | None
    status_valid: bool
    mode: str | None

    @property
    def fix_valid(self) -> bool:
        return self.status_valid and (self.mode is None or self.mode not in _RMC_NO_FIX_MODES)


@dataclass(frozen=True, slots=True)
class Zda:
    """Time and date (four-digit year); carries no validity of its own."""

    talker: str
    time: TimeOfDay | None
    date: CivilDate | None
    zone_hours: int | None
    zone_minutes: int | None


@dataclass(frozen=True, slots=True)
class Gga:
    """Fix data: quality indicator and satellites in use (time of day, no date)."""

    talker: str
    time: TimeOfDay | None
    quality: int
    satellites: int | None
    hdop: float | None

    @property
    def fix_valid(self) -> bool:
        return self.quality in _GGA_FIX_QUALITIES


NmeaMessage = Rmc | Zda | Gga | Sentence


def _fail(reason: str, message: str) -> NmeaError:
    return NmeaError(reason, message)


def parse_sentence(line: bytes, *, require_checksum: bool = True,
                   max_length: int = MAX_SENTENCE) -> Sentence:
    """Check framing and checksum of one line (terminator optional); NmeaError says why not."""
    line = line.rstrip(b"\r\n")
    if len(line) + 2 > max_length:
        raise _fail("overlong", f"sentence of {len(line) + 2} characters (limit {max_length})")
    if not line.startswith(b"$"):
        raise _fail("framing", "sentence does not start with '$'")
    if any(byte < 0x20 or byte > 0x7E for byte in line):
        raise _fail("framing", "sentence holds non-printable or non-ASCII bytes")
    star = line.find(b"*")
    if star < 0:
        if require_checksum:
            raise _fail("no_checksum", "sentence has no '*hh' checksum")
        body = line[1:]
    else:
        body, given = line[1:star], line[star + 1:]
        if not _HEX2.fullmatch(given):
            raise _fail("framing", f"checksum field {given!r} is not two hex digits")
        if int(given, 16) != checksum(body):
            raise _fail("checksum", f"checksum {given.decode()} but the sentence gives "
                                    f"{checksum(body):02X}")
    if b"$" in body or b"*" in body:
        raise _fail("framing", "'$' or '*' inside a sentence")
    parts = body.decode("ascii").split(",")
    address = parts[0]
    if not _ADDRESS.fullmatch(address):
        raise _fail("address", f"address {address!r} is not talker + sentence type")
    if address.startswith("P"):
        return Sentence("P", address[1:], tuple(parts[1:]))
    return Sentence(address[:2], address[2:], tuple(parts[1:]))


def _time(text: str, kind: str) -> TimeOfDay | None:
    if not text:
        return None
    match = _TIME.fullmatch(text)
    if match is None:
        raise _fail("field", f"{kind}: time {text!r} is not hhmmss[.s]")
    hour, minute, second = (int(g) for g in match.groups()[:3])
    fraction = match.group(4) or ""
    nanosecond = int(fraction.ljust(9, "0")) if fraction else 0
    leap_ok = second == 60 and hour == 23 and minute == 59
    if hour > 23 or minute > 59 or (second > 59 and not leap_ok):
        raise _fail("field", f"{kind}: time {text!r} out of range")
    return TimeOfDay(hour, minute, second, nanosecond)


def _date(year: int, month: int, day: int, kind: str) -> CivilDate:
    try:
        days_since_epoch(year, month, day)
    except ValueError:
        raise _fail("field", f"{kind}: date {year:04d}-{month:02d}-{day:02d} does not exist") from None
    return CivilDate(year, month, day)


def _need(sentence: Sentence, count: int) -> None:
    if len(sentence.fields) < count:
        raise _fail("fields", f"{sentence.kind} with {len(sentence.fields)} fields "
                              f"(needs {count})")


def _optional_uint(text: str, kind: str, what: str) -> int | None:
    if not text:
        return None
    if not _UINT.fullmatch(text):
        raise _fail("field", f"{kind}: {what} {text!r} is not a number")
    return int(text)


def _rmc(s: Sentence) -> Rmc:
    _need(s, 11)
    status = s.fields[1]
    if status not in ("A", "V"):
        raise _fail("field", f"RMC: status {status!r} is neither A nor V")
    date = None
    if s.fields[8]:
        text = s.fields[8]
        if not re.fullmatch(r"[0-9]{6}", text):
            raise _fail("field", f"RMC: date {text!r} is not ddmmyy")
        year = int(text[4:])
        # Two-digit years: 80..99 are 1980..1999 (GPS time began 1980), the rest 20xx.
        century = 1900 if year >= 80 else 2000
        date = _date(century + year, int(text[2:4]), int(text[:2]), "RMC")
    mode = s.fields[11] if len(s.fields) > 11 and s.fields[11] else None
    if mode is not None and not re.fullmatch(r"[A-Z]", mode):
        raise _fail("field", f"RMC: mode {mode!r} is not one letter")
    return Rmc(s.talker, _time(s.fields[0], "RMC"), date, status == "A", mode)


def _zda(s: Sentence) -> Zda:
    _need(s, 6)
    day, month, year = s.fields[1:4]
    date = None
    if day or month or year:
        if not (re.fullmatch(r"[0-9]{2}", day) and re.fullmatch(r"[0-9]{2}", month)
                and re.fullmatch(r"[0-9]{4}", year)):
            raise _fail("field", f"ZDA: date {day!r},{month!r},{year!r} is not dd,mm,yyyy")
        date = _date(int(year), int(month), int(day), "ZDA")
    zone_hours = None
    if s.fields[4]:
        if not _ZONE_HOURS.fullmatch(s.fields[4]) or abs(int(s.fields[4])) > 13:
            raise _fail("field", f"ZDA: zone hours {s.fields[4]!r} out of range")
        zone_hours = int(s.fields[4])
    zone_minutes = _optional_uint(s.fields[5], "ZDA", "zone minutes")
    if zone_minutes is not None and zone_minutes > 59:
        raise _fail("field", f"ZDA: zone minutes {zone_minutes} out of range")
    return Zda(s.talker, _time(s.fields[0], "ZDA"), date, zone_hours, zone_minutes)


def _gga(s: Sentence) -> Gga:
    _need(s, 14)
    quality_text = s.fields[5]
    if not re.fullmatch(r"[0-9]", quality_text):
        raise _fail("field", f"GGA: quality {quality_text!r} is not one digit")
    hdop_text = s.fields[7]
    if hdop_text and not _DECIMAL.fullmatch(hdop_text):
        raise _fail("field", f"GGA: HDOP {hdop_text!r} is not a decimal number")
    satellites = _optional_uint(s.fields[6], "GGA", "satellites")
    return Gga(s.talker, _time(s.fields[0], "GGA"), int(quality_text), satellites,
               float(hdop_text) if hdop_text else None)


_DECODERS: dict[str, Callable[[Sentence], NmeaMessage]] = {"RMC": _rmc, "ZDA": _zda, "GGA": _gga}


def decode(sentence: Sentence) -> NmeaMessage:
    """The typed form of a known sentence; other sentences come back unchanged."""
    if sentence.talker == "P":
        return sentence
    decoder = _DECODERS.get(sentence.kind)
    return decoder(sentence) if decoder else sentence


def parse(line: bytes, *, require_checksum: bool = True,
          max_length: int = MAX_SENTENCE) -> NmeaMessage:
    """Strict: one line to a message, or NmeaError (``reason`` names the problem)."""
    return decode(parse_sentence(line, require_checksum=require_checksum, max_length=max_length))


class NmeaStream:
    """Bytes in, decoded messages out; bad lines are counted by reason and dropped.

    Leading bytes before the last '$' of a line (line noise, a sentence cut
    by a receiver reset) are dropped and counted as ``garbage``; the sentence
    after them is still parsed.
    """

    def __init__(self, *, require_checksum: bool = True, max_length: int = MAX_SENTENCE) -> None:
        self._framer = LineFramer(max_length - 2)
        self._require_checksum = require_checksum
        self._max_length = max_length
        self._errors: Counter[str] = Counter()
        self.sentences = 0

    def feed(self, data: bytes) -> list[NmeaMessage]:
        messages: list[NmeaMessage] = []
        for line in self._framer.feed(data):
            dollar = line.rfind(b"$")
            if dollar != 0:
                self._errors["garbage"] += 1
                if dollar < 0:
                    continue
                line = line[dollar:]
            try:
                messages.append(parse(line, require_checksum=self._require_checksum,
                                      max_length=self._max_length))
            except NmeaError as exc:
                self._errors[exc.reason] += 1
            else:
                self.sentences += 1
        return messages

    @property
    def errors(self) -> dict[str, int]:
        """Dropped lines by reason (overlong, garbage, checksum, framing, fields, ...)."""
        counts = dict(self._errors)
        if self._framer.overlong:
            counts["overlong"] = counts.get("overlong", 0) + self._framer.overlong
        return counts

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def reset(self) -> None:
        """Drop a partial line (the device was reopened); counters stay."""
        self._framer.reset()
