# SPDX-License-Identifier: GPL-2.0-or-later
"""The best master clock algorithm of IEEE 1588-2019 9.3: data set comparison and state decision.

Both parts are pure functions of their arguments, so they are tested by
tables and properties, and the clock (``clock.py``) only gathers inputs and
applies the result.

Comparison (9.3.4, Figures 34 and 35). Part 1 orders different grandmasters
by priority1, clockClass, clockAccuracy, offsetScaledLogVariance,
priority2, then grandmaster identity (lower is better everywhere). Part 2
orders two paths to the same grandmaster: stepsRemoved first when they
differ by more than one; when they differ by exactly one, the longer path
loses, "by topology" if it came in through a port with a higher identity
than its sender's, plainly if lower, and error-1 if receiver equals sender
(a message received by the port that sent it); equal stepsRemoved compare
sender identities, then receiver port numbers, and error-2 if all is equal
(the same message twice).

State decision (9.3.3, Figure 33): see ``state_decision``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import NamedTuple, TypeVar

from ptpbridge.wire.ptp.constants import PortState
from ptpbridge.wire.ptp.values import ClockIdentity, ClockQuality, PortIdentity

T = TypeVar("T")

# Announce messages with stepsRemoved at or above this are not qualified (9.3.2.5).
STEPS_REMOVED_LIMIT = 255
# clockClass 1..127: a clock that never becomes a slave (9.3.3, Figure 33).
CLOCK_CLASS_MASTER_ONLY_MAX = 127


class ComparisonDataset(NamedTuple):
    """What the BMCA compares (9.3.4 Table 30): an Announce as received, or our own defaultDS.

    ``sender`` is the Announce's sourcePortIdentity and ``receiver`` the
    identity of the port that received it; for our own data set (D0) both are
    our clockIdentity with portNumber 0.
    """

    priority1: int
    grandmaster_identity: ClockIdentity
    grandmaster_quality: ClockQuality
    priority2: int
    steps_removed: int
    sender: PortIdentity
    receiver: PortIdentity


class Comparison(enum.Enum):
    """Outcome of comparing data set A with data set B."""

    A_BETTER = "A better"
    A_BETTER_BY_TOPOLOGY = "A better by topology"
    B_BETTER_BY_TOPOLOGY = "B better by topology"
    B_BETTER = "B better"
    ERROR1 = "error-1"
    ERROR2 = "error-2"

    @property
    def a_wins(self) -> bool:
        """A is better, plainly or by topology ("A better than B" in Figure 33)."""
        return self in (Comparison.A_BETTER, Comparison.A_BETTER_BY_TOPOLOGY)

    def swapped(self) -> Comparison:
        """The result of comparing B with A."""
        return _SWAPPED[self]


_SWAPPED = {
    Comparison.A_BETTER: Comparison.B_BETTER,
    Comparison.B_BETTER: Comparison.A_BETTER,
    Comparison.A_BETTER_BY_TOPOLOGY: Comparison.B_BETTER_BY_TOPOLOGY,
    Comparison.B_BETTER_BY_TOPOLOGY: Comparison.A_BETTER_BY_TOPOLOGY,
    Comparison.ERROR1: Comparison.ERROR1,
    Comparison.ERROR2: Comparison.ERROR2,
}


def _part1_key(ds: ComparisonDataset) -> tuple[int, int, int, int, int, bytes]:
    q = ds.grandmaster_quality
    return (
        ds.priority1,
        q.clock_class,
        q.clock_accuracy,
        q.offset_scaled_log_variance,
        ds.priority2,
        bytes(ds.grandmaster_identity),
    )


def compare(a: ComparisonDataset, b: ComparisonDataset) -> Comparison:
    """Compare two data sets per 9.3.4; lower values win."""
    if a.grandmaster_identity != b.grandmaster_identity:
        return Comparison.A_BETTER if _part1_key(a) < _part1_key(b) else Comparison.B_BETTER
    return _compare_topology(a, b)


def _compare_topology(a: ComparisonDataset, b: ComparisonDataset) -> Comparison:
    """Part 2 (Figure 35): the same grandmaster reached along two paths."""
    sa, sb = a.steps_removed, b.steps_removed
    if sa > sb + 1:
        return Comparison.B_BETTER
    if sb > sa + 1:
        return Comparison.A_BETTER
    if sa == sb + 1:
        # A is one step longer: did A come back to us through our own downstream?
        return _longer_path(a.receiver, a.sender, Comparison.B_BETTER, Comparison.B_BETTER_BY_TOPOLOGY)
    if sb == sa + 1:
        return _longer_path(b.receiver, b.sender, Comparison.A_BETTER, Comparison.A_BETTER_BY_TOPOLOGY)
    if a.sender != b.sender:
        return Comparison.A_BETTER_BY_TOPOLOGY if a.sender < b.sender else Comparison.B_BETTER_BY_TOPOLOGY
    if a.receiver.port_number != b.receiver.port_number:
        if a.receiver.port_number < b.receiver.port_number:
            return Comparison.A_BETTER_BY_TOPOLOGY
        return Comparison.B_BETTER_BY_TOPOLOGY
    return Comparison.ERROR2


def _longer_path(
    receiver: PortIdentity, sender: PortIdentity, plain: Comparison, topo: Comparison
) -> Comparison:
    if receiver < sender:
        return plain
    if receiver > sender:
        return topo
    return Comparison.ERROR1


class Decision(enum.Enum):
    """The state decision code (9.3.3) and the state it recommends."""

    M1 = ("M1", PortState.MASTER)
    M2 = ("M2", PortState.MASTER)
    M3 = ("M3", PortState.MASTER)
    S1 = ("S1", PortState.SLAVE)
    P1 = ("P1", PortState.PASSIVE)
    P2 = ("P2", PortState.PASSIVE)
    # Not a code of Figure 33: a slave-only clock whose best master is not on
    # this port (or who has none) listens instead of mastering (9.2.2.1).
    SLAVE_ONLY_LISTEN = ("slave-only", PortState.LISTENING)

    def __init__(self, code: str, recommended: PortState) -> None:
        self.code = code
        self.recommended = recommended

    @property
    def grandmaster(self) -> bool:
        """M1/M2: this clock is the grandmaster (data sets per Table 32)."""
        return self in (Decision.M1, Decision.M2)


def state_decision(
    d0: ComparisonDataset,
    ebest: ComparisonDataset | None,
    erbest: ComparisonDataset | None,
    port_state: PortState,
    *,
    ebest_here: bool,
    slave_only: bool,
    master_only: bool = False,
) -> Decision | None:
    """Figure 33 for one port; None means "no decision" (stay as you are).

    ``erbest`` is the best qualified Announce on this port, ``ebest`` the best
    over all ports and ``ebest_here`` tells whether it is this port's
    ``erbest``. A port still LISTENING with nothing to compare waits for its
    announce receipt timeout. A master-only clock (ptp4l's masterOnly) is
    the grandmaster of its ports whatever they hear.
    """
    if erbest is None and port_state is PortState.LISTENING:
        return None
    if master_only:
        return Decision.M1 if d0.grandmaster_quality.clock_class <= CLOCK_CLASS_MASTER_ONLY_MAX else Decision.M2
    if slave_only:
        if ebest is not None and ebest_here:
            return Decision.S1
        return Decision.SLAVE_ONLY_LISTEN
    if d0.grandmaster_quality.clock_class <= CLOCK_CLASS_MASTER_ONLY_MAX:
        if erbest is None or compare(d0, erbest).a_wins:
            return Decision.M1
        return Decision.P1
    if ebest is None or compare(d0, ebest).a_wins:
        return Decision.M2
    if ebest_here:
        return Decision.S1
    # Ebest lives on another port; a port that heard nothing qualified masters.
    if erbest is not None and compare(ebest, erbest) is Comparison.A_BETTER_BY_TOPOLOGY:
        return Decision.P2
    return Decision.M3


def best_of(items: Iterable[T], dataset: Callable[[T], ComparisonDataset]) -> T | None:
    """The item whose data set compares best; on error-1/error-2 the earlier one stays."""
    best: T | None = None
    best_ds: ComparisonDataset | None = None
    for item in items:
        ds = dataset(item)
        if best_ds is None or compare(ds, best_ds).a_wins:
            best, best_ds = item, ds
    return best
