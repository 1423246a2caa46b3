# SPDX-License-Identifier: GPL-2.0-or-later
"""Fuzzing: parsers raise nothing but our own error type, streams raise nothing at all."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptpbridge.refs.errors import GpsdError, LeapFileError, NmeaError
from ptpbridge.refs.gpsd import GpsdStream, parse_gpsd
from ptpbridge.refs.leapfile import LeapTable
from ptpbridge.refs.leapwriter import format_leap_seconds_list
from ptpbridge.refs.nmea import NmeaStream, frame, parse

FUZZ = settings(max_examples=10_000, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])

_ADDRESSES = ("GPRMC", "GNRMC", "GPZDA", "GPGGA", "GNGGA", "GPGSV", "PUBX", "gprmc", "G", "GPRMCX")
_FIELD_CHARS = "0123456789.,+-AVNESWZ "
# Field lists of real sentences, so that random edits mostly reach the field decoders.
_TEMPLATES = (
    "GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W,A",
    "GNZDA,201530.00,04,07,2002,00,00",
    "GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,",
)


def _sentence(piece: str, bits: int) -> bytes:
    """A framed sentence: a template with fields replaced by pieces of random text, or wild."""
    if bits & 0x3 == 0x3:
        return frame(f"{_ADDRESSES[(bits >> 2) % len(_ADDRESSES)]},{piece}")
    fields = _TEMPLATES[bits & 0x3].split(",")
    for n, value in enumerate(piece.split(",")):
        fields[(bits >> (2 + n)) % len(fields) or 1] = value
    return frame(",".join(fields))


def _assemble(noise: bytes, text: str, selector: int) -> bytes:
    """A byte stream of framed sentences (wild fields, so the field decoders run), noise
    between them and overwritten bytes, all from three draws so hypothesis stays fast."""
    out = bytearray()
    for i, piece in enumerate(text.split("|")):
        bits = selector >> (5 * (i % 7))
        out += _sentence(piece, bits)
        if bits & 0x10:
            out += noise[i * 16:(i + 1) * 16]
    if selector & 1 << 40 and out:
        for position, value in zip(noise[::2], noise[1::2]):
            out[position % len(out)] = value
    if selector & 1 << 41:
        out = bytearray(noise) + out
    return bytes(out)


_STREAM = st.builds(_assemble, st.binary(max_size=160),
                    st.text(alphabet=_FIELD_CHARS + "|", max_size=120), st.integers(0, 2**42 - 1))


@FUZZ
@given(_STREAM, st.integers(1, 97))
def test_nmea_parsers_on_random_streams(data: bytes, step: int) -> None:
    """10,000 streams: the strict parser raises only NmeaError on every line of them; the
    streaming parser never raises and gives the same result however the bytes are chunked."""
    for line in data.split(b"\n") + [data]:
        try:
            parse(line)
        except NmeaError as exc:
            assert exc.reason
    whole = NmeaStream()
    expected = whole.feed(data)
    chunked = NmeaStream()
    got = []
    for pos in range(0, len(data), step):
        got += chunked.feed(data[pos:pos + step])
    assert got == expected
    assert chunked.errors == whole.errors
    assert chunked.sentences == len(got)


_JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
_GPSD_OBJECT = st.fixed_dictionaries(
    {"class": st.sampled_from(["TPV", "TOFF", "PPS", "SKY", 7])},
    optional={k: _JSON_VALUE | st.integers(-5, 5) | st.just("2024-06-30T23:59:60.000Z")
              for k in ("mode", "time", "leapseconds", "real_sec", "real_nsec", "clock_sec",
                        "clock_nsec", "precision", "qErr", "device")},
)


@settings(max_examples=1_000, deadline=None, derandomize=True)
@given(st.one_of(st.binary(max_size=200), _GPSD_OBJECT.map(lambda o: json.dumps(o).encode())))
def test_gpsd_raises_only_gpsd_error(line: bytes) -> None:
    try:
        parse_gpsd(line)
    except GpsdError as exc:
        assert exc.reason
    GpsdStream().feed(line + b"\n")


def _good_leap_texts() -> tuple[str, str]:
    ns = 1_000_000_000
    listed = format_leap_seconds_list([(63_072_000 * ns, 10), (78_796_800 * ns, 11)],
                                      1_700_000_000 * ns, 1_800_000_000 * ns)
    tz = ("Leap\t1972\tJun\t30\t23:59:60\t+\tS\nExpires 2026 Jun 28 00:00:00\n"
          "#updated 1751846400\n#expires 1782604800\n")
    return listed, tz


_LEAP_TEXTS = _good_leap_texts()


def _edit_text(which: int, edits: list[tuple[int, str, int]]) -> str:
    text = _LEAP_TEXTS[which]
    for position, insert, delete in edits:
        at = position % (len(text) + 1)
        text = text[:at] + insert + text[at + delete:]
    return text


@settings(max_examples=2_000, deadline=None, derandomize=True)
@given(st.builds(_edit_text, st.integers(0, 1),
                 st.lists(st.tuples(st.integers(0, 10_000), st.text(max_size=6), st.integers(0, 3)),
                          max_size=4)),
       st.integers(-10**12, 10**13))
def test_leap_files_raise_only_leap_file_error(text: str, now_s: int) -> None:
    try:
        table = LeapTable.parse(text, "fuzz")
    except LeapFileError as exc:
        assert exc.reason and "fuzz" in str(exc)
        return
    now = now_s * 1_000_000_000
    try:
        table.utc_offset_at(now)
    except ValueError as exc:
        assert "before the table starts" in str(exc)
    table.next_leap_after(now)
    table.expired(now)
    try:
        table.check_not_expired(now)
    except LeapFileError as exc:
        assert exc.reason == "expired"
