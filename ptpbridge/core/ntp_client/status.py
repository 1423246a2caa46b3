# SPDX-License-Identifier: GPL-2.0-or-later
"""Plain-data outputs of the client core: per-source status and the selection result.

These are what the daemon hands to the servo and to `ptpbridge sources` /
`tracking` (text or JSON); nothing here refers back to live objects.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ptpbridge.wire.ntp.constants import STRATUM_UNSYNCHRONISED, Leap


class SourceKind(enum.Enum):
    """How the source was configured: a `server` line or one address of a `pool`."""

    SERVER = "server"
    POOL = "pool"


class SourceState(enum.Enum):
    """A source's role after the last selection, with chronyc's one-character symbol."""

    SELECTED = ("selected", "*")  # the system peer
    CANDIDATE = ("candidate", "+")  # survivor, combined into the system offset
    OUTLIER = ("outlier", "-")  # truechimer pruned by clustering
    FALSETICKER = ("falseticker", "x")  # outside the majority interval, or no majority at all
    UNREACHABLE = ("unreachable", "?")  # no valid reply to the last eight polls
    UNUSABLE = ("unusable", "?")  # reachable but unfit (see the reason) or stopped

    def __init__(self, label: str, symbol: str) -> None:
        self.label = label
        self.symbol = symbol


@dataclass(frozen=True, slots=True)
class Verdict:
    """The selection's word on one source: its state and, unless selected/candidate, why."""

    state: SourceState
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One row of `ptpbridge sources` (integer ns; None where nothing was measured yet)."""

    kind: SourceKind
    name: str
    address: str
    state: SourceState
    reason: str | None
    reach: int
    poll: int
    stratum: int | None
    offset_ns: int | None  # filtered estimate
    last_offset_ns: int | None  # latest accepted sample
    delay_ns: int | None
    jitter_ns: int | None
    dispersion_ns: int | None
    root_distance_ns: int | None
    last_rx_age_ns: int | None
    requests: int
    replies: int
    drops: dict[str, int] = field(default_factory=dict)

    @property
    def reach_octal(self) -> str:
        return format(self.reach, "o")

    @property
    def symbol(self) -> str:
        return self.state.symbol

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: enums as their labels, reach in octal like chronyc."""
        return {
            "kind": self.kind.value, "name": self.name, "address": self.address,
            "state": self.state.label, "symbol": self.symbol, "reason": self.reason,
            "reach": self.reach_octal, "poll": self.poll, "stratum": self.stratum,
            "offset_ns": self.offset_ns, "last_offset_ns": self.last_offset_ns,
            "delay_ns": self.delay_ns, "jitter_ns": self.jitter_ns,
            "dispersion_ns": self.dispersion_ns, "root_distance_ns": self.root_distance_ns,
            "last_rx_age_ns": self.last_rx_age_ns, "requests": self.requests,
            "replies": self.replies, "drops": dict(self.drops),
        }


@dataclass(frozen=True, slots=True)
class SelectionResult:
    """The system variables after selection, clustering and combining (RFC 5905 11.2, 11.3).

    `offset_ns` is the combined offset of the survivors: positive when the
    servers are ahead of our clock. `peer_sample_mono_ns` changes only when the
    system peer has a new best sample; feed the servo on changes only.
    """

    synchronised: bool
    system_peer: str | None
    offset_ns: int
    jitter_ns: int
    root_delay_ns: int
    root_dispersion_ns: int
    stratum: int
    reference_id: bytes
    leap: Leap
    peer_sample_mono_ns: int | None
    survivors: tuple[str, ...]
    falsetickers: tuple[str, ...]
    verdicts: dict[str, Verdict]
    reason: str | None = None  # why nothing was selected

    @classmethod
    def unsynchronised(cls, reason: str, verdicts: dict[str, Verdict],
                       falsetickers: tuple[str, ...] = ()) -> SelectionResult:
        return cls(False, None, 0, 0, 0, 0, STRATUM_UNSYNCHRONISED, b"\x00\x00\x00\x00",
                   Leap.UNSYNCHRONISED, None, (), falsetickers, verdicts, reason)
