# SPDX-License-Identifier: GPL-2.0-or-later
"""Fuzz: 100,000+ hostile inputs through the parser and the core.

The parser may only raise NtpParseError; `handle` never raises; every
request ends in exactly one counter; no reply is longer than its request.
"""

from __future__ import annotations

import random
import struct
from collections import Counter
from collections.abc import Iterator

from ptpbridge.core.ntp import AccessConfig, DropReason, RateLimitConfig, ReplyKind
from ptpbridge.core.ntp.auth import compute_digest
from ptpbridge.wire.ntp import NtpParseError, decode, encode

from ._common import KEYS, NS, T0, core, request
from .captures import all_captures

CASES_PER_KIND = 17_000  # six kinds -> 102,000 cases


def _signed(rng: random.Random, body: bytes, version: int) -> bytes:
    key = KEYS[rng.choice([1, 2, 3, 4])]
    return body + struct.pack("!I", key.key_id) + compute_digest(key, body, version)


def _cases(rng: random.Random) -> Iterator[bytes]:
    seeds = all_captures() + [request(v, key=KEYS[k]) for v in (3, 4) for k in (1, 2, 3)] + [request()]
    for _ in range(CASES_PER_KIND):  # random bytes
        yield rng.randbytes(rng.choice([0, 1, 2, 47, 48, 49, 52, 64, 68, 72, 84, rng.randrange(200)]))
    for _ in range(CASES_PER_KIND):  # truncated real and signed packets
        s = rng.choice(seeds)
        yield s[: rng.randrange(len(s) + 1)]
    for _ in range(CASES_PER_KIND):  # extension fields with bad or good lengths, with and without MAC
        head = bytearray(request(4))
        body = bytes(head)
        for _ in range(rng.randrange(1, 4)):
            flen = rng.choice([0, 4, 12, 15, 16, 18, 20, 24, 28, 32, 65532, rng.randrange(65536)])
            val = rng.randbytes(rng.choice([max(0, flen - 4), rng.randrange(40)]))
            body += struct.pack("!HH", rng.randrange(65536), flen) + val
        yield _signed(rng, body, 4) if rng.random() < 0.3 else body
    for _ in range(CASES_PER_KIND):  # every version and mode, with random tails
        b0 = rng.randrange(256)
        tail = rng.choice([b"", bytes(4), rng.randbytes(20), rng.randbytes(24), rng.randbytes(36), rng.randbytes(68)])
        yield bytes([b0]) + rng.randbytes(47) + tail
    for _ in range(CASES_PER_KIND):  # mutated real captures
        buf = bytearray(rng.choice(seeds))
        for _ in range(rng.randrange(1, 4)):
            pos = rng.randrange(len(buf))
            buf[pos] = rng.randrange(256) if rng.random() < 0.5 else buf[pos] ^ (1 << rng.randrange(8))
        yield bytes(buf)
    for _ in range(CASES_PER_KIND):  # valid requests, signed or not, to exercise the reply paths
        v = rng.choice([2, 3, 4])
        body = request(v, xmt=rng.getrandbits(64), org=rng.choice([0, rng.getrandbits(64)]))
        yield _signed(rng, body, v) if rng.random() < 0.5 else body


def test_fuzz_parser_and_core() -> None:
    rng = random.Random(20261126)
    access = AccessConfig(allow=("198.18.0.0/16",), deny=("198.18.9.0/24",), deny_kod=True)
    limits = RateLimitConfig(interval=-2, burst=4, leak=2, kod=True)
    # Two policies, alternating: NAK bad MACs, or drop them and require auth.
    cores = [core(access=access, ratelimit=limits), core(access=access, ratelimit=limits,
                                                         bad_mac_nak=False, require_auth=True)]
    clients = [(f"198.18.{i % 11}.{i}", 123) for i in range(40)] + [("fd00::5", 123), ("bogus", 1)]
    expected_drops: list[Counter[DropReason]] = [Counter(), Counter()]
    replies = [0, 0]
    received = [0, 0]
    parsed = 0
    now = T0
    for i, data in enumerate(_cases(rng)):
        try:
            pkt = decode(data)
            parsed += 1
            try:
                assert encode(pkt) == data
            except ValueError:
                pass  # the encoder is stricter than the parser (RFC 7822 last-field rule)
        except NtpParseError:
            pass
        now += rng.randrange(NS // 100)
        client = rng.choice(clients)
        which = i % 2
        c = cores[which]
        received[which] += 1
        d = c.handle(data, client, now)
        if d.reply is None:
            assert d.drop_reason is not None and d.kind is None
            expected_drops[which][d.drop_reason] += 1
        else:
            assert d.drop_reason is None and d.kind is not None
            replies[which] += 1
            out = d.finalize(now + 1000)
            assert len(out) <= len(data)
            r = decode(out)
            assert r.mode == 4 and r.version == data[0] >> 3 & 7
            if d.kind is ReplyKind.BASIC or d.kind is ReplyKind.INTERLEAVED:
                c.record_tx(client, d.reply_id, now + 900)
    assert sum(received) >= 100_000
    assert parsed > 10_000
    for which, c in enumerate(cores):
        n = c.counters
        assert n.received == received[which] == n.replied + n.dropped_total
        assert n.replied == replies[which]
        assert {r: k for r, k in n.dropped.items() if k} == dict(expected_drops[which])
        assert n.kod_sent.get("RATE", 0) > 0 and n.kod_sent.get("DENY", 0) > 0
        assert n.authenticated_replies > 0
    # Between them the two cores reached every outcome.
    missing = [r.label for r in DropReason if not (expected_drops[0][r] or expected_drops[1][r])]
    assert not missing, missing
    assert cores[0].counters.crypto_naks > 0 and cores[1].counters.crypto_naks == 0
