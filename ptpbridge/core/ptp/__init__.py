# SPDX-License-Identifier: GPL-2.0-or-later
"""Sans-IO IEEE 1588 clock: data sets, BMCA, port state machine, master/slave roles, management.

Entry point: ``PtpClock`` (see its module for the I/O loop it expects).
"""

from ptpbridge.core.ptp.actions import (
    MULTICAST,
    PDELAY_MULTICAST,
    Action,
    Channel,
    Multicast,
    ParentChanged,
    PathDelaySample,
    SendMessage,
    StateChanged,
    SyncSample,
    TimePropertiesChanged,
)
from ptpbridge.core.ptp.clock import PtpClock
from ptpbridge.core.ptp.config import ClockConfig, PortConfig
from ptpbridge.core.ptp.counters import DropReason, PortCounters
from ptpbridge.core.ptp.datasets import CurrentDS, DefaultDS, ParentDS, PortDS, TimePropertiesDS
from ptpbridge.core.ptp.status import ClockStatus, PortStatus

__all__ = [
    "MULTICAST",
    "PDELAY_MULTICAST",
    "Action",
    "Channel",
    "ClockConfig",
    "ClockStatus",
    "CurrentDS",
    "DefaultDS",
    "DropReason",
    "Multicast",
    "ParentChanged",
    "ParentDS",
    "PathDelaySample",
    "PortConfig",
    "PortCounters",
    "PortDS",
    "PortStatus",
    "PtpClock",
    "SendMessage",
    "StateChanged",
    "SyncSample",
    "TimePropertiesChanged",
    "TimePropertiesDS",
]
