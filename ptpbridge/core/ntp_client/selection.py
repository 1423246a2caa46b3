# SPDX-License-Identifier: GPL-2.0-or-later
"""Selection, clustering and combining over plain candidates (RFC 5905 sections 11.2.1-11.2.3).

Pure functions on integers; `system.py` builds the candidates from sources.

Intersection (Marzullo's algorithm as RFC 5905 adapts it): each candidate
claims the true offset lies in [offset - root distance, offset + root
distance]. Allowing f = 0, 1, ... liars while 2f < m, find the lowest point
inside at least m - f intervals and the highest such point; accept the
first f for which low < high and no more than f candidates have their
midpoint (offset) outside [low, high]. Candidates whose interval misses
[low, high] are falsetickers. If no f < m/2 works there is no majority and
nothing may be selected.

This guarantees less than "the interval contains the truth whenever most
intervals do": a minority interval lying inside the majority's can shrink
the intersection to its side (intervals [-1, 9], [-1, 9], [3, 5] with truth
0 give [3, 5]). What holds: when more than half of the intervals contain the
truth, every point of [low, high] is covered by some interval that contains
the truth, so [low, high] lies within twice the largest truthful root
distance of the truth; and when the liars' intervals are disjoint from all
truthful ones, [low, high] contains the truth and exactly the liars are
falsetickers. tests/ntp_client checks both properties.

Clustering prunes, from the survivors ranked by stratum then root distance,
the one whose offset is farthest (RMS) from the others, while more than
`min_survivors` remain and that selection jitter is not below the smallest
peer jitter. Combining averages the kept offsets weighted by 1/root distance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from ptpbridge.wire.ntp.constants import Leap

_LOW, _MID, _HIGH = -1, 0, 1  # sort order of endpoints with equal values


@dataclass(frozen=True, slots=True)
class Candidate:
    """A fit source as the algorithms see it (integer ns)."""

    key: str
    offset_ns: int
    root_distance_ns: int
    stratum: int = 1
    jitter_ns: int = 0
    leap: Leap = Leap.NONE

    @property
    def low_ns(self) -> int:
        return self.offset_ns - self.root_distance_ns

    @property
    def high_ns(self) -> int:
        return self.offset_ns + self.root_distance_ns


@dataclass(frozen=True, slots=True)
class Intersection:
    """The majority interval and how many falsetickers it had to allow."""

    low_ns: int
    high_ns: int
    allowed_falsetickers: int

    def overlaps(self, c: Candidate) -> bool:
        return c.low_ns <= self.high_ns and c.high_ns >= self.low_ns


def intersect(candidates: Sequence[Candidate]) -> Intersection | None:
    """The intersection interval of a majority of candidates, or None when there is no majority."""
    m = len(candidates)
    points = sorted(p for c in candidates
                    for p in ((c.low_ns, _LOW), (c.offset_ns, _MID), (c.high_ns, _HIGH)))
    f = 0
    while 2 * f < m:
        need = m - f
        outside = 0
        low = high = None
        depth = 0
        for value, kind in points:
            if kind == _MID:
                outside += 1
                continue
            depth -= kind  # entering an interval adds one, leaving subtracts one
            if depth >= need:
                low = value
                break
        depth = 0
        for value, kind in reversed(points):
            if kind == _MID:
                outside += 1
                continue
            depth += kind
            if depth >= need:
                high = value
                break
        if low is not None and high is not None and outside <= f and low < high:
            return Intersection(low, high, f)
        f += 1
    return None


def metric(c: Candidate, max_distance_ns: int) -> int:
    """RFC 5905's survivor ranking: stratum first, root distance within a stratum."""
    return c.stratum * max_distance_ns + c.root_distance_ns


def selection_jitter(c: Candidate, group: Sequence[Candidate]) -> int:
    """RMS of the offset differences between `c` and the rest of `group` (which includes it)."""
    if len(group) < 2:
        return 0
    squares = sum((c.offset_ns - o.offset_ns) ** 2 for o in group)
    return math.isqrt(squares // (len(group) - 1))


def cluster(survivors: Sequence[Candidate], min_survivors: int,
            max_distance_ns: int) -> tuple[list[Candidate], list[Candidate]]:
    """(kept in ranking order, pruned in pruning order)."""
    kept = sorted(survivors, key=lambda c: (metric(c, max_distance_ns), c.key))
    pruned: list[Candidate] = []
    while len(kept) > min_survivors:
        jitters = [selection_jitter(c, kept) for c in kept]
        worst = max(range(len(kept)), key=lambda i: (jitters[i], i))
        if jitters[worst] < min(c.jitter_ns for c in kept):
            break
        pruned.append(kept.pop(worst))
    return kept, pruned


def combine(kept: Sequence[Candidate], peer: Candidate) -> tuple[int, int]:
    """(system offset, system jitter): offsets weighted by 1/root distance; jitter from the
    weighted spread around the peer's offset and the peer's own jitter."""
    weights = [Fraction(1, max(c.root_distance_ns, 1)) for c in kept]
    total = sum(weights, Fraction(0))
    offset = sum((w * c.offset_ns for w, c in zip(weights, kept)), Fraction(0)) / total
    spread = sum((w * (c.offset_ns - peer.offset_ns) ** 2 for w, c in zip(weights, kept)), Fraction(0)) / total
    jitter = math.isqrt(round(spread + peer.jitter_ns ** 2))
    return round(offset), jitter


def majority_leap(kept: Sequence[Candidate]) -> Leap:
    """A leap announced by more than half of the survivors, else none."""
    for leap in (Leap.INSERT, Leap.DELETE):
        if 2 * sum(c.leap == leap for c in kept) > len(kept):
            return leap
    return Leap.NONE
