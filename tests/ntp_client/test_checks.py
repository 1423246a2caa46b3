# SPDX-License-Identifier: GPL-2.0-or-later
"""Reply sanity checks, kiss-o'-death handling and authentication (RFC 5905 sections 7.4, 8, 9.1).

Every rejected reply must come back as its DropReason, be counted, leave the
reach register alone, and (where it was not matched to our request) leave
the genuine reply acceptable.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ptpbridge.core.ntp import (
    AccessConfig,
    NtpServerConfig,
    NtpServerCore,
    RateLimitConfig,
    ServerTimeState,
    SymmetricKey,
)
from ptpbridge.core.ntp.keys import KeyType
from ptpbridge.core.ntp_client import DropReason, NtpClientCore, NtpSource, Sample, SourceState
from ptpbridge.wire.ntp import decode, utc_ns_to_ntp64

from ._sim import EPOCH_UTC, MS, US, S, SimServer, exchange, mono

KEY = SymmetricKey(7, KeyType.SHA256, b"k" * 32)
OTHER_KEY = SymmetricKey(8, KeyType.SHA256, b"o" * 32)
LAB_ALLOWED = AccessConfig(allow=("198.18.0.0/15",))
SYNCED = ServerTimeState.synchronised("GPS", 1, EPOCH_UTC - 10 * S)


def via_core(src: NtpSource, server: NtpServerCore, now_utc_ns: int) -> Sample | DropReason | None:
    """One poll answered by our own server core (100 us each way, 50 us inside the server);
    None when the server stays silent."""
    req = src.make_request(mono(now_utc_ns), now_utc_ns)
    decision = server.handle(req, ("198.18.0.9", 40000), now_utc_ns + 100 * US)
    if decision.reply is None:
        return None
    reply = decision.finalize(now_utc_ns + 150 * US)
    return src.handle_response(reply, now_utc_ns + 250 * US, None, mono(now_utc_ns + 250 * US))


def fresh_source(**kw: object) -> NtpSource:
    return NtpSource("198.18.0.1", minpoll=4, maxpoll=10, **kw)  # type: ignore[arg-type]


def test_sample_offset_delay_and_dispersion_follow_rfc_5905_section_8() -> None:
    src = fresh_source()
    res = exchange(src, SimServer(offset_ns=5 * MS), EPOCH_UTC, up_ns=300 * US, down_ns=100 * US)
    assert isinstance(res, Sample)
    # offset = server offset + (up - down) / 2; delay = up + down (processing excluded)
    assert res.offset_ns == 5 * MS + 100 * US
    assert res.delay_ns == 400 * US
    # dispersion = 2**-20 s (server) + 2**-20 s (us) + 15 ppm of T4 - T1 (420 us -> 6.3 ns, up)
    assert res.dispersion_ns == 954 + 954 + 7
    assert src.reach.value == 1 and src.counters.accepted == 1


def test_request_carries_only_version_mode_poll_and_a_nonce_transmit() -> None:
    src = NtpSource("198.18.0.1", minpoll=5, maxpoll=10, random_bits=lambda n: 0xABC, version=3)
    t = EPOCH_UTC + 123_456_789
    pkt = decode(src.make_request(0, t))
    assert (pkt.version, pkt.mode, pkt.poll, pkt.stratum, pkt.leap) == (3, 3, 5, 0, 0)
    assert (pkt.origin_ts, pkt.receive_ts, pkt.reference_ts, pkt.mac) == (0, 0, 0, None)
    assert pkt.transmit_ts == (utc_ns_to_ntp64(t) & ~0xFFF) | 0xABC


@pytest.mark.parametrize(("override", "reason"), [
    ({"mode": 3}, DropReason.MODE),
    ({"mode": 5}, DropReason.MODE),
    ({"stratum": 0, "reference_id": b"\x00\x00\x00\x00"}, DropReason.STRATUM),
    ({"stratum": 16}, DropReason.STRATUM),
    ({"leap": 3}, DropReason.UNSYNCHRONISED),
    ({"receive_ts": 0}, DropReason.ZERO_TIMESTAMP),
    ({"transmit_ts": 0}, DropReason.ZERO_TIMESTAMP),
    ({"root_dispersion": 16 << 16}, DropReason.ROOT_DISTANCE),
    ({"reference_ts": utc_ns_to_ntp64(EPOCH_UTC + 3600 * S)}, DropReason.REFTIME),
    ({"origin_ts": 12345}, DropReason.BOGUS_ORIGIN),
])
def test_insane_replies_are_counted_drops(override: dict[str, object], reason: DropReason) -> None:
    src = fresh_source()
    assert exchange(src, SimServer(), EPOCH_UTC, **override) is reason  # type: ignore[arg-type]
    assert src.counters.drops == {reason: 1}
    assert src.reach.value == 0 and src.estimate is None and src.counters.accepted == 0


def test_malformed_and_unsolicited_replies() -> None:
    src = fresh_source()
    server = SimServer()
    reply = server.reply(NtpSource("198.18.0.1").make_request(0, EPOCH_UTC), EPOCH_UTC)
    # No request outstanding: nothing can match.
    assert src.handle_response(reply, EPOCH_UTC, None, 0) is DropReason.BOGUS_ORIGIN
    req = src.make_request(0, EPOCH_UTC)
    for junk in (b"", b"\x24" * 47, reply[:48] + b"\x00" * 5):
        assert src.handle_response(junk, EPOCH_UTC, None, 0) is DropReason.MALFORMED
    # The genuine reply still matches after all that.
    assert isinstance(src.handle_response(server.reply(req, EPOCH_UTC), EPOCH_UTC + MS, None, MS), Sample)
    assert src.counters.drops == {DropReason.BOGUS_ORIGIN: 1, DropReason.MALFORMED: 3}


def test_bogus_origin_does_not_block_the_real_reply() -> None:
    src = fresh_source()
    server = SimServer()
    req = src.make_request(0, EPOCH_UTC)
    forged = server.reply(req, EPOCH_UTC + 50 * US, origin_ts=decode(req).transmit_ts ^ 1)
    assert src.handle_response(forged, EPOCH_UTC + 100 * US, None, 100 * US) is DropReason.BOGUS_ORIGIN
    genuine = server.reply(req, EPOCH_UTC + 50 * US)
    assert isinstance(src.handle_response(genuine, EPOCH_UTC + 120 * US, None, 120 * US), Sample)


def test_duplicates_and_replays_are_dropped() -> None:
    src = fresh_source()
    server = SimServer()
    req1 = src.make_request(0, EPOCH_UTC)
    reply1 = server.reply(req1, EPOCH_UTC + 50 * US)
    assert isinstance(src.handle_response(reply1, EPOCH_UTC + 100 * US, None, 100 * US), Sample)
    # The same reply again (a network duplicate).
    assert src.handle_response(reply1, EPOCH_UTC + 200 * US, None, 200 * US) is DropReason.DUPLICATE
    # A replay of it after our next request: same transmit timestamp as the last accepted one.
    req2 = src.make_request(16 * S, EPOCH_UTC + 16 * S)
    assert src.handle_response(reply1, EPOCH_UTC + 16 * S, None, 16 * S) is DropReason.DUPLICATE
    reply2 = server.reply(req2, EPOCH_UTC + 16 * S + 50 * US)
    assert isinstance(src.handle_response(reply2, EPOCH_UTC + 16 * S + 100 * US, None, 16 * S), Sample)
    # A second, different answer to a request already answered.
    late = server.reply(req2, EPOCH_UTC + 16 * S + 60 * US)
    assert src.handle_response(late, EPOCH_UTC + 16 * S + 200 * US, None, 16 * S) is DropReason.DUPLICATE
    assert src.counters.drops == {DropReason.DUPLICATE: 3}
    assert src.counters.accepted == 2


def test_kod_rate_slows_polling_and_ends_the_burst() -> None:
    src = NtpSource("198.18.0.1", iburst=True, minpoll=4, maxpoll=10)
    res = exchange(src, SimServer(), EPOCH_UTC, stratum=0, leap=3, reference_id=b"RATE", poll=7)
    assert res is DropReason.KOD_RATE
    # Floor: at least one step up and at least the server's poll (7), burst over.
    assert src.poll.hpoll == 7 and src.poll.burst_left == 0
    assert src.next_poll_deadline() == mono(EPOCH_UTC) + 128 * S
    # A second RATE raises it again; never past maxpoll.
    for _ in range(5):
        d = src.next_poll_deadline()
        assert d is not None
        exchange(src, SimServer(), d + EPOCH_UTC, stratum=0, leap=3, reference_id=b"RATE", poll=0)
    assert src.poll.hpoll == 10 and src.stopped is None
    assert src.counters.drops == {DropReason.KOD_RATE: 6}
    assert src.reach.value == 0  # a kiss is not a valid reply


@pytest.mark.parametrize(("code", "reason"), [(b"DENY", DropReason.KOD_DENY), (b"RSTR", DropReason.KOD_RSTR)])
def test_kod_deny_and_rstr_stop_the_source(code: bytes, reason: DropReason) -> None:
    core = NtpClientCore()
    src = core.add_server("198.18.0.1", minpoll=4, maxpoll=10)
    assert exchange(src, SimServer(), EPOCH_UTC, stratum=0, leap=3, reference_id=code) is reason
    assert src.stopped is reason and src.next_poll_deadline() is None
    assert core.next_deadline() is None and core.due(10**15) == []
    with pytest.raises(RuntimeError):
        src.make_request(S, EPOCH_UTC + S)
    assert src.handle_response(b"\x24" + bytes(47), EPOCH_UTC + S, None, S) is DropReason.STOPPED
    result = core.select(S)
    assert not result.synchronised
    assert result.verdicts[src.address].state is SourceState.UNUSABLE
    assert result.verdicts[src.address].reason == reason.label


def test_kod_must_match_our_request_to_count() -> None:
    src = fresh_source()
    res = exchange(src, SimServer(), EPOCH_UTC, stratum=0, reference_id=b"DENY", origin_ts=99)
    assert res is DropReason.BOGUS_ORIGIN and src.stopped is None


def test_authenticated_exchange_with_our_server_core() -> None:
    server = NtpServerCore(
        NtpServerConfig(access=LAB_ALLOWED, keys={KEY.key_id: KEY}, require_auth=True),
        ServerTimeState.synchronised("GPS", 1, EPOCH_UTC - 10 * S, root_dispersion_ns=20 * US),
    )
    src = fresh_source(key=KEY)
    req = src.make_request(0, EPOCH_UTC)
    decision = server.handle(req, ("198.18.0.9", 123), EPOCH_UTC + 2 * MS + 100 * US)
    assert decision.reply is not None and decision.sign_key == KEY
    reply = decision.finalize(EPOCH_UTC + 2 * MS + 150 * US)
    res = src.handle_response(reply, EPOCH_UTC + 250 * US, None, 250 * US)
    assert isinstance(res, Sample)
    # The server is 2 ms ahead, 100 us each way, 50 us inside: offset 2 ms, delay 200 us.
    assert res.offset_ns == 2 * MS and res.delay_ns == 200 * US
    assert src.reply is not None and src.reply.root_dispersion_ns >= 20 * US


def test_authentication_failures_are_drops_that_keep_the_request_open() -> None:
    src = fresh_source(key=KEY)
    keyed = SimServer(key=KEY)
    req = src.make_request(0, EPOCH_UTC)
    good = keyed.reply(req, EPOCH_UTC + 50 * US)
    unsigned = SimServer().reply(req, EPOCH_UTC + 50 * US)
    flipped = good[:-1] + bytes([good[-1] ^ 1])
    wrong_key = SimServer(key=OTHER_KEY).reply(req, EPOCH_UTC + 50 * US)
    nak = unsigned + bytes(4)
    kod_unsigned = SimServer().reply(req, EPOCH_UTC, stratum=0, reference_id=b"DENY")
    got = [src.handle_response(p, EPOCH_UTC + 100 * US, None, 100 * US)
           for p in (unsigned, flipped, wrong_key, nak, kod_unsigned)]
    assert got == [DropReason.AUTH_MISSING, DropReason.AUTH_BAD, DropReason.AUTH_BAD,
                   DropReason.AUTH_NAK, DropReason.AUTH_MISSING]
    assert src.stopped is None
    assert isinstance(src.handle_response(good, EPOCH_UTC + 100 * US, None, 100 * US), Sample)


def test_kernel_tx_timestamp_replaces_the_estimate_as_t1() -> None:
    src = fresh_source()
    server = SimServer()
    est = EPOCH_UTC
    req = src.make_request(0, est)
    reply = server.reply(req, est + 100 * US)
    # The request really left 40 us after the estimate: T1 is the kernel's.
    res = src.handle_response(reply, est + 220 * US, est + 40 * US, 220 * US)
    assert isinstance(res, Sample)
    # offset = ((T2-T1) + (T3-T4)) / 2 = ((100-40) + (120-220)) / 2 us
    assert res.offset_ns == -20 * US and res.delay_ns == 160 * US


def test_our_server_cores_deny_kod_stops_the_client() -> None:
    server = NtpServerCore(NtpServerConfig(access=AccessConfig(deny_kod=True)), SYNCED)
    src = fresh_source()
    assert via_core(src, server, EPOCH_UTC) is DropReason.KOD_DENY
    assert src.stopped is DropReason.KOD_DENY


def test_our_server_cores_rate_kod_backs_the_client_off() -> None:
    limit = RateLimitConfig(interval=4, burst=2, leak=1, kod=True)
    server = NtpServerCore(NtpServerConfig(access=LAB_ALLOWED, ratelimit=limit), SYNCED)
    src = NtpSource("198.18.0.1", iburst=True, minpoll=0, maxpoll=6)
    got = []
    for _ in range(4):
        d = src.next_poll_deadline()
        assert d is not None
        got.append(via_core(src, server, d + EPOCH_UTC))
    # A bucket of 2 answers the first two; over the limit every 2nd request
    # leaks (as RATE), the other is dropped silently (we see nothing).
    assert isinstance(got[0], Sample) and isinstance(got[1], Sample)
    assert sorted(map(str, got[2:])) == sorted(map(str, [None, DropReason.KOD_RATE]))
    assert src.poll.hpoll >= 1 and src.poll.burst_left == 0


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_are_a_counted_drop(junk: bytes) -> None:
    src = fresh_source()
    src.make_request(0, EPOCH_UTC)
    got = src.handle_response(junk, EPOCH_UTC + 100 * US, None, 100 * US)
    assert isinstance(got, DropReason) and src.counters.drops == {got: 1}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 67), st.integers(0, 255)), min_size=1, max_size=6),
       st.booleans())
def test_mutated_replies_never_raise(edits: list[tuple[int, int]], keyed: bool) -> None:
    src = fresh_source(key=KEY if keyed else None)
    req = src.make_request(0, EPOCH_UTC)
    reply = bytearray(SimServer(key=KEY if keyed else None).reply(req, EPOCH_UTC + 50 * US))
    for pos, value in edits:
        if pos < len(reply):
            reply[pos] = value
    got = src.handle_response(bytes(reply), EPOCH_UTC + 100 * US, None, 100 * US)
    assert isinstance(got, (Sample, DropReason))
    assert src.counters.accepted + sum(src.counters.drops.values()) == 1
