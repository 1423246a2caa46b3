# SPDX-License-Identifier: GPL-2.0-or-later
"""PHC adapter: PTP hardware clocks, the system clock and a simulated clock
behind one Clock protocol, plus discovery of clocks and interface timestamping.

Imports nothing from ptpbridge.  Above phc/, use the names below (and the
kernel constants in phc.net_tstamp); the other modules are the plumbing.
"""

from phc.clock import Clock, OffsetMeasurement
from phc.discovery import PhcInfo, list_clocks
from phc.errors import (
    PhcError,
    PhcNotFoundError,
    PhcNotSupportedError,
    PhcOutOfRangeError,
    PhcPermissionError,
)
from phc.libc import fd_to_clockid
from phc.net_tstamp import HwTstampFilter, HwTstampTx, SofFlag
from phc.phc_clock import ExttsEdge, ExttsEvent, PhcCaps, PhcClock, PinDesc, device_path, resolve_phc_path
from phc.ptp_uapi import PinFunction
from phc.sim_clock import SimulatedClock
from phc.system_clock import SystemClock
from phc.timestamping import (
    HwTstampConfig,
    TimestampingInfo,
    enable_hw_timestamping,
    hw_timestamping_config,
    list_interfaces,
    timestamping_info,
)

__all__ = [
    "Clock",
    "ExttsEdge",
    "ExttsEvent",
    "HwTstampConfig",
    "HwTstampFilter",
    "HwTstampTx",
    "OffsetMeasurement",
    "PhcCaps",
    "PhcClock",
    "PhcError",
    "PhcInfo",
    "PhcNotFoundError",
    "PhcNotSupportedError",
    "PhcOutOfRangeError",
    "PhcPermissionError",
    "PinDesc",
    "PinFunction",
    "SimulatedClock",
    "SofFlag",
    "SystemClock",
    "TimestampingInfo",
    "device_path",
    "enable_hw_timestamping",
    "fd_to_clockid",
    "hw_timestamping_config",
    "list_clocks",
    "list_interfaces",
    "resolve_phc_path",
    "timestamping_info",
]
