# SPDX-License-Identifier: GPL-2.0-or-later
"""Clustering, combining (RFC 5905 sections 11.2.2, 11.2.3) and the whole selection over sources."""

from __future__ import annotations

import json
import math
from fractions import Fraction

from ptpbridge.core.ntp_client import (
    DEFAULT_TUNING,
    Candidate,
    NtpClientCore,
    NtpSource,
    SelectionResult,
    SourceState,
    cluster,
    combine,
    select_sources,
)
from ptpbridge.core.ntp_client.selection import majority_leap
from ptpbridge.wire.ntp import Leap, refid_for_source

from ._sim import EPOCH_UTC, MS, US, S, SimServer, exchange, mono

A, B, C, D, E = (f"198.18.0.{i}" for i in range(1, 6))


def cand(key: str, off: int, rd: int = 1 * MS, stratum: int = 1, jitter: int = 5 * US,
         leap: Leap = Leap.NONE) -> Candidate:
    return Candidate(key, off, rd, stratum, jitter, leap)


def test_clustering_prunes_the_farthest_until_three_remain() -> None:
    # Selection jitter (RMS offset difference to the others): 500 us stands
    # out first; among 0, 10, -10, 25 us the 25 us one has sqrt((625+225+1225)/3)
    # = 26.3 us against 24 us for -10; then three remain (NMIN).
    group = [cand("a", 0), cand("b", 10 * US), cand("c", -10 * US), cand("d", 25 * US), cand("e", 500 * US)]
    kept, pruned = cluster(group, 3, DEFAULT_TUNING.max_distance_ns)
    assert [c.key for c in pruned] == ["e", "d"]
    assert sorted(c.key for c in kept) == ["a", "b", "c"]


def test_clustering_stops_when_selection_jitter_is_below_peer_jitter() -> None:
    group = [cand(k, o, jitter=1 * MS) for k, o in (("a", 0), ("b", 10 * US), ("c", -10 * US), ("e", 500 * US))]
    kept, pruned = cluster(group, 3, DEFAULT_TUNING.max_distance_ns)
    assert pruned == [] and len(kept) == 4


def test_clustering_ranks_by_stratum_then_root_distance() -> None:
    group = [cand("far", 0, rd=3 * MS), cand("near", 0, rd=1 * MS), cand("s2", 0, rd=100 * US, stratum=2)]
    kept, _ = cluster(group, 3, DEFAULT_TUNING.max_distance_ns)
    assert [c.key for c in kept] == ["near", "far", "s2"]


def test_combining_weights_by_inverse_root_distance() -> None:
    kept = [cand("p", 0, rd=1 * MS, jitter=0), cand("q", 3 * MS, rd=2 * MS, jitter=0)]
    offset, jitter = combine(kept, kept[0])
    # weights 1 and 1/2: (0 + 3 ms / 2) / 1.5 = 1 ms; spread around the
    # peer's 0: (1 * 0 + 1/2 * 9 ms^2) / 1.5 = 3 ms^2.
    assert offset == 1 * MS
    assert abs(jitter - math.sqrt(3) * MS) <= 1


def test_majority_leap() -> None:
    ins, none, dele = Leap.INSERT, Leap.NONE, Leap.DELETE
    assert majority_leap([cand("a", 0, leap=ins), cand("b", 0, leap=ins), cand("c", 0, leap=none)]) is ins
    assert majority_leap([cand("a", 0, leap=ins), cand("b", 0, leap=none)]) is none
    assert majority_leap([cand("a", 0, leap=dele), cand("b", 0, leap=dele), cand("c", 0, leap=ins)]) is dele


def drive(core: NtpClientCore, servers: dict[str, SimServer], seconds: int,
          silent: frozenset[str] = frozenset(), start: int = EPOCH_UTC) -> tuple[int, SelectionResult]:
    """From UTC `start`, poll the due sources once a second for `seconds`, selecting after each step."""
    now = start
    result = core.select(mono(now))
    for _ in range(seconds):
        now += S
        for src in core.due(mono(now)):
            if src.address in silent:
                src.make_request(mono(now), now)
            else:
                exchange(src, servers[src.address], now)
        result = core.select(mono(now) + 10 * MS)
    return now, result


def make_core(addresses: list[str], **kw: object) -> NtpClientCore:
    core = NtpClientCore(**kw)  # type: ignore[arg-type]
    for a in addresses:
        core.add_server(a, iburst=True, minpoll=0, maxpoll=0)
    return core


def test_falseticker_is_marked_and_the_rest_combined() -> None:
    servers = {A: SimServer(offset_ns=0), B: SimServer(offset_ns=40 * US, root_delay_ns=200 * US),
               C: SimServer(offset_ns=-30 * US), D: SimServer(offset_ns=50 * MS)}
    core = make_core([A, B, C, D])
    now, res = drive(core, servers, 14)
    assert res.synchronised
    assert res.falsetickers == (D,) and res.verdicts[D].state is SourceState.FALSETICKER
    assert sorted(res.survivors) == [A, B, C]
    peer = res.system_peer
    assert peer in (A, B, C) and res.verdicts[peer].state is SourceState.SELECTED
    others = {A, B, C} - {peer}
    assert all(res.verdicts[k].state is SourceState.CANDIDATE for k in others)
    # Combined offset: the RFC weighted mean, recomputed from the sources' variables.
    t = mono(now) + 10 * MS
    srcs = {s.address: s for s in core.sources}
    num, den = Fraction(0), Fraction(0)
    for k in (A, B, C):
        dist, est = srcs[k].root_distance_ns(t), srcs[k].estimate
        assert dist is not None and est is not None
        num += Fraction(est.offset_ns, dist)
        den += Fraction(1, dist)
    assert res.offset_ns == round(num / den)
    assert abs(res.offset_ns - 10 * US / 3) < 40 * US
    # System variables from the peer.
    p = srcs[peer]
    assert p.reply is not None and p.estimate is not None
    assert res.stratum == 2 and res.reference_id == refid_for_source(peer) and res.leap is Leap.NONE
    assert res.root_delay_ns == p.reply.root_delay_ns + p.estimate.delay_ns
    assert res.root_dispersion_ns >= p.estimate.dispersion_ns + res.jitter_ns + abs(res.offset_ns)
    assert res.peer_sample_mono_ns == p.estimate.sample_mono_ns


def test_first_selection_waits_for_the_fourth_burst_sample() -> None:
    servers = {a: SimServer() for a in (A, B, C)}
    core = NtpClientCore()
    for a in (A, B, C):
        core.add_server(a, iburst=True, minpoll=6, maxpoll=10)
    now, results = EPOCH_UTC - S, []
    for _ in range(10):
        now, res = drive(core, servers, 1, start=now)
        results.append(res)
    first = next(i for i, r in enumerate(results) if r.synchronised)
    # Burst requests at 0, 2, 4 and 6 s: selection right after the fourth.
    assert first == 6
    early = results[first - 1]
    assert early.reason == "no fit source"
    assert all(v.state is SourceState.UNUSABLE and v.reason and "root distance" in v.reason
               for v in early.verdicts.values())


def test_two_against_two_selects_nothing_and_marks_all() -> None:
    servers = {A: SimServer(), B: SimServer(offset_ns=30 * US), C: SimServer(offset_ns=50 * MS),
               D: SimServer(offset_ns=50 * MS + 30 * US)}
    _, res = drive(make_core([A, B, C, D]), servers, 14)
    assert not res.synchronised and res.reason == "no majority" and res.system_peer is None
    assert res.stratum == 16 and res.leap is Leap.UNSYNCHRONISED
    assert {v.state for v in res.verdicts.values()} == {SourceState.FALSETICKER}


def test_system_peer_sticks_while_it_stays_at_the_same_stratum() -> None:
    servers = {A: SimServer(), B: SimServer(), C: SimServer()}
    core = make_core([A, B, C])
    now, res = drive(core, servers, 14)
    first_peer = res.system_peer
    assert first_peer is not None
    # The peer's root delay grows to 20 ms (root distance 10 ms against the
    # others' 2.5 ms MINDISP floor): no hop while it survives at the same stratum ...
    servers[first_peer].root_delay_ns = 20 * MS
    now, res = drive(core, servers, 10, start=now)
    assert res.system_peer == first_peer and first_peer in res.survivors
    # ... but a selection without that history takes a better one.
    fresh = select_sources(core.sources, mono(now) + 10 * MS)
    assert fresh.system_peer not in (first_peer, None)


def test_unfit_sources_get_reasons() -> None:
    ours = refid_for_source("198.18.0.200")
    servers = {A: SimServer(), B: SimServer(), C: SimServer(stratum=15), D: SimServer(stratum=3, reference_id=ours)}
    core = make_core([A, B, C, D, E], local_refids=[ours])
    _, res = drive(core, servers, 14, silent=frozenset({E}))
    v = res.verdicts
    assert v[C].state is SourceState.UNUSABLE and "stratum 15" in (v[C].reason or "")
    assert v[D].state is SourceState.UNUSABLE and "loop" in (v[D].reason or "")
    assert v[E].state is SourceState.UNREACHABLE
    assert res.synchronised and sorted(res.survivors) == [A, B]


def test_leap_comes_from_the_majority_of_survivors() -> None:
    servers = {A: SimServer(leap=1), B: SimServer(leap=1), C: SimServer(leap=0)}
    _, res = drive(make_core([A, B, C]), servers, 14)
    assert res.synchronised and res.leap is Leap.INSERT


def test_sources_status_rows_read_like_chronyc() -> None:
    servers = {A: SimServer(), B: SimServer(), C: SimServer(), D: SimServer(offset_ns=50 * MS)}
    core = make_core([A, B, C, D, E])
    now, res = drive(core, servers, 14, silent=frozenset({E}))
    rows = {r.address: r for r in core.status(mono(now))}
    assert rows[D].symbol == "x" and rows[E].symbol == "?" and rows[E].reach_octal == "0"
    assert rows[res.system_peer].symbol == "*"  # type: ignore[index]
    assert sorted(r.symbol for r in rows.values()) == ["*", "+", "+", "?", "x"]
    assert rows[A].reach_octal == "377" and rows[A].kind.value == "server"
    off = rows[D].offset_ns
    assert off is not None and abs(off - 50 * MS) < 1 * MS
    doc = json.loads(json.dumps([r.as_dict() for r in rows.values()]))
    assert {d["state"] for d in doc} == {"selected", "candidate", "falseticker", "unreachable"}


def test_a_lone_source_without_samples_is_never_selected() -> None:
    src = NtpSource(A)
    res = select_sources([src], 0)
    assert not res.synchronised and res.verdicts[A].state is SourceState.UNREACHABLE
