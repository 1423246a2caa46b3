# SPDX-License-Identifier: GPL-2.0-or-later
"""NMEA 0183: checksum, RMC/ZDA/GGA fields, and the streaming parser's handling of bad input."""

from __future__ import annotations

import pytest

from ptpbridge.refs.errors import NmeaError
from ptpbridge.refs.labels import TimeLabel, Unlabelled, label_from_rmc, label_from_zda
from ptpbridge.refs.nmea import (
    CivilDate,
    Gga,
    NmeaStream,
    Rmc,
    Sentence,
    TimeOfDay,
    Zda,
    checksum,
    frame,
    parse,
)

from .helpers import posix

# Published examples: RMC and GGA from Dale DePriest's NMEA data page (gpsinformation.org),
# ZDA from NovAtel's OEM7 ZDA log description; each carries its checksum as printed there.
RMC = b"$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n"
GGA = b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n"
ZDA = b"$GPZDA,201530.00,04,07,2002,00,00*60\r\n"


def test_checksum_of_published_sentences() -> None:
    for line in (RMC, GGA, ZDA):
        body, given = line[1:].rstrip(b"\r\n").split(b"*")
        assert checksum(body) == int(given, 16)


def test_frame_adds_checksum_and_crlf() -> None:
    assert frame("GPZDA,201530.00,04,07,2002,00,00") == ZDA


def test_rmc_fields() -> None:
    rmc = parse(RMC)
    assert rmc == Rmc("GP", TimeOfDay(12, 35, 19, 0), CivilDate(1994, 3, 23), True, None)
    assert isinstance(rmc, Rmc) and rmc.fix_valid
    assert label_from_rmc(rmc) == TimeLabel(posix(1994, 3, 23, 12, 35, 19), False, True, "GPRMC")


def test_rmc_validity_and_mode() -> None:
    void = parse(frame("GNRMC,000001.00,V,,,,,,,010124,,,N"))
    assert isinstance(void, Rmc) and not void.status_valid and not void.fix_valid
    estimated = parse(frame("GNRMC,000001.00,A,,,,,,,010124,,,E"))
    assert isinstance(estimated, Rmc) and estimated.status_valid and not estimated.fix_valid
    fixed = parse(frame("GNRMC,000001.00,A,,,,,,,010124,,,D,V"))  # NMEA 4.1: nav status
    assert isinstance(fixed, Rmc) and fixed.fix_valid and fixed.date == CivilDate(2024, 1, 1)


def test_rmc_two_digit_years() -> None:
    old = parse(frame("GPRMC,000000,A,,,,,,,010180,,"))
    assert isinstance(old, Rmc) and old.date == CivilDate(1980, 1, 1)
    new = parse(frame("GPRMC,000000,A,,,,,,,311279,,"))
    assert isinstance(new, Rmc) and new.date == CivilDate(2079, 12, 31)


def test_zda_fields() -> None:
    zda = parse(ZDA)
    assert zda == Zda("GP", TimeOfDay(20, 15, 30, 0), CivilDate(2002, 7, 4), 0, 0)
    assert isinstance(zda, Zda)
    assert label_from_zda(zda) == TimeLabel(posix(2002, 7, 4, 20, 15, 30), False, None, "GPZDA")


def test_gga_fields() -> None:
    gga = parse(GGA)
    assert gga == Gga("GP", TimeOfDay(12, 35, 19, 0), 1, 8, 0.9)
    assert isinstance(gga, Gga) and gga.fix_valid
    for quality, valid in ((0, False), (2, True), (6, False), (8, False)):
        msg = parse(frame(f"GPGGA,123519,,,,,{quality},00,,,,,,,"))
        assert isinstance(msg, Gga) and msg.fix_valid is valid and msg.satellites == 0


def test_fractions_and_empty_fields() -> None:
    zda = parse(frame("GPZDA,235959.123456789,31,12,2016,,"))
    assert isinstance(zda, Zda) and zda.time == TimeOfDay(23, 59, 59, 123_456_789)
    assert label_from_zda(zda) is Unlabelled.OFF_SECOND
    empty = parse(frame("GPZDA,,,,,,"))
    assert isinstance(empty, Zda) and empty.time is None and empty.date is None
    assert label_from_zda(empty) is Unlabelled.NO_TIME


def test_leap_second_label() -> None:
    zda = parse(frame("GPZDA,235960.00,31,12,2016,00,00"))
    assert isinstance(zda, Zda)
    label = label_from_zda(zda)
    assert label == TimeLabel(posix(2016, 12, 31, 23, 59, 59), True, None, "GPZDA")
    with pytest.raises(NmeaError, match="out of range"):
        parse(frame("GPZDA,120060.00,31,12,2016,00,00"))


def test_other_and_proprietary_sentences_pass_through() -> None:
    gsv = parse(frame("GPGSV,1,1,00"))
    assert gsv == Sentence("GP", "GSV", ("1", "1", "00"))
    pubx = parse(frame("PUBX,04,073731.00,091202,113851.00,1196,15D,1930035,-2660.664,43"))
    assert isinstance(pubx, Sentence) and pubx.talker == "P" and pubx.kind == "UBX"


@pytest.mark.parametrize("line, reason", [
    (RMC.replace(b"*6A", b"*6B"), "checksum"),
    (RMC.replace(b"*6A", b"*6Z"), "framing"),
    (RMC.replace(b"*6A", b""), "no_checksum"),
    (RMC[1:], "framing"),
    (b"$GPRMC,12\x00519*00", "framing"),
    (frame("GPRMC," + "1" * 80), "overlong"),
    (frame("gprmc,123519"), "address"),
    (frame("GPRMC,123519,A"), "fields"),
    (frame("GPRMC,123519,X,,,,,,,230394,,"), "field"),
    (frame("GPRMC,123519,A,,,,,,,310294,,"), "field"),  # 31 February
    (frame("GPRMC,1235,A,,,,,,,230394,,"), "field"),
    (frame("GPRMC,246000,A,,,,,,,230394,,"), "field"),
    (frame("GPZDA,201530,04,07,02,00,00"), "field"),
    (frame("GPZDA,201530,04,07,2002,15,00"), "field"),
    (frame("GPGGA,123519,,,,,x,08,,,,,,,"), "field"),
    (frame("GPGGA,123519,,,,,1,08,nan,,,,,,"), "field"),
])
def test_strict_parser_reasons(line: bytes, reason: str) -> None:
    with pytest.raises(NmeaError) as info:
        parse(line)
    assert info.value.reason == reason


def test_checksum_can_be_optional() -> None:
    assert isinstance(parse(RMC.replace(b"*6A", b""), require_checksum=False), Rmc)


def test_stream_reassembles_any_chunking() -> None:
    data = RMC + ZDA + GGA
    whole = NmeaStream().feed(data)
    assert [type(m) for m in whole] == [Rmc, Zda, Gga]
    stream = NmeaStream()
    pieces = [m for i in range(len(data)) for m in stream.feed(data[i:i + 1])]
    assert pieces == whole
    assert stream.sentences == 3 and stream.errors == {}


def test_stream_line_endings() -> None:
    stream = NmeaStream()
    body = RMC.rstrip(b"\r\n")
    assert len(stream.feed(body + b"\n" + body + b"\r" + body + b"\r\n")) == 3
    assert stream.errors == {}


def test_stream_counts_and_survives_garbage() -> None:
    stream = NmeaStream()
    out = stream.feed(b"\xff\xfe noise\r\n" + b"#!junk$" + ZDA + RMC.replace(b"*6A", b"*00") + GGA)
    assert [type(m) for m in out] == [Zda, Gga]
    assert stream.errors == {"garbage": 2, "checksum": 1}
    assert stream.error_count == 3


def test_stream_drops_overlong_lines_and_resyncs() -> None:
    stream = NmeaStream()
    out = stream.feed(b"$GPRMC," + b"9" * 300)  # never ends in this chunk
    out += stream.feed(b"9" * 5000)
    out += stream.feed(b"*00\r\n" + ZDA)
    assert [type(m) for m in out] == [Zda]
    assert stream.errors == {"overlong": 1}


def test_stream_starting_mid_sentence() -> None:
    stream = NmeaStream()
    out = stream.feed(RMC[30:] + ZDA)
    assert [type(m) for m in out] == [Zda]
    assert stream.errors == {"garbage": 1}
