# SPDX-License-Identifier: GPL-2.0-or-later
"""Fuzzing both codecs with mutated and random datagrams.

The fast codec may only raise PtpParseError, and whatever it accepts must
re-encode to the same octets and agree with scapy; scapy dissection must
never raise at all. The bulk (100,000 datagrams) runs through a seeded
random loop so the run is quick and repeatable; hypothesis adds shrinking
searches on top.
"""

from __future__ import annotations

import random
import struct
from collections import Counter
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptpbridge.wire.ptp import fast
from ptpbridge.wire.ptp.constants import HEADER_LEN, ManagementId, TlvType
from ptpbridge.wire.ptp.errors import PtpParseError
from ptpbridge.wire.ptp.layers import PTP

from .agreement import compare_fast_scapy
from .samples import sample_messages
from .strategies import raw_datagrams

FUZZ_CASES = 100_000
SEEDS: list[bytes] = [bytes(m) for m in sample_messages()]
_TLV_TYPES = [int(t) for t in TlvType] + [0x0000, 0x7F00, 0xFFFF]
_MANAGEMENT_IDS = [int(m) for m in ManagementId] + [0x1234, 0xFFFF]


def _tlv_offsets(data: bytes) -> list[int]:
    """Offsets of the TLV headers inside a seed (seeds are well formed)."""
    msg = fast.decode(data)
    fixed = len(data) - len(msg.tlvs)
    out, pos = [], fixed
    while pos + 4 <= len(data):
        out.append(pos)
        pos += 4 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return out


_SEED_TLVS = {seed: _tlv_offsets(seed) for seed in SEEDS}


def _flip_bits(rng: random.Random, d: bytearray) -> None:
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(d))
        d[i] ^= 1 << rng.randrange(8)


def _set_bytes(rng: random.Random, d: bytearray) -> None:
    for _ in range(rng.randint(1, 3)):
        d[rng.randrange(len(d))] = rng.choice((0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)))


def _truncate(rng: random.Random, d: bytearray) -> None:
    del d[rng.randrange(len(d) + 1) :]


def _extend(rng: random.Random, d: bytearray) -> None:
    d += rng.randbytes(rng.randint(1, 40))


def _message_length(rng: random.Random, d: bytearray) -> None:
    if len(d) >= 4:
        current = int.from_bytes(d[2:4], "big")
        new = rng.choice((0, 1, 33, 34, 43, 44, 0xFFFF, current + rng.randint(-6, 6), rng.randrange(1 << 16)))
        struct.pack_into(">H", d, 2, new % (1 << 16))


def _tlv_length(rng: random.Random, d: bytearray, offsets: list[int]) -> None:
    if offsets:
        pos = rng.choice(offsets)
        if pos + 4 <= len(d):
            current = int.from_bytes(d[pos + 2 : pos + 4], "big")
            new = rng.choice((0, 1, 2, 3, current + 1, current - 1, current + 2, current - 2, 0xFFFF))
            struct.pack_into(">H", d, pos + 2, new % (1 << 16))


def _tlv_type(rng: random.Random, d: bytearray, offsets: list[int]) -> None:
    if offsets:
        pos = rng.choice(offsets)
        if pos + 2 <= len(d):
            struct.pack_into(">H", d, pos, rng.choice(_TLV_TYPES))
            if pos + 6 <= len(d) and rng.random() < 0.5:  # and a managementId that may not fit the data
                struct.pack_into(">H", d, pos + 4, rng.choice(_MANAGEMENT_IDS))


def _message_type(rng: random.Random, d: bytearray) -> None:
    if d:
        d[0] = (d[0] & 0xF0) | rng.randrange(16)


def mutate(rng: random.Random) -> bytes:
    """One fuzz datagram: a seed with one to three mutations, or random octets."""
    roll = rng.random()
    if roll < 0.05:
        return rng.randbytes(rng.randint(0, 120))
    if roll < 0.10:  # random octets that look like PTPv2 so they get past the first checks
        d = bytearray(rng.randbytes(rng.randint(HEADER_LEN, 140)))
        d[1] = (d[1] & 0xF0) | 2
        struct.pack_into(">H", d, 2, len(d) if rng.random() < 0.7 else rng.randrange(1 << 16))
        return bytes(d)
    seed = rng.choice(SEEDS)
    d = bytearray(seed)
    offsets = _SEED_TLVS[seed]
    ops: list[Callable[[], None]] = [
        lambda: _flip_bits(rng, d),
        lambda: _set_bytes(rng, d),
        lambda: _truncate(rng, d),
        lambda: _extend(rng, d),
        lambda: _message_length(rng, d),
        lambda: _tlv_length(rng, d, offsets),
        lambda: _tlv_type(rng, d, offsets),
        lambda: _message_type(rng, d),
    ]
    for _ in range(rng.randint(1, 3)):
        if d:
            rng.choice(ops)()
    return bytes(d)


def check_both(data: bytes) -> str:
    """Run one datagram through both codecs; returns 'accepted' or 'rejected'."""
    pkt = PTP(data)  # must not raise
    try:
        msg = fast.decode(data)
    except PtpParseError:
        return "rejected"
    length = msg.message_length
    assert fast.encode(msg) == data[:length], data.hex()
    assert compare_fast_scapy(msg, pkt) == [], data.hex()
    assert bytes(pkt) == data, data.hex()
    return "accepted"


def test_seeded_mutation_fuzz() -> None:
    rng = random.Random(0x1588_2019)
    outcomes: Counter[str] = Counter()
    for _ in range(FUZZ_CASES):
        outcomes[check_both(mutate(rng))] += 1
    assert sum(outcomes.values()) == FUZZ_CASES
    # Both paths were exercised in earnest (a mutator that broke everything, or nothing, would show here).
    assert outcomes["accepted"] > FUZZ_CASES // 10
    assert outcomes["rejected"] > FUZZ_CASES // 10


FUZZ_SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ_SETTINGS
@given(st.binary(max_size=160))
def test_hypothesis_random_octets(data: bytes) -> None:
    check_both(data)


@FUZZ_SETTINGS
@given(raw_datagrams(), st.integers(0, 10_000), st.integers(0, 255))
def test_hypothesis_one_octet_changed(raw: bytes, where: int, value: int) -> None:
    d = bytearray(raw)
    d[where % len(d)] = value
    check_both(bytes(d))


@FUZZ_SETTINGS
@given(raw_datagrams(), st.integers(0, 400))
def test_hypothesis_truncated(raw: bytes, size: int) -> None:
    check_both(raw[:size])
