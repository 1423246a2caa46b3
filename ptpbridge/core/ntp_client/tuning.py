# SPDX-License-Identifier: GPL-2.0-or-later
"""The client algorithms' parameters, in integer ns, with RFC 5905 (section 7.2) defaults.

These are tunables of the mitigation algorithms, defaulting to the RFC's
values in ptpbridge.wire.ntp.constants: a deployment may want another
distance threshold or survivor count, as chrony's `maxdistance` and
`minsources` allow. The helpers convert the RFC's log2-seconds and
parts-per-million quantities to ns, rounding error bounds up so they are
never understated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ptpbridge.timebase import NS_PER_S
from ptpbridge.wire.ntp.constants import (
    MAXDISP_NS,
    MAXDIST_NS,
    MINDISP_NS,
    NMIN,
    NSANE,
    NSTAGE,
    PGATE,
    PHI_PPB,
)

# Poll exponents we accept: chrony's lowest (1/64 s, for LANs) to RFC 5905's MAXPOLL (36 h).
POLL_EXP_MIN: Final = -6
POLL_EXP_MAX: Final = 17


def log2_ns(exponent: int) -> int:
    """2**exponent seconds in ns, rounded up (precision and poll fields are log2 seconds)."""
    if exponent >= 0:
        return NS_PER_S << exponent
    return -(-NS_PER_S >> -exponent)


def growth_ns(interval_ns: int, rate_ppb: int) -> int:
    """Error accumulated at `rate_ppb` over `interval_ns` (>= 0), rounded up."""
    if interval_ns <= 0:
        return 0
    return -(-interval_ns * rate_ppb // NS_PER_S)


@dataclass(frozen=True, slots=True)
class ClientTuning:
    """Parameters of the filter, poll and selection algorithms (RFC 5905 names in comments)."""

    max_dispersion_ns: int = MAXDISP_NS  # MAXDISP: a stage's dispersion never exceeds it
    min_dispersion_ns: int = MINDISP_NS  # MINDISP: floor of the delay term of root distance
    max_distance_ns: int = MAXDIST_NS  # MAXDIST: sources with a larger root distance are unfit
    phi_ppb: int = PHI_PPB  # PHI: assumed frequency tolerance, dispersion growth per second
    filter_stages: int = NSTAGE  # NSTAGE
    min_truechimers: int = NSANE  # NSANE: fewer survivors of the intersection: no selection
    min_survivors: int = NMIN  # NMIN: clustering never prunes below this many
    burst_count: int = 4  # iburst: requests per burst (chrony sends 4, ntpd 8)
    burst_interval_ns: int = 2 * NS_PER_S  # spacing of burst requests (or the minpoll interval if shorter)
    poll_gate: int = PGATE  # PGATE: a system offset under this many jitters counts as steady
    poll_adjust_count: int = 6  # steady updates (counting +1) or unsteady ones (-2) per poll step
    unreachable_backoff_polls: int = 8  # unanswered polls before the interval starts growing
    local_precision: int = -20  # rho: log2 s of our own timestamp precision

    def __post_init__(self) -> None:
        if self.filter_stages < 1 or self.burst_count < 1 or self.poll_adjust_count < 1:
            raise ValueError("filter stages, burst count and poll adjust count must be positive")
        if min(self.max_dispersion_ns, self.min_dispersion_ns, self.max_distance_ns,
               self.phi_ppb, self.burst_interval_ns) < 0:
            raise ValueError("dispersion, distance, rate and interval parameters cannot be negative")
        if self.min_truechimers < 1 or self.min_survivors < 1:
            raise ValueError("minimum truechimers and survivors must be at least 1")
        if not -128 <= self.local_precision <= 127:
            raise ValueError("local precision is a signed 8-bit log2 exponent")


DEFAULT_TUNING: Final = ClientTuning()
