# SPDX-License-Identifier: GPL-2.0-or-later
"""Reachability register, iburst, poll adaptation and the missed-poll dummy, on synthetic time."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ptpbridge.core.ntp_client import (
    DEFAULT_TUNING,
    NtpClientCore,
    NtpSource,
    ReachRegister,
    Sample,
    SystemPoll,
)

from ._sim import EPOCH_UTC, MS, US, S, SimServer, exchange, mono, run_polls


def deadlines_of(src: NtpSource, server: SimServer | None, polls: int,
                 answered: list[bool] | None = None) -> list[int]:
    """Monotonic deadlines at which the source asked to be polled, polling exactly then."""
    seen = []
    for i in range(polls):
        d = src.next_poll_deadline()
        assert d is not None
        seen.append(d)
        run_polls(src, server if answered is None or answered[i] else None, d + EPOCH_UTC, 1)
    return seen


@settings(max_examples=100, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=40))
def test_reach_register_follows_answered_polls(answered: list[bool]) -> None:
    src = NtpSource("198.18.0.1", minpoll=0, maxpoll=0)
    server = SimServer()
    expected = 0
    run_polls_answered = 0
    for a in answered:
        d = src.next_poll_deadline()
        assert d is not None
        run_polls(src, server if a else None, d + EPOCH_UTC, 1)
        expected = ((expected << 1) & 0xFF) | int(a)
        run_polls_answered += a
        assert src.reach.value == expected
        assert src.reach.octal == format(expected, "o")
    assert src.counters.accepted == run_polls_answered


def test_reach_octal_like_chronyc() -> None:
    r = ReachRegister()
    for _ in range(8):
        r.on_poll()
        r.on_reply()
    assert r.octal == "377"
    r.on_poll()
    assert r.octal == "376" and r.reachable
    for _ in range(7):
        r.on_poll()
    assert r.octal == "0" and not r.reachable


def test_iburst_sends_four_requests_two_seconds_apart_then_polls_at_minpoll() -> None:
    src = NtpSource("198.18.0.1", iburst=True, minpoll=4, maxpoll=4)
    assert deadlines_of(src, SimServer(), 7) == [0, 2 * S, 4 * S, 6 * S, 22 * S, 38 * S, 54 * S]
    assert src.reach.octal == "177"


def test_without_iburst_the_first_polls_are_minpoll_apart() -> None:
    src = NtpSource("198.18.0.1", iburst=False, minpoll=4, maxpoll=4)
    assert deadlines_of(src, SimServer(), 3) == [0, 16 * S, 32 * S]


def test_burst_spacing_shrinks_to_a_short_minpoll() -> None:
    src = NtpSource("198.18.0.1", iburst=True, minpoll=-2, maxpoll=-2)
    assert deadlines_of(src, SimServer(), 5) == [0, S // 4, S // 2, 3 * S // 4, S]


def test_unreachable_source_backs_off_then_bursts_and_recovers() -> None:
    src = NtpSource("198.18.0.1", iburst=True, minpoll=4, maxpoll=6)
    # Requests 1-4: the answered start burst; 5-18 unanswered; 19 answered.
    answered = [True] * 4 + [False] * 14 + [True]
    got = deadlines_of(src, SimServer(), len(answered), answered)
    gaps = [b - a for a, b in zip(got, got[1:])]  # gaps[k] is chosen when request k+1 goes out
    burst = [2 * S] * 3
    assert gaps[:3] == burst
    # Requests 4-12 see a non-empty register (the burst's bits shift out
    # only at request 12): plain 16 s polls.
    assert gaps[3:12] == [16 * S] * 9
    # Request 13 finds the register empty: a burst; 8 requests have gone
    # unanswered, so the poll after the burst is 2**5 s ...
    assert gaps[12:15] == burst
    assert gaps[15] == 32 * S
    # ... and request 17 starts the next burst at 2**6 s (maxpoll).
    assert gaps[16:18] == [2 * S] * 2 and src.poll.hpoll == 4
    # The reply to request 19 set the register and restored the target (minpoll).
    assert src.reach.value == 1


def test_system_poll_rises_while_steady_and_falls_when_offsets_exceed_four_jitters() -> None:
    sp = SystemPoll(DEFAULT_TUNING)
    steady = [sp.update(1 * US, 1 * US, 0, 3) for _ in range(18)]
    # +1 per steady update, a step up at 6 (the counter restarting at 0):
    # exponent 1 after the 6th update, 2 after the 12th, 3 after the 18th.
    assert steady == [0] * 5 + [1] * 6 + [2] * 6 + [3]
    # |offset| >= 4 jitters counts -2: three such updates per step down.
    unsteady = [sp.update(4 * US, 1 * US, 0, 3) for _ in range(9)]
    assert unsteady == [3, 3, 2, 2, 2, 1, 1, 1, 0]
    assert sp.update(-9 * MS, 1 * MS, 0, 3) == 0  # never below the lowest bound


def test_sources_follow_the_system_poll_within_their_bounds() -> None:
    core = NtpClientCore()
    a = core.add_server("198.18.0.1", minpoll=0, maxpoll=2)
    b = core.add_server("198.18.0.2", minpoll=1, maxpoll=6)
    c = core.add_server("198.18.0.3", minpoll=0, maxpoll=6)
    server = SimServer()
    now = EPOCH_UTC
    seen = []
    for _ in range(200):
        now += S
        for s in core.due(mono(now)):
            assert isinstance(exchange(s, server, now), Sample)
        core.select(mono(now) + MS)
        seen.append((a.poll.hpoll, b.poll.hpoll, c.poll.hpoll, core.system_poll.exponent))
    assert seen[0] == (0, 1, 0, -6)  # no selection yet: the system exponent is still unset
    assert max(x[0] for x in seen) == 2  # a never above its maxpoll
    assert all(x[1] >= 1 for x in seen)  # b never below its minpoll
    assert all(x[2] == max(x[3], 0) for x in seen)  # c follows the system exponent
    assert seen[-1][3] >= 3


def test_three_missed_polls_push_a_dummy_into_the_filter() -> None:
    src = NtpSource("198.18.0.1", minpoll=0, maxpoll=0)
    run_polls(src, SimServer(), EPOCH_UTC, 8)
    est = src.estimate
    assert est is not None and est.valid_stages == 8
    valid = []
    for _ in range(6):
        d = src.next_poll_deadline()
        assert d is not None
        src.make_request(d, d + EPOCH_UTC)
        e = src.estimate
        assert e is not None
        valid.append(e.valid_stages)
    # Polls 1-3 unanswered leave the filter alone; from the 4th poll on, each
    # poll finds the last three unanswered and shifts a dummy in.
    assert valid == [8, 8, 8, 7, 6, 5]


def test_first_selection_needs_four_samples_of_a_burst() -> None:
    src = NtpSource("198.18.0.1", iburst=True, minpoll=6, maxpoll=10)
    server = SimServer()
    distances = []
    for _ in range(4):
        d = src.next_poll_deadline()
        assert d is not None
        exchange(src, server, d + EPOCH_UTC)
        distances.append(src.root_distance_ns(mono(d + EPOCH_UTC) + MS))
    # RFC 5905: dispersion of n valid + (8 - n) dummy stages; MAXDIST is 1 s.
    assert [dist is not None and dist > S for dist in distances] == [True, True, True, False]
