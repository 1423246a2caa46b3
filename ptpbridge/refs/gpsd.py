# SPDX-License-Identifier: GPL-2.0-or-later
"""gpsd's JSON reports (one object per line): TPV, TOFF and PPS, as a time server needs them.

TPV carries the fix mode (0 unknown, 1 no fix, 2 2D, 3 3D), the time of the
fix and, from newer gpsd, ``leapseconds`` (GPS - UTC).  TOFF and PPS pair
"real" GNSS time with the system clock reading when gpsd saw the serial
message (TOFF) or the pulse (PPS), as seconds + nanoseconds.  Other classes
come back as GpsdOther.  ``parse_gpsd`` raises only GpsdError; GpsdStream
never raises and counts dropped lines by reason.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ptpbridge.refs.civil import days_since_epoch
from ptpbridge.refs.errors import GpsdError
from ptpbridge.refs.labels import TimeLabel, Unlabelled, label_at
from ptpbridge.refs.lines import LineFramer
from ptpbridge.refs.nmea import CivilDate, TimeOfDay
from ptpbridge.timebase import NS_PER_S

# TAI - GPS time: GPS time began equal to UTC on 1980-01-06, when TAI - UTC was 19 s.
TAI_MINUS_GPS_S = 19
# gpsd's SKY reports with many satellites run to a few kB.
MAX_GPSD_LINE = 16_384

_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
                  r"(?:\.([0-9]{1,9}))?Z")


@dataclass(frozen=True, slots=True)
class GpsdTpv:
    device: str | None
    mode: int
    date: CivilDate | None
    time: TimeOfDay | None
    leapseconds: int | None

    @property
    def fix_valid(self) -> bool:
        return self.mode >= 2

    @property
    def utc_offset_s(self) -> int | None:
        """TAI - UTC from the receiver's GPS - UTC, when gpsd reports it."""
        return None if self.leapseconds is None else self.leapseconds + TAI_MINUS_GPS_S


@dataclass(frozen=True, slots=True)
class GpsdTimeOffset:
    """A TOFF or PPS report: GNSS ("real") time against the system clock, in ns."""

    kind: str
    device: str | None
    real_ns: int
    clock_ns: int
    precision: int | None
    qerr_ps: int | None


@dataclass(frozen=True, slots=True)
class GpsdOther:
    kind: str


GpsdReport = GpsdTpv | GpsdTimeOffset | GpsdOther


def _int(obj: dict[str, Any], key: str, required: bool) -> int | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise GpsdError("schema", f"{obj.get('class')}: no {key!r}")
        return None
    if type(value) is not int:
        raise GpsdError("schema", f"{obj.get('class')}: {key!r} is not an integer")
    return value


def _str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise GpsdError("schema", f"{obj.get('class')}: {key!r} is not a string")
    return value


def parse_iso_time(text: str) -> tuple[CivilDate, TimeOfDay]:
    """gpsd's "2024-06-30T23:59:60.000Z" as date and time of day (exact, integer ns)."""
    match = _ISO.fullmatch(text)
    if match is None:
        raise GpsdError("schema", f"time {text!r} is not ISO 8601 UTC")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = match.group(7) or ""
    leap_ok = second == 60 and hour == 23 and minute == 59
    if hour > 23 or minute > 59 or (second > 59 and not leap_ok):
        raise GpsdError("schema", f"time {text!r} out of range")
    try:
        days_since_epoch(year, month, day)
    except ValueError:
        raise GpsdError("schema", f"time {text!r}: no such date") from None
    return CivilDate(year, month, day), TimeOfDay(hour, minute, second, int(fraction.ljust(9, "0")))


def _tpv(obj: dict[str, Any]) -> GpsdTpv:
    mode = _int(obj, "mode", True)
    assert mode is not None
    if not 0 <= mode <= 3:
        raise GpsdError("schema", f"TPV: mode {mode} is not 0..3")
    text = _str(obj, "time")
    date, time = parse_iso_time(text) if text is not None else (None, None)
    return GpsdTpv(_str(obj, "device"), mode, date, time, _int(obj, "leapseconds", False))


def _offset(obj: dict[str, Any], kind: str) -> GpsdTimeOffset:
    values = [_int(obj, key, True) for key in ("real_sec", "real_nsec", "clock_sec", "clock_nsec")]
    real_s, real_ns, clock_s, clock_ns = (v if v is not None else 0 for v in values)
    if not (0 <= real_ns < NS_PER_S and 0 <= clock_ns < NS_PER_S):
        raise GpsdError("schema", f"{kind}: nanoseconds out of range")
    return GpsdTimeOffset(kind, _str(obj, "device"), real_s * NS_PER_S + real_ns,
                          clock_s * NS_PER_S + clock_ns, _int(obj, "precision", False),
                          _int(obj, "qErr", False))


def parse_gpsd(line: bytes | str) -> GpsdReport:
    """One JSON line to a report; GpsdError (reason "json" or "schema") otherwise."""
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise GpsdError("json", f"not JSON: {exc}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("class"), str):
        raise GpsdError("schema", "not an object with a 'class'")
    kind = obj["class"]
    if kind == "TPV":
        return _tpv(obj)
    if kind in ("TOFF", "PPS"):
        return _offset(obj, kind)
    return GpsdOther(kind)


def label_from_tpv(tpv: GpsdTpv) -> TimeLabel | Unlabelled:
    """The second a TPV names; valid when gpsd reports a 2D or 3D fix."""
    return label_at(tpv.date, tpv.time, tpv.fix_valid, f"gpsd-TPV:{tpv.device or '?'}")


class GpsdStream:
    """Bytes from gpsd's socket in, reports out; bad lines counted by reason, never raised."""

    def __init__(self, max_line: int = MAX_GPSD_LINE) -> None:
        self._framer = LineFramer(max_line)
        self._errors: Counter[str] = Counter()
        self.reports = 0

    def feed(self, data: bytes) -> list[GpsdReport]:
        reports: list[GpsdReport] = []
        for line in self._framer.feed(data):
            try:
                reports.append(parse_gpsd(line))
            except GpsdError as exc:
                self._errors[exc.reason] += 1
            else:
                self.reports += 1
        return reports

    @property
    def errors(self) -> dict[str, int]:
        counts = dict(self._errors)
        if self._framer.overlong:
            counts["overlong"] = self._framer.overlong
        return counts
