# SPDX-License-Identifier: GPL-2.0-or-later
"""Value types: exact integer arithmetic, wire ranges, linuxptp spellings."""

from __future__ import annotations

import struct
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ptpbridge.wire.ptp.values import (
    TIMESTAMP_NS_MAX,
    ClockIdentity,
    ClockQuality,
    PortIdentity,
    Timestamp,
    TimeInterval,
    correction_round_ns,
    correction_to_ns,
    ns_to_correction,
)

from .strategies import clock_identities, i64, port_identities


@given(st.integers(0, TIMESTAMP_NS_MAX))
def test_timestamp_ns_round_trip(ns: int) -> None:
    ts = Timestamp.from_ns(ns)
    assert ts.to_ns() == ns
    assert ts.is_valid()
    assert 0 <= ts.nanoseconds < 10**9 and ts.seconds < 1 << 48


@pytest.mark.parametrize("ns", [-1, TIMESTAMP_NS_MAX + 1])
def test_timestamp_out_of_range(ns: int) -> None:
    with pytest.raises(ValueError):
        Timestamp.from_ns(ns)


@given(st.integers(0, TIMESTAMP_NS_MAX - 1), st.integers(0, TIMESTAMP_NS_MAX - 1))
def test_timestamp_order_is_time_order(a: int, b: int) -> None:
    assert (Timestamp.from_ns(a) < Timestamp.from_ns(b)) == (a < b)


def test_timestamp_with_wire_nanoseconds_out_of_range_is_kept() -> None:
    ts = Timestamp(5, 1_500_000_000)
    assert not ts.is_valid()
    assert ts.to_ns() == 6_500_000_000


@given(i64)
def test_correction_conversions_are_exact(scaled: int) -> None:
    exact = Fraction(scaled, 65536)
    floor_ns = correction_to_ns(scaled)
    assert floor_ns <= exact < floor_ns + 1
    nearest = correction_round_ns(scaled)
    assert abs(exact - nearest) <= Fraction(1, 2)
    if exact - int(exact) == Fraction(1, 2) or exact - int(exact) == Fraction(-1, 2):
        assert nearest > exact  # halves round up
    ti = TimeInterval(scaled)
    assert ti.to_ns() == floor_ns and ti.round_ns() == nearest
    assert ti.to_ns() * 65536 + ti.fraction == scaled


@given(st.integers(-(1 << 47), (1 << 47) - 1))
def test_ns_to_correction_is_exact(ns: int) -> None:
    scaled = ns_to_correction(ns)
    assert Fraction(scaled, 65536) == ns
    assert TimeInterval.from_ns(ns).to_ns() == ns
    assert struct.unpack(">q", struct.pack(">q", scaled))[0] == scaled


@pytest.mark.parametrize("ns", [1 << 47, -(1 << 47) - 1])
def test_ns_to_correction_overflow(ns: int) -> None:
    with pytest.raises(ValueError):
        ns_to_correction(ns)


def test_time_interval_too_big() -> None:
    assert TimeInterval((1 << 63) - 1).is_too_big()
    assert not TimeInterval(0).is_too_big()


@given(st.binary(min_size=6, max_size=6))
def test_eui64_from_mac_inserts_fffe(mac: bytes) -> None:
    ci = ClockIdentity.from_mac(mac)
    assert bytes(ci) == mac[:3] + b"\xff\xfe" + mac[3:]
    text = ":".join(f"{b:02x}" for b in mac)
    assert ClockIdentity.from_mac(text) == ci
    assert ClockIdentity.from_mac(text.upper().replace(":", "-")) == ci


@given(clock_identities)
def test_clock_identity_spellings(ci: ClockIdentity) -> None:
    text = str(ci)
    assert len(text) == 18 and text[6] == "." and text[11] == "."
    assert ClockIdentity.parse(text) == ci
    assert ClockIdentity.parse(ci.hex()) == ci
    assert ClockIdentity.from_int(ci.to_int()) == ci
    assert eval(repr(ci), {"ClockIdentity": ClockIdentity}) == ci


@given(clock_identities, clock_identities)
def test_clock_identity_order_is_numeric(a: ClockIdentity, b: ClockIdentity) -> None:
    assert (a < b) == (a.to_int() < b.to_int())


@given(port_identities)
def test_port_identity_spelling(pid: PortIdentity) -> None:
    assert PortIdentity.parse(str(pid)) == pid


@pytest.mark.parametrize("bad", [b"", b"1234567", b"123456789"])
def test_clock_identity_needs_8_octets(bad: bytes) -> None:
    with pytest.raises(ValueError):
        ClockIdentity(bad)


@pytest.mark.parametrize("bad", ["", "001122.fffe.3344", "zz1122.fffe.334455", "001122.fffe.334455-x"])
def test_bad_spellings(bad: str) -> None:
    with pytest.raises(ValueError):
        PortIdentity.parse(bad)


def test_clock_quality_orders_like_the_bmca() -> None:
    # Lower clockClass wins first, then accuracy, then variance.
    assert ClockQuality(6, 0x30, 0xFFFF) < ClockQuality(7, 0x20, 0x0000)
    assert ClockQuality(6, 0x20, 0xFFFF) < ClockQuality(6, 0x21, 0x0000)
    assert ClockQuality(6, 0x20, 0x4000) < ClockQuality(6, 0x20, 0x4001)
