# SPDX-License-Identifier: GPL-2.0-or-later
"""Access control, rate limiting, interleaved state and kiss-o'-death, with injected time."""

from __future__ import annotations

import ipaddress

import pytest

from ptpbridge.core.ntp import AccessConfig, AccessControl, DropReason, InterleaveConfig, RateLimitConfig, ReplyKind
from ptpbridge.core.ntp.addresses import parse_client
from ptpbridge.core.ntp.interleave import InterleaveTable
from ptpbridge.core.ntp.ratelimit import RateLimiter, RateVerdict
from ptpbridge.wire.ntp import ExtensionField, ExtensionFieldType, NtpPacket, decode, encode
from ptpbridge.wire.ntp.timestamps import utc_ns_to_ntp64

from ._common import NS, T0, core, request


def _allowed(ac: AccessControl, addr: str) -> bool:
    return ac.allowed(parse_client(addr))


def test_access_most_specific_wins_v4_v6() -> None:
    ac = AccessControl(AccessConfig(
        allow=("198.18.0.0/15", "198.18.5.7", "fd00::/8", "fd00:1:2::/48"),
        deny=("198.18.5.0/24", "fd00:1::/32"),
    ))
    assert _allowed(ac, "198.18.0.1")
    assert not _allowed(ac, "198.18.5.1")  # /24 deny beats /15 allow
    assert _allowed(ac, "198.18.5.7")  # /32 allow beats /24 deny
    assert _allowed(ac, "::ffff:198.18.5.7")  # IPv4-mapped folds to IPv4
    assert not _allowed(ac, "10.1.1.1")  # nothing matches: default deny
    assert _allowed(ac, "fd00::1")
    assert not _allowed(ac, "fd00:1:3::1")  # /32 deny beats /8 allow
    assert _allowed(ac, "fd00:1:2::9")  # /48 allow beats /32 deny
    assert not _allowed(ac, "2001:db8::1")


def test_access_defaults_and_ties() -> None:
    assert not _allowed(AccessControl(AccessConfig()), "198.18.0.1")
    assert _allowed(AccessControl(AccessConfig(default_allow=True)), "2001:db8::1")
    tie = AccessControl(AccessConfig(allow=("198.18.0.0/16",), deny=("198.18.0.0/16",)))
    assert not _allowed(tie, "198.18.0.1")
    everything = AccessControl(AccessConfig(allow=("0.0.0.0/0", "::/0"), deny=("198.18.0.1",)))
    assert _allowed(everything, "203.0.113.1") and _allowed(everything, "::1")
    assert not _allowed(everything, "198.18.0.1")
    with pytest.raises(ValueError, match="invalid access prefix"):
        AccessControl(AccessConfig(allow=("198.18.0.0/33",)))


def test_access_matches_reference_implementation() -> None:
    """Compare with a brute force over ipaddress for many addresses."""
    allow = ("198.18.0.0/15", "198.18.128.0/17", "198.18.200.0/22", "198.19.7.7")
    deny = ("198.18.0.0/16", "198.18.200.0/24", "198.19.0.0/20")
    ac = AccessControl(AccessConfig(allow=allow, deny=deny))
    rules = [(ipaddress.ip_network(p), True) for p in allow] + [(ipaddress.ip_network(p), False) for p in deny]
    for i in range(0, 1 << 17, 7):
        addr = ipaddress.IPv4Address(int(ipaddress.IPv4Address("198.18.0.0")) + i)
        hits = [(n.prefixlen, not ok, ok) for n, ok in rules if addr in n]
        expected = max(hits)[2] if hits else False
        assert ac.allowed(addr) is expected, addr


def test_token_bucket_exact_counts() -> None:
    rl = RateLimiter(RateLimitConfig(interval=0, burst=4, leak=2))  # 1/s, burst 4, 1 in 4 leaks
    verdicts = [rl.check("c", T0) for _ in range(12)]
    assert verdicts[:4] == [RateVerdict.ALLOW] * 4
    # 8 over the limit: the 4th and 8th leak.
    assert [v for v in verdicts[4:]] == [RateVerdict.DROP] * 3 + [RateVerdict.LEAK] + [RateVerdict.DROP] * 3 + [RateVerdict.LEAK]
    # 2.5 s later: 2 tokens (a leak empties the bucket), then over again (over counter continues at 8).
    later = [rl.check("c", T0 + 2_500_000_000) for _ in range(3)]
    assert later == [RateVerdict.ALLOW, RateVerdict.ALLOW, RateVerdict.DROP]
    # Half a token carried over: 0.5 s more completes it.
    assert rl.check("c", T0 + 3_000_000_000) is RateVerdict.ALLOW
    # A long pause refills only up to the burst.
    far = [rl.check("c", T0 + 1000 * NS) for _ in range(5)]
    assert far.count(RateVerdict.ALLOW) == 4
    # Another client has its own bucket.
    assert rl.check("d", T0) is RateVerdict.ALLOW


def test_token_bucket_sub_second_interval_and_time_going_back() -> None:
    rl = RateLimiter(RateLimitConfig(interval=-19, burst=1, leak=4))  # 2**-19 s = 1907.35 ns
    assert rl.check("c", T0) is RateVerdict.ALLOW
    assert rl.check("c", T0 + 1907) is RateVerdict.DROP  # not quite one interval
    assert rl.check("c", T0 + 1908) is RateVerdict.ALLOW
    assert rl.check("c", T0 - 10 * NS) is RateVerdict.DROP  # going back adds nothing
    with pytest.raises(ValueError):
        RateLimitConfig(interval=13)
    with pytest.raises(ValueError):
        RateLimitConfig(burst=0)
    with pytest.raises(ValueError):
        RateLimitConfig(leak=5)


def test_rate_table_bounded_lru() -> None:
    rl = RateLimiter(RateLimitConfig(interval=3, burst=1, max_clients=3))
    for c in "abc":
        assert rl.check(c, T0) is RateVerdict.ALLOW
    assert rl.check("a", T0) is RateVerdict.DROP  # refreshes "a"
    assert rl.check("d", T0) is RateVerdict.ALLOW  # evicts "b", the least recent
    assert len(rl.table) == 3 and "b" not in rl.table and "a" in rl.table
    assert RateLimiter(RateLimitConfig(max_clients=1000, max_bytes=2560)).table.capacity == 10


def test_core_rate_limit_and_rate_kod() -> None:
    c = core(ratelimit=RateLimitConfig(interval=0, burst=2, leak=1, kod=True))
    kinds = [c.handle(request(), ("198.18.0.1", 123), T0).kind for _ in range(6)]
    assert kinds == [ReplyKind.BASIC, ReplyKind.BASIC, None, ReplyKind.KOD, None, ReplyKind.KOD]
    assert c.counters.dropped[DropReason.RATE] == 2
    assert c.counters.kod_sent == {"RATE": 2}
    assert c.counters.rate_limited == 4
    plain = core(ratelimit=RateLimitConfig(interval=0, burst=1, leak=1))
    kinds = [plain.handle(request(), ("198.18.0.1", 123), T0).kind for _ in range(3)]
    assert kinds == [ReplyKind.BASIC, None, ReplyKind.BASIC]  # chrony: the leak is a normal reply


def test_kod_format() -> None:
    c = core(access=AccessConfig(deny_kod=True))
    d = c.handle(request(3, xmt=0xABCDEF, poll=7), ("198.18.0.1", 123), T0)
    assert d.kind is ReplyKind.KOD and d.reply is not None
    k = decode(d.finalize(T0))
    assert (k.leap, k.version, k.mode, k.stratum, k.poll, k.reference_id) == (3, 3, 4, 0, 7, b"DENY")
    assert k.origin_ts == k.receive_ts == k.transmit_ts == 0xABCDEF
    assert c.counters.kod_sent == {"DENY": 1}
    silent = core(access=AccessConfig())
    assert silent.handle(request(), ("198.18.0.1", 123), T0).drop_reason is DropReason.ACCESS


def test_interleaved_detection_and_reply() -> None:
    c = core()
    client = ("198.18.0.1", 40000)
    first = c.handle(request(xmt=111), client, T0)
    assert first.kind is ReplyKind.BASIC
    r1 = decode(first.finalize(T0 + 50_000))
    assert r1.origin_ts == 111
    # Before the TX timestamp is known, an interleaved request gets a basic reply.
    early = c.handle(request(org=r1.receive_ts, rec=777, xmt=222), client, T0 + NS)
    assert early.kind is ReplyKind.BASIC
    assert c.record_tx(client, first.reply_id, T0 + 40_000)
    d = c.handle(request(org=r1.receive_ts, rec=888, xmt=333), client, T0 + 2 * NS)
    assert d.kind is ReplyKind.INTERLEAVED and d.transmit.value == "final"
    r = decode(d.finalize(T0 + 99 * NS))  # finalize must not touch a final transmit
    assert r.origin_ts == 888  # the client's receive timestamp
    assert r.transmit_ts == utc_ns_to_ntp64(T0 + 40_000)
    assert r.receive_ts == utc_ns_to_ntp64(T0 + 2 * NS)
    # Not interleaved: origin equal to transmit, unknown origin, other address.
    assert c.handle(request(org=r1.receive_ts, xmt=r1.receive_ts), client, T0 + 3 * NS).kind is ReplyKind.BASIC
    assert c.handle(request(org=12345, rec=1, xmt=2), client, T0 + 4 * NS).kind is ReplyKind.BASIC
    other = ("198.18.0.2", 40000)
    assert c.handle(request(org=r1.receive_ts, rec=1, xmt=2), other, T0 + 5 * NS).kind is ReplyKind.BASIC
    assert c.counters.interleaved_replies == 1
    assert not c.record_tx(client, 42, T0)  # unknown reply id
    assert c.counters.tx_unmatched == 1 and c.counters.tx_recorded == 1
    off = core(interleave=InterleaveConfig(enabled=False))
    f = off.handle(request(xmt=5), client, T0)
    off.record_tx(client, f.reply_id, T0)
    assert off.handle(request(org=f.reply_id, rec=1, xmt=6), client, T0 + NS).kind is ReplyKind.BASIC


def test_interleave_table_eviction_and_memory_cap() -> None:
    t = InterleaveTable(InterleaveConfig(max_entries=3))
    for rx in (1, 2, 3):
        t.save_receive("a", rx)
        assert t.record_tx("a", rx, 100 + rx)
    t.save_receive("b", 9)  # evicts ("a", 1)
    assert t.transmit_for("a", 1) is None and t.transmit_for("a", 2) == 102
    assert t.transmit_for("b", 9) is None  # saved, TX not yet known
    assert t.evictions == 1 and len(t) == 3
    assert not t.record_tx("a", 1, 5)
    assert InterleaveTable(InterleaveConfig(max_entries=10**6, max_bytes=2000)).capacity == 10


def test_amplification_unauthenticated_reply_not_larger() -> None:
    c = core(access=AccessConfig(allow=("0.0.0.0/0",), deny_kod=True),
             ratelimit=RateLimitConfig(interval=0, burst=1, leak=1, kod=True))
    for n, data in enumerate([request(2), request(3), request(4)]):
        d = c.handle(data, (f"198.18.0.{n}", 1), T0)
        assert d.reply is not None and len(d.finalize(T0)) <= len(data)
    big = encode(NtpPacket(extensions=(ExtensionField(ExtensionFieldType.NTS_UNIQUE_IDENTIFIER, bytes(60)),)))
    d = c.handle(big, ("198.18.1.1", 1), T0)
    assert d.reply is not None and len(d.finalize(T0)) == 48 < len(big)
