# SPDX-License-Identifier: GPL-2.0-or-later
"""Data set comparison (IEEE 1588-2019 9.3.4) and state decision (9.3.3), table-driven plus properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ptpbridge.core.ptp.bmca import Comparison, ComparisonDataset, Decision, best_of, compare, state_decision
from ptpbridge.wire.ptp.constants import PortState
from ptpbridge.wire.ptp.values import ClockIdentity, ClockQuality, PortIdentity

C = Comparison
GM_A = ClockIdentity.from_int(0x10)
GM_B = ClockIdentity.from_int(0x20)
X = ClockIdentity.from_int(0x30)  # a sender's clock
Y = ClockIdentity.from_int(0x40)
ME = ClockIdentity.from_int(0x50)


def ds(
    *,
    p1: int = 128,
    cls: int = 248,
    acc: int = 0xFE,
    var: int = 0xFFFF,
    p2: int = 128,
    gm: ClockIdentity = GM_A,
    steps: int = 0,
    sender: PortIdentity = PortIdentity(X, 1),
    receiver: PortIdentity = PortIdentity(ME, 1),
) -> ComparisonDataset:
    return ComparisonDataset(p1, gm, ClockQuality(cls, acc, var), p2, steps, sender, receiver)


# -- part 1: different grandmasters -------------------------------------------------

PART1 = [
    ("priority1", ds(p1=100, gm=GM_B), ds(p1=101)),
    ("clockClass", ds(cls=6, gm=GM_B), ds(cls=7)),
    ("clockAccuracy", ds(acc=0x20, gm=GM_B), ds(acc=0x21)),
    ("offsetScaledLogVariance", ds(var=0x4000, gm=GM_B), ds(var=0x4001)),
    ("priority2", ds(p2=1, gm=GM_B), ds(p2=2)),
    ("identity", ds(gm=GM_A), ds(gm=GM_B)),
    # each earlier attribute outranks every later one
    ("priority1 over the rest", ds(p1=1, cls=255, acc=0xFE, var=0xFFFF, p2=255, gm=GM_B), ds(p1=2, cls=6, acc=0x20, var=0, p2=0)),
    ("class over accuracy", ds(cls=6, acc=0xFE, gm=GM_B), ds(cls=7, acc=0x20)),
    ("accuracy over variance", ds(acc=0x20, var=0xFFFF, gm=GM_B), ds(acc=0x21, var=0)),
    ("variance over priority2", ds(var=1, p2=255, gm=GM_B), ds(var=2, p2=0)),
    ("priority2 over identity", ds(p2=1, gm=GM_B), ds(p2=2, gm=GM_A)),
    # part 1 ignores topology entirely
    ("stepsRemoved irrelevant", ds(p1=1, steps=200, gm=GM_B), ds(p1=2, steps=0)),
]


@pytest.mark.parametrize(("name", "better", "worse"), PART1, ids=[c[0] for c in PART1])
def test_part1(name: str, better: ComparisonDataset, worse: ComparisonDataset) -> None:
    assert compare(better, worse) is C.A_BETTER
    assert compare(worse, better) is C.B_BETTER


# -- part 2: the same grandmaster ------------------------------------------------------

PART2 = [
    # stepsRemoved differ by more than one: plain better
    ("A shorter by 2", ds(steps=1), ds(steps=3), C.A_BETTER),
    ("B shorter by 2", ds(steps=5), ds(steps=3), C.B_BETTER),
    # A one step longer: its receiver vs its sender
    ("A+1, receiver < sender", ds(steps=2, receiver=PortIdentity(X, 1), sender=PortIdentity(Y, 1)), ds(steps=1), C.B_BETTER),
    ("A+1, receiver > sender", ds(steps=2, receiver=PortIdentity(Y, 1), sender=PortIdentity(X, 1)), ds(steps=1),
     C.B_BETTER_BY_TOPOLOGY),
    ("A+1, receiver == sender", ds(steps=2, receiver=PortIdentity(X, 3), sender=PortIdentity(X, 3)), ds(steps=1), C.ERROR1),
    # B one step longer
    ("B+1, receiver < sender", ds(steps=1), ds(steps=2, receiver=PortIdentity(X, 1), sender=PortIdentity(Y, 1)), C.A_BETTER),
    ("B+1, receiver > sender", ds(steps=1), ds(steps=2, receiver=PortIdentity(Y, 1), sender=PortIdentity(X, 1)),
     C.A_BETTER_BY_TOPOLOGY),
    ("B+1, receiver == sender", ds(steps=1), ds(steps=2, receiver=PortIdentity(Y, 2), sender=PortIdentity(Y, 2)), C.ERROR1),
    # equal stepsRemoved: senders, then receiver port numbers
    ("sender A lower", ds(sender=PortIdentity(X, 1)), ds(sender=PortIdentity(Y, 1)), C.A_BETTER_BY_TOPOLOGY),
    ("sender port number", ds(sender=PortIdentity(X, 2)), ds(sender=PortIdentity(X, 1)), C.B_BETTER_BY_TOPOLOGY),
    ("receiver port A lower", ds(receiver=PortIdentity(ME, 1)), ds(receiver=PortIdentity(ME, 2)), C.A_BETTER_BY_TOPOLOGY),
    ("receiver port B lower", ds(receiver=PortIdentity(ME, 3)), ds(receiver=PortIdentity(ME, 2)), C.B_BETTER_BY_TOPOLOGY),
    ("identical", ds(), ds(), C.ERROR2),
    # part 2 ignores the quality attributes (they describe the same grandmaster)
    ("quality irrelevant", ds(p1=200, steps=1), ds(p1=1, steps=3), C.A_BETTER),
]


@pytest.mark.parametrize(("name", "a", "b", "expected"), PART2, ids=[c[0] for c in PART2])
def test_part2(name: str, a: ComparisonDataset, b: ComparisonDataset, expected: Comparison) -> None:
    assert compare(a, b) is expected


def test_swapped_is_an_involution() -> None:
    for c in Comparison:
        assert c.swapped().swapped() is c
    assert {c for c in Comparison if c.a_wins} == {C.A_BETTER, C.A_BETTER_BY_TOPOLOGY}


# -- properties --------------------------------------------------------------------

_ids = st.sampled_from([GM_A, GM_B, X, Y, ME])
_pids = st.builds(PortIdentity, _ids, st.integers(1, 3))
datasets = st.builds(
    ComparisonDataset,
    st.integers(0, 3).map(lambda v: 126 + v),
    _ids,
    st.builds(ClockQuality, st.sampled_from([6, 7, 248]), st.sampled_from([0x20, 0xFE]), st.sampled_from([0, 0xFFFF])),
    st.integers(127, 129),
    st.integers(0, 4),
    _pids,
    _pids,
)


@given(datasets, datasets)
def test_antisymmetric(a: ComparisonDataset, b: ComparisonDataset) -> None:
    assert compare(a, b) is compare(b, a).swapped()


distinct_gm = st.lists(datasets, min_size=3, max_size=3, unique_by=lambda d: d.grandmaster_identity)


@given(distinct_gm)
def test_part1_transitive(triple: list[ComparisonDataset]) -> None:
    a, b, c = triple
    if compare(a, b) is C.A_BETTER and compare(b, c) is C.A_BETTER:
        assert compare(a, c) is C.A_BETTER
    # and part 1 is a total order: exactly one of A/B better
    assert compare(a, b) in (C.A_BETTER, C.B_BETTER)


@given(st.lists(datasets, min_size=1, max_size=6, unique_by=lambda d: d.grandmaster_identity))
def test_best_of_beats_all(items: list[ComparisonDataset]) -> None:
    best = best_of(items, lambda d: d)
    assert best is not None
    assert all(d is best or compare(best, d).a_wins for d in items)


# -- state decision (Figure 33) -----------------------------------------------------------

D0 = ComparisonDataset(128, ME, ClockQuality(248, 0xFE, 0xFFFF), 128, 0, PortIdentity(ME, 0), PortIdentity(ME, 0))
D0_CLASS6 = D0._replace(grandmaster_quality=ClockQuality(6, 0x21, 0x4E5D))
BETTER = ds(p1=100, gm=GM_A)  # beats D0 on priority1
WORSE = ds(p1=200, gm=GM_B)
S = PortState


def decide(
    d0: ComparisonDataset,
    ebest: ComparisonDataset | None,
    erbest: ComparisonDataset | None,
    state: PortState = S.MASTER,
    *,
    here: bool = False,
    slave_only: bool = False,
) -> Decision | None:
    return state_decision(d0, ebest, erbest, state, ebest_here=here, slave_only=slave_only)


def test_listening_without_candidates_waits() -> None:
    assert decide(D0, None, None, S.LISTENING) is None
    # ... but a port that hears nothing while not listening is decided
    assert decide(D0, None, None, S.MASTER) is Decision.M2


def test_m1_and_p1_for_master_only_classes() -> None:
    assert decide(D0_CLASS6, WORSE, WORSE, here=True) is Decision.M1
    assert decide(D0_CLASS6, None, None, S.PASSIVE) is Decision.M1
    # class <= 127 never becomes slave: a better foreign master makes it passive
    assert decide(D0_CLASS6, BETTER, BETTER, here=True) is Decision.P1
    assert Decision.M1.recommended is S.MASTER and Decision.P1.recommended is S.PASSIVE


def test_m2_when_we_beat_ebest() -> None:
    assert decide(D0, WORSE, WORSE, here=True) is Decision.M2
    assert Decision.M2.grandmaster and not Decision.M3.grandmaster


def test_s1_when_ebest_is_on_this_port() -> None:
    decision = decide(D0, BETTER, BETTER, here=True)
    assert decision is Decision.S1 and decision.recommended is S.SLAVE


def test_p2_when_ebest_is_better_by_topology() -> None:
    # The same grandmaster reaches us on two ports; the other port's path wins by topology.
    ebest = ds(p1=100, gm=GM_A, sender=PortIdentity(X, 1), receiver=PortIdentity(ME, 1))
    erbest = ds(p1=100, gm=GM_A, sender=PortIdentity(Y, 1), receiver=PortIdentity(ME, 2))
    assert compare(ebest, erbest) is C.A_BETTER_BY_TOPOLOGY
    assert decide(D0, ebest, erbest) is Decision.P2


def test_m3_when_ebest_is_elsewhere_and_plainly_better() -> None:
    assert decide(D0, BETTER, WORSE) is Decision.M3
    assert decide(D0, BETTER, None) is Decision.M3  # nothing heard on this port


def test_slave_only() -> None:
    d0 = D0._replace(grandmaster_quality=ClockQuality(255, 0xFE, 0xFFFF))
    assert decide(d0, BETTER, BETTER, here=True, slave_only=True) is Decision.S1
    assert decide(d0, WORSE, WORSE, here=True, slave_only=True) is Decision.S1  # no mastering, ever
    listen = decide(d0, BETTER, WORSE, slave_only=True)
    assert listen is Decision.SLAVE_ONLY_LISTEN and listen.recommended is S.LISTENING
    assert decide(d0, None, None, S.MASTER, slave_only=True) is Decision.SLAVE_ONLY_LISTEN
    assert decide(d0, None, None, S.LISTENING, slave_only=True) is None
