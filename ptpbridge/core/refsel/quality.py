# SPDX-License-Identifier: GPL-2.0-or-later
"""The one statement of how good the served clock is, for PTP (clockQuality) and NTP (header).

`assess` maps the clock state and the figures of the reference it follows
(or last followed) to a `TimeQuality`; the PTP service announces its
clockClass/clockAccuracy/offsetScaledLogVariance, the NTP server its
stratum, reference id, root delay and root dispersion. One place decides,
so the two protocols can never tell different stories.

* LOCKED: the configured locked class (6); clockAccuracy from the error
  bound (root delay / 2 + root dispersion, RFC 5905's root distance);
  offsetScaledLogVariance from the servo's RMS offset (IEEE 1588 7.6.3.3:
  log2 of the variance in s^2, times 256, plus 0x8000); NTP at the
  reference's stratum.
* HOLDOVER: the holdover class (7); the bound grows at the assumed drift
  since the last update, and clockAccuracy follows it; NTP keeps its stratum
  and reference id while its root dispersion grows at the same rate (the
  reference time stays at the last update).
* DEGRADED: the profile's degradation class with the degraded accuracy and
  variance; NTP says unsynchronised (leap 3, stratum 16).
* LOCAL: the local reference's class and stratum (chrony's `local`).
* FREERUN: class 248 (IEEE 1588's default), NTP unsynchronised.

With a PTP reference the daemon must stay able to be a PTP slave, and IEEE
1588's state decision puts a clock of class 1-127 in PASSIVE instead: so
there every class below 128 is announced as `slave_capable_class` (the
[ptp] clock_class when it is 128 or more, else 248), and the locked,
holdover and degraded states show in clockAccuracy, the variance, NTP and
`ptpbridge tracking` only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Final

from ptpbridge.core.refsel.holdover import ClockState
from ptpbridge.timebase import NS_PER_S
from ptpbridge.wire.ptp.constants import ClockAccuracy, TimeSource

# IEEE 1588 clockClass 248: "default", a clock that never had a reference.
FREE_RUN_CLASS: Final = 248
UNKNOWN_VARIANCE: Final = 0xFFFF
# The lowest clockClass a clock may announce and still become a PTP slave (9.3.3: 1-127 cannot).
SLAVE_CAPABLE_MIN_CLASS: Final = 128
_VARIANCE_MAX: Final = 0xFFFE  # 0xFFFF means "not computed"

# Upper bounds (ns) of the clockAccuracy codes 0x20 (25 ns) to 0x30 (10 s), Table 5.
_ACCURACY_BOUNDS: Final = (
    (25, ClockAccuracy.NS_25), (100, ClockAccuracy.NS_100), (250, ClockAccuracy.NS_250),
    (1_000, ClockAccuracy.US_1), (2_500, ClockAccuracy.US_2_5), (10_000, ClockAccuracy.US_10),
    (25_000, ClockAccuracy.US_25), (100_000, ClockAccuracy.US_100), (250_000, ClockAccuracy.US_250),
    (1_000_000, ClockAccuracy.MS_1), (2_500_000, ClockAccuracy.MS_2_5), (10_000_000, ClockAccuracy.MS_10),
    (25_000_000, ClockAccuracy.MS_25), (100_000_000, ClockAccuracy.MS_100),
    (250_000_000, ClockAccuracy.MS_250), (NS_PER_S, ClockAccuracy.S_1), (10 * NS_PER_S, ClockAccuracy.S_10),
)


def accuracy_code(bound_ns: int) -> int:
    """The smallest clockAccuracy whose bound covers `bound_ns` (0x31 beyond 10 s)."""
    for limit, code in _ACCURACY_BOUNDS:
        if abs(bound_ns) <= limit:
            return int(code)
    return int(ClockAccuracy.S_MORE_THAN_10)


def variance_code(rms_ns: float | None) -> int:
    """offsetScaledLogVariance for an RMS time error (0xFFFF when unknown)."""
    if rms_ns is None or not math.isfinite(rms_ns):
        return UNKNOWN_VARIANCE
    seconds = max(rms_ns, 1.0) / NS_PER_S
    code = round(math.log2(seconds * seconds) * 256) + 0x8000
    return max(0, min(_VARIANCE_MAX, code))


@dataclass(frozen=True, slots=True)
class ReferenceFigures:
    """What the followed reference says about our error (integer ns) and how to name it."""

    kind: str  # "ntp", "ptp", "system"
    name: str
    stratum: int  # the NTP stratum we serve while following it
    reference_id: str  # upstream address or ASCII code (refid_for_source)
    root_delay_ns: int
    root_dispersion_ns: int
    time_source: int
    rms_ns: float | None = None

    @property
    def error_bound_ns(self) -> int:
        return self.root_delay_ns // 2 + self.root_dispersion_ns


@dataclass(frozen=True, slots=True)
class LocalQuality:
    """The `local` reference: what to announce with nothing to follow."""

    stratum: int
    clock_class: int
    reference_id: str


@dataclass(frozen=True, slots=True)
class QualityPolicy:
    """The `[holdover]` table as the assessment needs it."""

    locked_class: int = 6
    holdover_class: int = 7
    degraded_class: int = FREE_RUN_CLASS
    degraded_clock_accuracy: int = int(ClockAccuracy.UNKNOWN)
    degraded_offset_scaled_log_variance: int = UNKNOWN_VARIANCE
    drift_ppb: int = 15_000
    # Set when a PTP port is itself a reference: IEEE 1588's state decision never lets a clock
    # of class 1-127 be a slave (it goes PASSIVE, P1), so classes below 128 become this one.
    slave_capable_class: int | None = None


@dataclass(frozen=True, slots=True)
class TimeQuality:
    """How good the served clock is now, in both protocols' terms."""

    state: ClockState
    reference: str | None
    reference_kind: str | None
    clock_class: int
    clock_accuracy: int
    offset_scaled_log_variance: int
    time_source: int
    time_traceable: bool
    ntp_synchronised: bool
    stratum: int
    reference_id: str
    root_delay_ns: int
    root_dispersion_ns: int  # at reference_utc_ns
    dispersion_rate_ppb: int
    reference_utc_ns: int | None
    holdover_ns: int | None
    error_bound_ns: int | None

    def root_dispersion_at(self, utc_ns: int) -> int:
        """Root dispersion now: the base grown at the rate since the reference time."""
        if self.reference_utc_ns is None:
            return self.root_dispersion_ns
        return self.root_dispersion_ns + _growth(utc_ns - self.reference_utc_ns, self.dispersion_rate_ppb)

    def ptp_key(self) -> tuple[int, int, int, int, bool]:
        """What the PTP announcement carries: a change here means re-announcing."""
        return (self.clock_class, self.clock_accuracy, self.offset_scaled_log_variance,
                self.time_source, self.time_traceable)

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state.value, "reference": self.reference, "reference_kind": self.reference_kind,
            "clock_class": self.clock_class, "clock_accuracy": self.clock_accuracy,
            "offset_scaled_log_variance": self.offset_scaled_log_variance,
            "time_source": self.time_source, "time_traceable": self.time_traceable,
            "ntp_synchronised": self.ntp_synchronised, "stratum": self.stratum,
            "reference_id": self.reference_id, "root_delay_ns": self.root_delay_ns,
            "root_dispersion_ns": self.root_dispersion_ns, "dispersion_rate_ppb": self.dispersion_rate_ppb,
            "reference_utc_ns": self.reference_utc_ns, "holdover_ns": self.holdover_ns,
            "error_bound_ns": self.error_bound_ns,
        }


def _growth(interval_ns: int, rate_ppb: int) -> int:
    return -(-max(0, interval_ns) * rate_ppb // NS_PER_S)


def assess(state: ClockState, figures: ReferenceFigures | None, policy: QualityPolicy,
           local: LocalQuality | None, *, now_utc_ns: int, last_update_utc_ns: int | None,
           holdover_ns: int | None) -> TimeQuality:
    """The quality for `state`; `figures` are the followed (or, in holdover, last) reference's,
    `last_update_utc_ns` the UTC time they were last refreshed."""
    quality = _assess(state, figures, policy, local, now_utc_ns, last_update_utc_ns, holdover_ns)
    floor = policy.slave_capable_class
    if floor is not None and quality.clock_class < SLAVE_CAPABLE_MIN_CLASS:
        return replace(quality, clock_class=floor)
    return quality


def _assess(state: ClockState, figures: ReferenceFigures | None, policy: QualityPolicy,
            local: LocalQuality | None, now_utc_ns: int, last_update_utc_ns: int | None,
            holdover_ns: int | None) -> TimeQuality:
    if state in (ClockState.LOCKED, ClockState.HOLDOVER) and figures is not None:
        locked = state is ClockState.LOCKED
        ref_time = now_utc_ns if locked or last_update_utc_ns is None else last_update_utc_ns
        grown = _growth(now_utc_ns - ref_time, policy.drift_ppb)
        bound = figures.error_bound_ns + grown
        return TimeQuality(
            state, figures.name, figures.kind,
            policy.locked_class if locked else policy.holdover_class,
            accuracy_code(bound), variance_code(figures.rms_ns), figures.time_source, True,
            True, figures.stratum, figures.reference_id, figures.root_delay_ns,
            figures.root_dispersion_ns, policy.drift_ppb, ref_time, holdover_ns, bound)
    if state is ClockState.LOCAL and local is not None or (state is ClockState.DEGRADED and local is not None):
        assert local is not None
        return TimeQuality(
            ClockState.LOCAL, "local", "local", local.clock_class, policy.degraded_clock_accuracy,
            policy.degraded_offset_scaled_log_variance, int(TimeSource.INTERNAL_OSCILLATOR), False,
            True, local.stratum, local.reference_id, 0, 0, policy.drift_ppb, now_utc_ns, holdover_ns, None)
    degraded = state is not ClockState.FREERUN and figures is not None
    return TimeQuality(
        ClockState.DEGRADED if degraded else ClockState.FREERUN, None, None,
        policy.degraded_class if degraded else FREE_RUN_CLASS,
        policy.degraded_clock_accuracy if degraded else int(ClockAccuracy.UNKNOWN),
        policy.degraded_offset_scaled_log_variance if degraded else UNKNOWN_VARIANCE,
        int(TimeSource.INTERNAL_OSCILLATOR), False, False, 16, "", 0, 0, policy.drift_ppb, None,
        holdover_ns, None)
