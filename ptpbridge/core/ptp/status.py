# SPDX-License-Identifier: GPL-2.0-or-later
"""A snapshot of a PTP clock as plain data (strings and ints), for status commands and logs."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ptpbridge.core.ptp.clock import PtpClock


@dataclass(frozen=True, slots=True)
class ForeignMasterStatus:
    sender: str
    grandmaster_identity: str
    grandmaster_priority1: int
    grandmaster_clock_class: int
    steps_removed: int
    recent_announces: int
    best_on_port: bool


@dataclass(frozen=True, slots=True)
class PortStatus:
    number: int
    port_identity: str
    state: str
    delay_mechanism: str
    peer_mean_path_delay_ns: int
    counters: dict[str, object]
    foreign_masters: tuple[ForeignMasterStatus, ...]
    duplicate_announces: int
    refused_foreign_masters: int  # the table was full


@dataclass(frozen=True, slots=True)
class ClockStatus:
    clock_identity: str
    is_grandmaster: bool
    grandmaster_identity: str
    grandmaster_clock_class: int
    grandmaster_clock_accuracy: int
    grandmaster_offset_scaled_log_variance: int
    grandmaster_priority1: int
    grandmaster_priority2: int
    parent_port_identity: str
    steps_removed: int
    offset_from_master_ns: int
    mean_delay_ns: int
    current_utc_offset: int
    current_utc_offset_valid: bool
    leap59: bool
    leap61: bool
    ptp_timescale: bool
    time_traceable: bool
    frequency_traceable: bool
    time_source: int
    ports: tuple[PortStatus, ...]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def clock_status(clock: PtpClock[Any]) -> ClockStatus:
    pds = clock.parent_ds
    cds = clock.current_ds
    tp = clock.time_properties_ds
    ports = []
    for port in clock.ports.values():
        foreign = tuple(
            ForeignMasterStatus(
                sender=str(r.sender),
                grandmaster_identity=str(r.dataset.grandmaster_identity),
                grandmaster_priority1=int(r.dataset.priority1),
                grandmaster_clock_class=int(r.dataset.grandmaster_quality.clock_class),
                steps_removed=int(r.dataset.steps_removed),
                recent_announces=len(r.arrivals),
                best_on_port=port.erbest is r,
            )
            for r in port.foreign.records()
        )
        ports.append(
            PortStatus(
                number=port.number,
                port_identity=str(port.identity),
                state=port.state.name,
                delay_mechanism=port.config.delay_mechanism.name,
                peer_mean_path_delay_ns=port.ds.peer_mean_path_delay_ns,
                counters=port.counters.as_dict(),
                foreign_masters=foreign,
                duplicate_announces=port.foreign.duplicates,
                refused_foreign_masters=port.foreign.refused,
            )
        )
    quality = pds.grandmaster_clock_quality
    return ClockStatus(
        clock_identity=str(clock.default_ds.clock_identity),
        is_grandmaster=clock.is_grandmaster,
        grandmaster_identity=str(pds.grandmaster_identity),
        grandmaster_clock_class=int(quality.clock_class),
        grandmaster_clock_accuracy=int(quality.clock_accuracy),
        grandmaster_offset_scaled_log_variance=int(quality.offset_scaled_log_variance),
        grandmaster_priority1=int(pds.grandmaster_priority1),
        grandmaster_priority2=int(pds.grandmaster_priority2),
        parent_port_identity=str(pds.parent_port_identity),
        steps_removed=cds.steps_removed,
        offset_from_master_ns=cds.offset_from_master_ns,
        mean_delay_ns=cds.mean_delay_ns,
        current_utc_offset=int(tp.current_utc_offset),
        current_utc_offset_valid=tp.current_utc_offset_valid,
        leap59=tp.leap59,
        leap61=tp.leap61,
        ptp_timescale=tp.ptp_timescale,
        time_traceable=tp.time_traceable,
        frequency_traceable=tp.frequency_traceable,
        time_source=int(tp.time_source),
        ports=tuple(ports),
    )
