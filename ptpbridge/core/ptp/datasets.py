# SPDX-License-Identifier: GPL-2.0-or-later
"""The clock and port data sets of IEEE 1588-2019 clause 8, as plain dataclasses.

The clock owns one DefaultDS, CurrentDS, ParentDS and TimePropertiesDS and
one PortDS per port; the BMCA writes them (9.3.5), management reads them,
the message builders take header and body fields from them. Times are
integer ns (the wire's TimeInterval scaling happens only when encoding).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ptpbridge.timebase import LeapState, Timebase
from ptpbridge.wire.ptp.constants import (
    MINOR_VERSION_PTP,
    VERSION_PTP,
    DelayMechanism,
    Flag,
    PortState,
    TimeSource,
)
from ptpbridge.wire.ptp.values import ClockIdentity, ClockQuality, PortIdentity


@dataclass(slots=True)
class DefaultDS:
    """defaultDS (8.2.1): what this clock is, independent of the network."""

    clock_identity: ClockIdentity
    number_ports: int
    clock_quality: ClockQuality
    priority1: int
    priority2: int
    domain_number: int
    slave_only: bool
    two_step_flag: bool = True
    major_sdo_id: int = 0
    minor_sdo_id: int = 0


@dataclass(slots=True)
class CurrentDS:
    """currentDS (8.2.2): where this clock stands relative to the grandmaster."""

    steps_removed: int = 0
    offset_from_master_ns: int = 0
    mean_delay_ns: int = 0


@dataclass(slots=True)
class ParentDS:
    """parentDS (8.2.3): the parent port and the grandmaster it leads to."""

    parent_port_identity: PortIdentity
    grandmaster_identity: ClockIdentity
    grandmaster_clock_quality: ClockQuality
    grandmaster_priority1: int
    grandmaster_priority2: int
    parent_stats: bool = False
    observed_parent_offset_scaled_log_variance: int = 0xFFFF
    observed_parent_clock_phase_change_rate: int = 0x7FFFFFFF


# The flagField octet-1 bits that mirror timePropertiesDS (Table 37); the
# management data sets use the same bit positions (15.5.3.4.1).
_TP_FLAG_BITS: tuple[tuple[str, int], ...] = (
    ("leap61", int(Flag.LEAP61)),
    ("leap59", int(Flag.LEAP59)),
    ("current_utc_offset_valid", int(Flag.CURRENT_UTC_OFFSET_VALID)),
    ("ptp_timescale", int(Flag.PTP_TIMESCALE)),
    ("time_traceable", int(Flag.TIME_TRACEABLE)),
    ("frequency_traceable", int(Flag.FREQUENCY_TRACEABLE)),
)


@dataclass(frozen=True, slots=True)
class TimePropertiesDS:
    """timePropertiesDS (8.2.4): the timescale the grandmaster distributes.

    Frozen: a change is a new object, so "did it change" is one comparison.
    """

    current_utc_offset: int = 37
    current_utc_offset_valid: bool = False
    leap59: bool = False
    leap61: bool = False
    time_traceable: bool = False
    frequency_traceable: bool = False
    ptp_timescale: bool = True
    time_source: int = TimeSource.INTERNAL_OSCILLATOR

    def flag_bits(self) -> int:
        """The flagField octet-1 bits (also the management data set flags octet)."""
        bits = 0
        for name, bit in _TP_FLAG_BITS:
            if getattr(self, name):
                bits |= bit
        return bits

    @classmethod
    def from_flags(cls, flags: int, current_utc_offset: int, time_source: int) -> TimePropertiesDS:
        """From an Announce: its flagField, currentUtcOffset and timeSource (9.3.5 Table 31)."""
        values = {name: bool(flags & bit) for name, bit in _TP_FLAG_BITS}
        return cls(current_utc_offset=current_utc_offset, time_source=time_source, **values)

    @classmethod
    def from_timebase(
        cls,
        timebase: Timebase,
        *,
        time_source: int,
        time_traceable: bool = False,
        frequency_traceable: bool = False,
    ) -> TimePropertiesDS:
        """What a grandmaster announces: UTC offset and leap state from the one Timebase."""
        return cls(
            current_utc_offset=timebase.utc_offset_s,
            current_utc_offset_valid=timebase.utc_offset_valid,
            leap59=timebase.leap is LeapState.DELETE,
            leap61=timebase.leap is LeapState.INSERT,
            time_traceable=time_traceable,
            frequency_traceable=frequency_traceable,
            ptp_timescale=True,
            time_source=time_source,
        )

    def at_instant(self, timebase: Timebase, tai_ns: int) -> TimePropertiesDS:
        """This data set with the UTC offset and leap flags the Timebase gives at ``tai_ns``.

        Exact at a leap (the Timebase knows the instant); ``self`` when nothing
        changed, so the caller's "did it change" stays one identity check.
        """
        offset, leap = timebase.ptp_state_at(tai_ns)
        valid, leap59, leap61 = timebase.utc_offset_valid, leap is LeapState.DELETE, leap is LeapState.INSERT
        if (offset == self.current_utc_offset and valid == self.current_utc_offset_valid
                and leap59 == self.leap59 and leap61 == self.leap61):
            return self
        return replace(self, current_utc_offset=offset, current_utc_offset_valid=valid,
                       leap59=leap59, leap61=leap61)


@dataclass(slots=True)
class PortDS:
    """portDS (8.2.15): one port's identity, state and message intervals."""

    port_identity: PortIdentity
    port_state: PortState
    log_min_delay_req_interval: int
    log_announce_interval: int
    announce_receipt_timeout: int
    log_sync_interval: int
    delay_mechanism: DelayMechanism
    log_min_pdelay_req_interval: int
    peer_mean_path_delay_ns: int = 0
    version_number: int = VERSION_PTP
    minor_version_number: int = MINOR_VERSION_PTP
