# SPDX-License-Identifier: GPL-2.0-or-later
"""gpsd JSON reports: TPV time/mode/leapseconds, TOFF and PPS, and what bad lines cost."""

from __future__ import annotations

import pytest

from ptpbridge.refs.errors import GpsdError
from ptpbridge.refs.gpsd import (
    GpsdOther,
    GpsdStream,
    GpsdTimeOffset,
    GpsdTpv,
    label_from_tpv,
    parse_gpsd,
)
from ptpbridge.refs.labels import TimeLabel, Unlabelled
from ptpbridge.refs.nmea import CivilDate, TimeOfDay

from .helpers import NS, posix

# Shapes as gpsd's JSON protocol documentation gives them (gpsd_json(5)).
TPV = (b'{"class":"TPV","device":"/dev/ttyACM0","mode":3,"time":"2005-06-08T10:34:48.000Z",'
       b'"leapseconds":18,"lat":46.498,"lon":7.568}')
TOFF = (b'{"class":"TOFF","device":"/dev/ttyAMA0","real_sec":1330212592,"real_nsec":343182,'
        b'"clock_sec":1330212592,"clock_nsec":343184,"precision":-2}')
PPS = (b'{"class":"PPS","device":"/dev/ttyAMA0","real_sec":1330212592,"real_nsec":0,'
       b'"clock_sec":1330212591,"clock_nsec":999998707,"precision":-20,"qErr":-26}')


def test_tpv() -> None:
    tpv = parse_gpsd(TPV)
    assert tpv == GpsdTpv("/dev/ttyACM0", 3, CivilDate(2005, 6, 8), TimeOfDay(10, 34, 48, 0), 18)
    assert isinstance(tpv, GpsdTpv) and tpv.fix_valid
    # gpsd's leapseconds is GPS - UTC; TAI - GPS is 19 s, so 18 s means TAI - UTC = 37 s.
    assert tpv.utc_offset_s == 37
    assert label_from_tpv(tpv) == TimeLabel(posix(2005, 6, 8, 10, 34, 48), False, True,
                                            "gpsd-TPV:/dev/ttyACM0")


def test_tpv_without_fix_or_time() -> None:
    tpv = parse_gpsd(b'{"class":"TPV","mode":1}')
    assert isinstance(tpv, GpsdTpv) and not tpv.fix_valid and tpv.utc_offset_s is None
    assert label_from_tpv(tpv) is Unlabelled.NO_TIME
    frac = parse_gpsd(b'{"class":"TPV","mode":3,"time":"2024-01-01T00:00:00.5Z"}')
    assert isinstance(frac, GpsdTpv) and label_from_tpv(frac) is Unlabelled.OFF_SECOND
    leap = parse_gpsd(b'{"class":"TPV","mode":3,"time":"2016-12-31T23:59:60.000Z"}')
    assert isinstance(leap, GpsdTpv)
    label = label_from_tpv(leap)
    assert isinstance(label, TimeLabel) and label.leap_second
    assert label.utc_s == posix(2016, 12, 31, 23, 59, 59)


def test_toff_and_pps() -> None:
    assert parse_gpsd(TOFF) == GpsdTimeOffset("TOFF", "/dev/ttyAMA0", 1330212592 * NS + 343182,
                                              1330212592 * NS + 343184, -2, None)
    assert parse_gpsd(PPS) == GpsdTimeOffset("PPS", "/dev/ttyAMA0", 1330212592 * NS,
                                             1330212591 * NS + 999998707, -20, -26)
    assert parse_gpsd(b'{"class":"VERSION","release":"3.25"}') == GpsdOther("VERSION")


@pytest.mark.parametrize("line, reason", [
    (b"{not json", "json"),
    (b"[1,2]", "schema"),
    (b'{"class":"TPV"}', "schema"),
    (b'{"class":"TPV","mode":true}', "schema"),
    (b'{"class":"TPV","mode":7}', "schema"),
    (b'{"class":"TPV","mode":3,"time":"yesterday"}', "schema"),
    (b'{"class":"TPV","mode":3,"time":"2023-02-29T00:00:00Z"}', "schema"),
    (b'{"class":"TPV","mode":3,"time":"2023-02-28T12:00:60Z"}', "schema"),
    (b'{"class":"PPS","real_sec":1,"real_nsec":0,"clock_sec":1}', "schema"),
    (b'{"class":"PPS","real_sec":1,"real_nsec":1000000000,"clock_sec":1,"clock_nsec":0}', "schema"),
    (b"\xff\xfe", "json"),
    (b"[" * 100_000, "json"),
])
def test_bad_reports(line: bytes, reason: str) -> None:
    with pytest.raises(GpsdError) as info:
        parse_gpsd(line)
    assert info.value.reason == reason


def test_stream_counts_and_survives() -> None:
    stream = GpsdStream(max_line=400)
    data = TPV + b"\r\n{broken\n" + b"x" * 1000 + b"\n" + PPS + b"\n"
    reports = [r for i in range(0, len(data), 7) for r in stream.feed(data[i:i + 7])]
    assert [type(r) for r in reports] == [GpsdTpv, GpsdTimeOffset]
    assert stream.errors == {"json": 1, "overlong": 1}
    assert stream.reports == 2
